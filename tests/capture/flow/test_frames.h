#pragma once
// Test-only: hand-made packets for the flow and DPI tests: views without bytes for table tests,
// and IPv4/TCP or IPv4/UDP packets whose view the real decoder fills (captures are read with
// tests/support/decoded_capture.h).

#include <cstdint>
#include <cstring>
#include <vector>

#include "capture/decode/packet.h"
#include "support/decoded_capture.h"

namespace outpost::test {

using capture::PacketView;

// A hand-made IPv4 packet view (no bytes behind it) for table tests.
inline PacketView ipv4_packet(std::uint8_t proto, const char* src, std::uint16_t sport,
                              const char* dst, std::uint16_t dport, std::int64_t ts,
                              std::uint8_t tcp_flags = 0, std::uint16_t vlan = 0,
                              std::size_t l3_len = 60) {
  PacketView v;
  v.ts = ts;
  v.ip_version = 4;
  rules::parse_ip(src, v.src);
  rules::parse_ip(dst, v.dst);
  v.l4_proto = proto;
  v.src_port = sport;
  v.dst_port = dport;
  v.tcp_flags = tcp_flags;
  v.vlan = vlan;
  v.l3_len = l3_len;
  v.ips[0] = capture::IpPair{v.src, v.dst};
  v.ip_count = 1;
  return v;
}

// An IPv4/UDP or IPv4/TCP packet with real bytes behind its view (for feeding nDPI).
// Not copyable: the view points into this packet's own bytes.
struct OwnedPacket {
  OwnedPacket() = default;
  OwnedPacket(OwnedPacket&&) = default;  // a moved vector keeps its buffer
  OwnedPacket& operator=(OwnedPacket&&) = default;
  OwnedPacket(const OwnedPacket&) = delete;
  OwnedPacket& operator=(const OwnedPacket&) = delete;

  std::vector<std::uint8_t> bytes;
  PacketView view;
};

inline OwnedPacket ipv4_datagram(std::uint8_t proto, const char* src, std::uint16_t sport,
                                 const char* dst, std::uint16_t dport,
                                 const std::vector<std::uint8_t>& payload, std::int64_t ts,
                                 std::uint8_t tcp_flags = 0x18) {
  OwnedPacket out;
  const std::size_t l4_header = proto == 6 ? 20 : 8;
  const std::size_t total = 20 + l4_header + payload.size();
  out.bytes.assign(total, 0);
  std::uint8_t* p = out.bytes.data();
  p[0] = 0x45;
  p[2] = static_cast<std::uint8_t>(total >> 8);
  p[3] = static_cast<std::uint8_t>(total);
  p[8] = 64;
  p[9] = proto;
  rules::IpAddress a, b;
  rules::parse_ip(src, a);
  rules::parse_ip(dst, b);
  std::memcpy(p + 12, a.bytes, 4);
  std::memcpy(p + 16, b.bytes, 4);
  std::uint8_t* l4 = p + 20;
  l4[0] = static_cast<std::uint8_t>(sport >> 8);
  l4[1] = static_cast<std::uint8_t>(sport);
  l4[2] = static_cast<std::uint8_t>(dport >> 8);
  l4[3] = static_cast<std::uint8_t>(dport);
  if (proto == 6) {
    l4[7] = 1;  // sequence number 1
    l4[12] = 5 << 4;
    l4[13] = tcp_flags;
    l4[14] = 0xFF;
  } else {
    l4[4] = static_cast<std::uint8_t>((8 + payload.size()) >> 8);
    l4[5] = static_cast<std::uint8_t>(8 + payload.size());
  }
  if (!payload.empty()) std::memcpy(l4 + l4_header, payload.data(), payload.size());
  decode_ip_packet(out.bytes.data(), out.bytes.size(), ts, out.view);
  return out;
}

}  // namespace outpost::test
