#pragma once
// Test-only: reads a capture with libpcap and fills PacketViews for the flow and DPI tests, and
// builds hand-made PacketViews. The frame parse here is deliberately small (Ethernet, 802.1Q /
// QinQ, PPPoE session, Linux SLL, NULL and raw IP; IPv4 and IPv6 without fragments; TCP and
// UDP); the real decoder is capture/decode/ and these tests switch to it once it is usable.

#include <pcap/pcap.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "capture/decode/packet.h"

namespace outpost::test {

using capture::PacketView;

inline std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
inline std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

// Fills v from an IP packet at p (len captured bytes). Returns false if it is not one we key on.
inline bool parse_ip(const std::uint8_t* p, std::size_t len, PacketView& v) {
  if (len < 1) return false;
  const std::uint8_t version = p[0] >> 4;
  std::size_t l4_off = 0;
  std::size_t end = len;
  std::uint8_t proto = 0;
  if (version == 4) {
    if (len < 20) return false;
    const std::size_t ihl = std::size_t{p[0] & 0x0Fu} * 4;
    const std::size_t total = be16(p + 2);
    if (ihl < 20 || total < ihl || ihl > len) return false;
    if ((be16(p + 6) & 0x3FFF) != 0) return false;  // a fragment: not handled here
    end = total < len ? total : len;
    proto = p[9];
    v.src.family = v.dst.family = 4;
    std::memcpy(v.src.bytes, p + 12, 4);
    std::memcpy(v.dst.bytes, p + 16, 4);
    l4_off = ihl;
    v.l3_len = total;
  } else if (version == 6) {
    if (len < 40) return false;
    const std::size_t total = 40 + std::size_t{be16(p + 4)};
    end = total < len ? total : len;
    proto = p[6];
    l4_off = 40;
    // Hop-by-hop, routing and destination options only.
    while ((proto == 0 || proto == 43 || proto == 60) && l4_off + 8 <= end) {
      const std::size_t ext = (std::size_t{p[l4_off + 1]} + 1) * 8;
      proto = p[l4_off];
      l4_off += ext;
    }
    if (proto == 44) return false;
    v.src.family = v.dst.family = 6;
    std::memcpy(v.src.bytes, p + 8, 16);
    std::memcpy(v.dst.bytes, p + 24, 16);
    v.l3_len = total;
  } else {
    return false;
  }
  v.ip_version = version;
  v.l3 = p;
  v.l4_proto = proto;
  v.ips[0] = capture::IpPair{v.src, v.dst};
  v.ip_count = 1;
  if (l4_off > end) return true;
  const std::uint8_t* l4 = p + l4_off;
  const std::size_t l4_len = end - l4_off;
  if (proto == 6 && l4_len >= 20) {
    const std::size_t doff = static_cast<std::size_t>(l4[12] >> 4) * 4;
    if (doff < 20 || doff > l4_len) return true;
    v.src_port = be16(l4);
    v.dst_port = be16(l4 + 2);
    v.tcp_seq = be32(l4 + 4);
    v.tcp_ack = be32(l4 + 8);
    v.tcp_flags = l4[13];
    v.payload = l4 + doff;
    v.payload_len = l4_len - doff;
  } else if (proto == 17 && l4_len >= 8) {
    v.src_port = be16(l4);
    v.dst_port = be16(l4 + 2);
    v.payload = l4 + 8;
    v.payload_len = l4_len - 8;
  }
  v.payload_truncated = end < v.l3_len;
  return true;
}

inline bool parse_ethernet_payload(std::uint16_t type, const std::uint8_t* p, std::size_t len,
                                   PacketView& v) {
  for (int depth = 0; depth < 4; ++depth) {
    if (type == 0x8100 || type == 0x88A8 || type == 0x9100) {
      if (len < 4) return false;
      if (v.vlan == 0) v.vlan = be16(p) & 0x0FFF;
      type = be16(p + 2);
      p += 4;
      len -= 4;
    } else if (type == 0x8864) {  // PPPoE session (RFC 2516), PPP protocol field
      if (len < 8) return false;
      const std::uint16_t ppp = be16(p + 6);
      p += 8;
      len -= 8;
      if (ppp == 0x0021) return parse_ip(p, len, v);
      if (ppp == 0x0057) return parse_ip(p, len, v);
      return false;
    } else {
      break;
    }
  }
  if (type == 0x0800 || type == 0x86DD) return parse_ip(p, len, v);
  return false;
}

// Parses one frame of the given DLT; false when it carries no IP packet this parse handles.
inline bool parse_frame(int dlt, const std::uint8_t* data, std::size_t caplen, std::int64_t ts,
                        PacketView& v) {
  v = PacketView{};
  v.ts = ts;
  switch (dlt) {
    case DLT_EN10MB:
      if (caplen < 14) return false;
      v.has_mac = true;
      std::memcpy(v.dst_mac, data, 6);
      std::memcpy(v.src_mac, data + 6, 6);
      return parse_ethernet_payload(be16(data + 12), data + 14, caplen - 14, v);
    case DLT_LINUX_SLL:
      if (caplen < 16) return false;
      return parse_ethernet_payload(be16(data + 14), data + 16, caplen - 16, v);
    case DLT_NULL:
      if (caplen < 4) return false;
      return parse_ip(data + 4, caplen - 4, v);
    case DLT_RAW:
    case 228:  // DLT_IPV4
    case 229:  // DLT_IPV6
      return parse_ip(data, caplen, v);
    default:
      return false;
  }
}

// Calls fn(view) for every frame of the file that carries an IP packet; returns frames read, or
// -1 if the file cannot be opened.
inline long for_each_packet(const std::string& path, const std::function<void(const PacketView&)>& fn) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, err);
  if (p == nullptr) return -1;
  const int dlt = pcap_datalink(p);
  long frames = 0;
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(p, &h, &data) == 1) {
    ++frames;
    PacketView v;
    const std::int64_t ts = std::int64_t{h->ts.tv_sec} * 1000000 + h->ts.tv_usec;
    if (parse_frame(dlt, data, h->caplen, ts, v)) fn(v);
  }
  pcap_close(p);
  return frames;
}

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
struct OwnedPacket {
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
  out.view.ts = ts;
  parse_ip(out.bytes.data(), out.bytes.size(), out.view);
  return out;
}

}  // namespace outpost::test
