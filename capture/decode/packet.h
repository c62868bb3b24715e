#pragma once
// PacketView: what the decoder extracts from one captured frame. Zero-copy: every pointer
// refers into the frame buffer, or into the fragment reassembler's buffer when the packet
// completed a fragmented datagram; valid until the next call into the decoder.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rules/observation.h"

namespace outpost::capture {

using rules::IpAddress;
using rules::TimeUs;

// Why a frame was not (fully) decoded. Fixed width, one name table (drop_reason_name).
enum class DropReason : std::uint8_t {
  none = 0,
  truncated_l2,        // frame shorter than its link-layer header
  unsupported_link,    // link type we do not decode
  truncated_ip,        // IP header cut short (caplen or total length)
  bad_ip_header,       // version / IHL / length fields inconsistent
  bad_ipv6_ext,        // IPv6 extension header chain malformed or too long
  truncated_l4,        // TCP/UDP header cut short
  bad_l4_header,       // e.g. TCP data offset < 5
  tunnel_too_deep,     // more nested IP headers than kMaxIpHeaders, or too many layers
  fragment_overflow,   // fragment reassembly bound hit (datagrams or bytes)
  fragment_bad,        // overlapping/inconsistent/oversized fragment
  bad_l2_header,       // link-layer or shim header fields inconsistent (version, length...)
  bad_tunnel_header,   // tunnel header (GRE, VXLAN, GTP-U, ...) malformed
  count_
};
std::string_view drop_reason_name(DropReason r) noexcept;
inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::count_);

// Result of decoding one frame.
enum class DecodeStatus : std::uint8_t {
  ok,         // an IP packet was decoded (ip_count >= 1); transport fields valid per l4_proto
  not_ip,     // a well-formed frame without IP (ARP, STP, LLDP, 802.11 management, ...)
  held,       // a fragment was stored; the datagram is not complete yet (headers seen so far
              // are still reported in ips[] so src_ip/dst_ip observations are not lost)
  dropped,    // malformed or unsupported; see PacketView::drop
};

struct IpPair {
  IpAddress src, dst;
};

struct PacketView {
  static constexpr std::size_t kMaxIpHeaders = 8;

  TimeUs ts = 0;
  std::uint32_t wire_len = 0;   // original length on the wire
  // Why the frame was not (fully) decoded: set with status dropped, and with status ok when a
  // tunnel's payload could not be decoded and the outer packet is reported instead.
  DropReason drop = DropReason::none;

  // Layer 2 of the innermost Ethernet-like header that carried the IP packet (for device
  // attribution). has_mac is false on raw IP, NULL, PPP, ... links.
  bool has_mac = false;
  std::uint8_t src_mac[6] = {};
  std::uint8_t dst_mac[6] = {};
  std::uint16_t vlan = 0;       // outermost 802.1Q VLAN id, 0 if none (part of the flow key)

  // Every IP header in the frame, outermost first: tunnel outer headers, the inner packet,
  // and headers quoted inside ICMP/ICMPv6 errors. Filled whatever the status (the headers read
  // before the decoder stopped).
  IpPair ips[kMaxIpHeaders];
  std::uint8_t ip_count = 0;

  // The innermost IP packet (the one flows are built from), not counting ICMP quotes.
  const std::uint8_t* l3 = nullptr;   // its IP header
  std::size_t l3_len = 0;             // bytes from the IP header to the end of the datagram
  std::uint8_t ip_version = 0;        // 4 or 6
  IpAddress src, dst;
  std::uint8_t l4_proto = 0;          // 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...
  std::uint16_t src_port = 0, dst_port = 0;   // TCP/UDP only
  std::uint8_t tcp_flags = 0;         // TCP only
  std::uint32_t tcp_seq = 0, tcp_ack = 0;
  const std::uint8_t* payload = nullptr;  // L4 payload (TCP/UDP), within caplen and l3_len
  std::size_t payload_len = 0;
  bool payload_truncated = false;     // caplen ended before the datagram did
};

}  // namespace outpost::capture
