#pragma once
// Test-only: builds frames byte by byte for the decoder tests. Every builder returns the bytes of
// its layer with the given payload appended, so encapsulations compose inside out:
//   ethernet(0x0800, ipv4("10.0.0.1", "10.0.0.2", 17, udp(1000, 53, {1, 2, 3})))

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "capture/decode/packet_decoder.h"
#include "rules/observation.h"

namespace outpost::capture::test_frames {

using Bytes = std::vector<std::uint8_t>;

inline void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
inline void put16le(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
inline void put32(Bytes& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}
inline void put32le(Bytes& b, std::uint32_t v) {
  put16le(b, static_cast<std::uint16_t>(v));
  put16le(b, static_cast<std::uint16_t>(v >> 16));
}
inline void append(Bytes& b, const Bytes& more) { b.insert(b.end(), more.begin(), more.end()); }
inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes b;
  for (const auto& p : parts) append(b, p);
  return b;
}
inline Bytes filler(std::size_t n, std::uint8_t first = 0) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(first + i);
  return b;
}

inline Bytes address(const char* text) {
  rules::IpAddress a;
  EXPECT_TRUE(rules::parse_ip(text, a)) << text;
  return Bytes(a.bytes, a.bytes + (a.family == 4 ? 4 : 16));
}

inline std::string text(const rules::IpAddress& a) {
  char buf[64];
  return std::string(buf, rules::format_ip(a, buf));
}

inline const Bytes kMacA = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
inline const Bytes kMacB = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};
inline const Bytes kMacC = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0c};
inline const Bytes kMacD = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0d};

inline Bytes ethernet(std::uint16_t type, const Bytes& payload, const Bytes& dst = kMacB,
                      const Bytes& src = kMacA) {
  Bytes b = cat({dst, src});
  put16(b, type);
  append(b, payload);
  return b;
}

inline Bytes vlan_tag(std::uint16_t id, std::uint16_t inner_type, const Bytes& payload) {
  Bytes b;
  put16(b, id);
  put16(b, inner_type);
  append(b, payload);
  return b;
}

struct Ipv4Options {
  std::uint16_t id = 1;
  std::uint16_t flags_offset = 0;       // raw flags + fragment offset field (units of 8 bytes)
  std::size_t option_words = 0;         // IHL - 5
  int total_length = -1;                // -1: computed
  std::uint8_t ihl_override = 0;
};

inline Bytes ipv4(const char* src, const char* dst, std::uint8_t proto, const Bytes& payload,
                  const Ipv4Options& o = {}) {
  Bytes b;
  const std::size_t ihl = 5 + o.option_words;
  b.push_back(static_cast<std::uint8_t>(0x40 | (o.ihl_override ? o.ihl_override : ihl)));
  b.push_back(0);
  put16(b, static_cast<std::uint16_t>(o.total_length >= 0 ? o.total_length : ihl * 4 + payload.size()));
  put16(b, o.id);
  put16(b, o.flags_offset);
  b.push_back(64);
  b.push_back(proto);
  put16(b, 0);
  append(b, address(src));
  append(b, address(dst));
  for (std::size_t i = 0; i < o.option_words; ++i) put32(b, 0x01010101);  // NOPs
  append(b, payload);
  return b;
}

// IPv6 with `ext` extension headers already built (their Next Header fields chained by the
// caller); next = Next Header of the fixed header.
inline Bytes ipv6(const char* src, const char* dst, std::uint8_t next, const Bytes& payload,
                  int payload_length = -1) {
  Bytes b = {0x60, 0, 0, 0};
  put16(b, static_cast<std::uint16_t>(payload_length >= 0 ? payload_length : payload.size()));
  b.push_back(next);
  b.push_back(64);
  append(b, address(src));
  append(b, address(dst));
  append(b, payload);
  return b;
}

// A generic 8n-byte extension header (Hop-by-Hop, Routing, Destination Options).
inline Bytes ext_header(std::uint8_t next, std::size_t units = 0) {
  Bytes b(8 * (units + 1), 0);
  b[0] = next;
  b[1] = static_cast<std::uint8_t>(units);
  if (b.size() > 2) b[2] = 1;  // PadN
  if (b.size() > 3) b[3] = static_cast<std::uint8_t>(b.size() - 4);
  return b;
}

inline Bytes fragment_header(std::uint8_t next, std::uint32_t offset_bytes, bool more, std::uint32_t id) {
  Bytes b = {next, 0};
  put16(b, static_cast<std::uint16_t>((offset_bytes & 0xFFF8) | (more ? 1 : 0)));
  put32(b, id);
  return b;
}

inline Bytes udp(std::uint16_t sport, std::uint16_t dport, const Bytes& payload, int length = -1) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put16(b, static_cast<std::uint16_t>(length >= 0 ? length : 8 + payload.size()));
  put16(b, 0);
  append(b, payload);
  return b;
}

inline Bytes tcp(std::uint16_t sport, std::uint16_t dport, std::uint8_t flags, const Bytes& payload,
                 std::uint32_t seq = 1000, std::uint32_t ack = 2000, std::uint8_t offset_words = 5) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put32(b, seq);
  put32(b, ack);
  b.push_back(static_cast<std::uint8_t>(offset_words << 4));
  b.push_back(flags);
  put16(b, 65535);
  put16(b, 0);
  put16(b, 0);
  for (std::size_t i = 5; i < offset_words; ++i) put32(b, 0x01010101);
  append(b, payload);
  return b;
}

inline Bytes llc_snap(std::uint16_t type, const Bytes& payload) {
  Bytes b = {0xAA, 0xAA, 0x03, 0x00, 0x00, 0x00};
  put16(b, type);
  append(b, payload);
  return b;
}

// An 802.11 data frame: fc = Frame Control byte 0 (0x08 data, 0x88 QoS data), flags = byte 1.
inline Bytes wlan_data(std::uint8_t fc, std::uint8_t flags, const Bytes& a1, const Bytes& a2,
                       const Bytes& a3, const Bytes& body, const Bytes& a4 = {},
                       std::uint16_t qos = 0) {
  Bytes b = {fc, flags, 0, 0};
  append(b, a1);
  append(b, a2);
  append(b, a3);
  put16le(b, 0x0010);  // Sequence Control: fragment 0, sequence 1
  append(b, a4);
  if (fc & 0x80) put16le(b, qos);
  if ((fc & 0x80) && (flags & 0x80)) put32(b, 0);  // HT Control
  append(b, body);
  return b;
}

inline const Bytes& sample_udp() {
  static const Bytes b = ipv4("192.0.2.1", "198.51.100.2", 17, udp(40000, 53, filler(12)));
  return b;
}

// Decodes one frame with the given decoder. The frame is copied into a buffer that lives until
// the next run(), as a capture buffer would, so the view stays valid when the caller passed a
// temporary.
inline DecodeStatus run(PacketDecoder& d, int dlt, const Bytes& frame, PacketView& v,
                        TimeUs ts = 1'000'000) {
  static Bytes held;
  held = frame;
  return d.decode(dlt, held.data(), held.size(), static_cast<std::uint32_t>(held.size()), ts, v);
}

inline std::string ips_text(const PacketView& v) {
  std::string s;
  for (std::size_t i = 0; i < v.ip_count; ++i) {
    if (i) s += " | ";
    s += text(v.ips[i].src) + ">" + text(v.ips[i].dst);
  }
  return s;
}

}  // namespace outpost::capture::test_frames
