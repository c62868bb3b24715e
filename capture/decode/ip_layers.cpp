// IPv4 (RFC 791), IPv6 (RFC 8200) with extension headers, fragments (through the
// FragmentReassembler), TCP (RFC 9293), UDP (RFC 768), ICMP/ICMPv6 error quotes, and the hand-off
// into tunnels with a fall-back to the outer packet when the tunnel payload cannot be decoded.

#include <cstring>

#include "capture/decode/layer_walk.h"
#include "capture/decode/wire.h"

namespace outpost::capture::decode_detail {

namespace {

using wire::be16;
using wire::be32;

void set_address(IpAddress& a, std::uint8_t family, const std::uint8_t* bytes) noexcept {
  a.family = family;
  if (family == 4) {
    std::memcpy(a.bytes, bytes, 4);
    std::memset(a.bytes + 4, 0, 12);
  } else {
    std::memcpy(a.bytes, bytes, 16);
  }
}

// Records one IP header's addresses; false when ips[] is full.
bool push_ip(LayerWalk& w, std::uint8_t family, const std::uint8_t* src, const std::uint8_t* dst) noexcept {
  PacketView& v = w.out;
  if (v.ip_count >= PacketView::kMaxIpHeaders) return false;
  set_address(v.ips[v.ip_count].src, family, src);
  set_address(v.ips[v.ip_count].dst, family, dst);
  ++v.ip_count;
  return true;
}

// The flow fields of the packet at ips[index] (the innermost so far).
void set_flow(LayerWalk& w, const std::uint8_t* l3, std::size_t l3_len, std::uint8_t version,
              std::uint8_t index, std::uint8_t l4_proto, bool truncated) noexcept {
  PacketView& v = w.out;
  v.l3 = l3;
  v.l3_len = l3_len;
  v.ip_version = version;
  v.src = v.ips[index].src;
  v.dst = v.ips[index].dst;
  v.l4_proto = l4_proto;
  v.src_port = v.dst_port = 0;
  v.tcp_flags = 0;
  v.tcp_seq = v.tcp_ack = 0;
  v.payload = nullptr;
  v.payload_len = 0;
  v.payload_truncated = truncated;
  w.flow_index = index;
}

// What a tunnel payload may overwrite, kept to fall back to the outer packet.
struct FlowSnapshot {
  const std::uint8_t* l3;
  std::size_t l3_len;
  std::uint8_t ip_version;
  IpAddress src, dst;
  std::uint8_t l4_proto;
  std::uint16_t src_port, dst_port;
  std::uint8_t tcp_flags;
  std::uint32_t tcp_seq, tcp_ack;
  const std::uint8_t* payload;
  std::size_t payload_len;
  bool payload_truncated;
  bool has_mac;
  std::uint8_t src_mac[6], dst_mac[6];
  std::uint8_t flow_index;
  unsigned reassembled;

  void take(const LayerWalk& w) noexcept {
    const PacketView& v = w.out;
    l3 = v.l3; l3_len = v.l3_len; ip_version = v.ip_version; src = v.src; dst = v.dst;
    l4_proto = v.l4_proto; src_port = v.src_port; dst_port = v.dst_port; tcp_flags = v.tcp_flags;
    tcp_seq = v.tcp_seq; tcp_ack = v.tcp_ack; payload = v.payload; payload_len = v.payload_len;
    payload_truncated = v.payload_truncated; has_mac = v.has_mac;
    std::memcpy(src_mac, v.src_mac, 6);
    std::memcpy(dst_mac, v.dst_mac, 6);
    flow_index = w.flow_index;
    reassembled = w.reassembled;
  }
  void restore(LayerWalk& w) const noexcept {
    PacketView& v = w.out;
    v.l3 = l3; v.l3_len = l3_len; v.ip_version = ip_version; v.src = src; v.dst = dst;
    v.l4_proto = l4_proto; v.src_port = src_port; v.dst_port = dst_port; v.tcp_flags = tcp_flags;
    v.tcp_seq = tcp_seq; v.tcp_ack = tcp_ack; v.payload = payload; v.payload_len = payload_len;
    v.payload_truncated = payload_truncated; v.has_mac = has_mac;
    std::memcpy(v.src_mac, src_mac, 6);
    std::memcpy(v.dst_mac, dst_mac, 6);
    w.flow_index = flow_index;
  }
};

// A tunnel's payload decoded to `inner`. When it is an IP packet (ok) or a held fragment, that is
// the result. Otherwise the outer packet stays the flow packet: status ok, the reason (if any) in
// PacketView::drop, counted.
DecodeStatus finish_tunnel(LayerWalk& w, const FlowSnapshot& outer, DecodeStatus inner) noexcept {
  if (inner == DecodeStatus::ok || inner == DecodeStatus::held) return inner;
  // The outer packet's bytes may live in the reassembly buffer that a completed inner datagram
  // has since overwritten; then there is nothing valid to fall back to.
  const std::uint8_t* buffer = w.fragments.output_buffer();
  const bool in_buffer = outer.l3 >= buffer && outer.l3 < buffer + w.fragments.output_capacity();
  if (in_buffer && outer.reassembled != w.reassembled) {
    if (inner != DecodeStatus::dropped) w.out.drop = DropReason::fragment_bad;
    return DecodeStatus::dropped;
  }
  outer.restore(w);
  if (inner == DecodeStatus::dropped) {
    ++w.counters.inner_dropped_by[static_cast<std::size_t>(w.out.drop)];
  } else {
    ++w.counters.tunnel_not_ip;
  }
  return DecodeStatus::ok;
}

// ICMP errors quote the offending packet's IP header (RFC 792; RFC 4443 §3); its addresses go
// into ips[] without changing the flow fields.
void record_quote(LayerWalk& w, const std::uint8_t* q, std::size_t len) noexcept {
  if (len < 1) return;
  const unsigned version = q[0] >> 4;
  if (version == 4 && len >= 20 && (q[0] & 0x0F) >= 5) {
    if (!push_ip(w, 4, q + 12, q + 16)) ++w.counters.quotes_not_recorded;
  } else if (version == 6 && len >= 40) {
    if (!push_ip(w, 6, q + 8, q + 24)) ++w.counters.quotes_not_recorded;
  }
}

DecodeStatus decode_transport(LayerWalk& w, std::uint8_t proto, const std::uint8_t* p,
                              std::size_t len, bool truncated) noexcept {
  PacketView& v = w.out;
  // A header that ends before the datagram does is malformed; one cut by the capture is
  // truncated.
  const DropReason short_header = truncated ? DropReason::truncated_l4 : DropReason::bad_l4_header;
  switch (proto) {
    case 6: {  // TCP, RFC 9293 §3.1
      if (len < 20) return drop(w, short_header);
      const std::size_t data_offset = static_cast<std::size_t>(p[12] >> 4) * 4;
      if (data_offset < 20) return drop(w, DropReason::bad_l4_header);
      if (data_offset > len) return drop(w, short_header);
      v.src_port = be16(p);
      v.dst_port = be16(p + 2);
      v.tcp_seq = be32(p + 4);
      v.tcp_ack = be32(p + 8);
      v.tcp_flags = p[13];
      v.payload = p + data_offset;
      v.payload_len = len - data_offset;
      return DecodeStatus::ok;
    }
    case 17: {  // UDP, RFC 768
      if (len < 8) return drop(w, short_header);
      v.src_port = be16(p);
      v.dst_port = be16(p + 2);
      std::size_t payload_len = len - 8;
      // The UDP Length bounds the payload when it is shorter than the IP payload (0 is used by
      // RFC 2675 jumbograms; a longer one is ignored in favour of the IP length).
      const std::size_t udp_len = be16(p + 4);
      if (udp_len >= 8 && udp_len - 8 < payload_len) payload_len = udp_len - 8;
      v.payload = p + 8;
      v.payload_len = payload_len;
      FlowSnapshot outer;
      outer.take(w);
      bool tunnel = false;
      const DecodeStatus inner =
          decode_udp_tunnel(w, v.src_port, v.dst_port, p + 8, payload_len, tunnel);
      return tunnel ? finish_tunnel(w, outer, inner) : DecodeStatus::ok;
    }
    case 1:  // ICMP, RFC 792: Destination Unreachable, Source Quench, Redirect, Time Exceeded,
             // Parameter Problem quote the IP header after an 8-byte ICMP header.
      if (len >= 8 && (p[0] == 3 || p[0] == 4 || p[0] == 5 || p[0] == 11 || p[0] == 12))
        record_quote(w, p + 8, len - 8);
      return DecodeStatus::ok;
    case 58:  // ICMPv6, RFC 4443 §2.1: error messages are types 0..127.
      if (len >= 8 && p[0] < 128) record_quote(w, p + 8, len - 8);
      return DecodeStatus::ok;
    case 4:    // IPv4 in IP (RFC 2003) or in IPv6 (RFC 2473)
    case 41: { // IPv6 in IPv4 (RFC 4213 §3.5) or in IPv6 (RFC 2473)
      FlowSnapshot outer;
      outer.take(w);
      const DecodeStatus inner = proto == 4 ? decode_ipv4(w, p, len) : decode_ipv6(w, p, len);
      return finish_tunnel(w, outer, inner);
    }
    case 47: {  // GRE
      FlowSnapshot outer;
      outer.take(w);
      return finish_tunnel(w, outer, decode_gre(w, p, len));
    }
    default:
      return DecodeStatus::ok;  // ESP, SCTP, ...: the flow is keyed without ports
  }
}

DecodeStatus fragment_result(LayerWalk& w, FragmentResult r) noexcept {
  switch (r) {
    case FragmentResult::held:
    case FragmentResult::duplicate: return DecodeStatus::held;
    case FragmentResult::overflow: return drop(w, DropReason::fragment_overflow);
    case FragmentResult::bad: return drop(w, DropReason::fragment_bad);
    case FragmentResult::complete: break;
  }
  ++w.reassembled;
  return DecodeStatus::ok;
}

}  // namespace

DecodeStatus decode_ip(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  if (len < 1) return drop(w, DropReason::truncated_ip);
  switch (p[0] >> 4) {
    case 4: return decode_ipv4(w, p, len);
    case 6: return decode_ipv6(w, p, len);
    default: return drop(w, DropReason::bad_ip_header);
  }
}

DecodeStatus decode_ipv4(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  // RFC 791 §3.1: 20-byte minimum header, IHL in 32-bit words (at least 5), Total Length
  // covering header and data.
  if (len < 20) return drop(w, DropReason::truncated_ip);
  if ((p[0] >> 4) != 4) return drop(w, DropReason::bad_ip_header);
  std::size_t ihl = static_cast<std::size_t>(p[0] & 0x0F) * 4;
  if (ihl < 20) return drop(w, DropReason::bad_ip_header);
  if (ihl > len) return drop(w, DropReason::truncated_ip);
  std::size_t total = be16(p + 2);
  // Total Length 0 is what TCP segmentation offload leaves in captures taken on the sender;
  // the captured length stands in for it.
  if (total == 0) total = len;
  if (total < ihl) return drop(w, DropReason::bad_ip_header);
  if (!push_ip(w, 4, p + 12, p + 16)) return drop(w, DropReason::tunnel_too_deep);
  const std::uint8_t index = static_cast<std::uint8_t>(w.out.ip_count - 1);
  bool truncated = total > len;
  std::size_t end = truncated ? len : total;

  const std::uint16_t frag = be16(p + 6);
  // MF set or Fragment Offset nonzero: a fragment (RFC 791 §3.2). A first fragment cut short by
  // the capture cannot be reassembled; it is reported as a truncated packet, so its transport
  // header and the start of its payload are not lost.
  if ((frag & 0x3FFF) != 0 && !(truncated && (frag & 0x1FFF) == 0)) {
    if (truncated) return drop(w, DropReason::truncated_ip);
    Fragment f;
    f.family = 4;
    f.src = p + 12;
    f.dst = p + 16;
    f.id = be16(p + 4);
    f.protocol = p[9];
    f.offset = std::uint32_t{frag & 0x1FFFu} * 8;
    f.more = (frag & 0x2000) != 0;
    f.header = p;
    f.header_len = ihl;
    f.data = p + ihl;
    f.data_len = total - ihl;
    const std::uint8_t* datagram = nullptr;
    std::size_t datagram_len = 0;
    const DecodeStatus s = fragment_result(w, w.fragments.add(f, w.ts, datagram, datagram_len));
    if (s != DecodeStatus::ok) return s;
    // The rebuilt header is the first fragment's, whose options may differ from this one's.
    p = datagram;
    ihl = static_cast<std::size_t>(p[0] & 0x0F) * 4;
    total = end = datagram_len;
    truncated = false;
  } else if ((frag & 0x3FFF) != 0) {
    ++w.counters.truncated_first_fragments;
  }
  set_flow(w, p, total, 4, index, p[9], truncated);
  return decode_transport(w, p[9], p + ihl, end - ihl, truncated);
}

DecodeStatus decode_ipv6(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  // RFC 8200 §3: 40-byte fixed header; Payload Length counts what follows it.
  if (len < 40) return drop(w, DropReason::truncated_ip);
  if ((p[0] >> 4) != 6) return drop(w, DropReason::bad_ip_header);
  if (!push_ip(w, 6, p + 8, p + 24)) return drop(w, DropReason::tunnel_too_deep);
  const std::uint8_t index = static_cast<std::uint8_t>(w.out.ip_count - 1);
  const std::size_t payload_length = be16(p + 4);
  std::size_t total = 40 + payload_length;
  // RFC 2675 §3: Payload Length 0 with a Hop-by-Hop header is a jumbogram; its Jumbo Payload
  // option is not read, the captured length stands in for it.
  if (payload_length == 0 && p[6] == 0) total = len;
  bool truncated = total > len;
  std::size_t end = truncated ? len : total;

  std::uint8_t next = p[6];
  std::size_t off = 40;
  bool reassembled = false;
  for (unsigned count = 0;; ++count) {
    if (count > kMaxIpv6Extensions) return drop(w, DropReason::bad_ipv6_ext);
    std::size_t ext_len = 0;
    switch (next) {
      case 0:    // Hop-by-Hop Options (RFC 8200 §4.3)
      case 43:   // Routing (§4.4)
      case 60:   // Destination Options (§4.6)
      case 135:  // Mobility (RFC 6275 §6.1.1)
      case 139:  // HIP (RFC 7401 §5.1)
      case 140:  // Shim6 (RFC 5533 §5.1)
        // Hdr Ext Len in 8-octet units, not counting the first 8 octets.
        if (off + 8 > total) return drop(w, DropReason::bad_ipv6_ext);
        if (off + 8 > end) return drop(w, DropReason::truncated_ip);
        ext_len = (std::size_t{p[off + 1]} + 1) * 8;
        break;
      case 51:  // Authentication Header (RFC 4302 §2.2): Payload Len in 4-octet units minus 2.
        if (off + 8 > total) return drop(w, DropReason::bad_ipv6_ext);
        if (off + 8 > end) return drop(w, DropReason::truncated_ip);
        ext_len = (std::size_t{p[off + 1]} + 2) * 4;
        break;
      case 44: {  // Fragment (RFC 8200 §4.5): 8 bytes.
        if (off + 8 > total) return drop(w, DropReason::bad_ipv6_ext);
        if (off + 8 > end) return drop(w, DropReason::truncated_ip);
        const std::uint16_t offset_flags = be16(p + off + 2);
        const std::uint8_t fragment_next = p[off];
        if ((offset_flags & 0xFFF9) == 0) {
          // RFC 6946 §4: an atomic fragment (offset 0, M clear) is processed as a whole packet.
          next = fragment_next;
          off += 8;
          continue;
        }
        if (reassembled) return drop(w, DropReason::bad_ipv6_ext);  // a second fragment header
        if (truncated) {
          // As for IPv4: a first fragment cut short is reported as a truncated packet.
          if ((offset_flags & 0xFFF8) != 0) return drop(w, DropReason::truncated_ip);
          ++w.counters.truncated_first_fragments;
          next = fragment_next;
          off += 8;
          continue;
        }
        Fragment f;
        f.family = 6;
        f.src = p + 8;
        f.dst = p + 24;
        f.id = be32(p + off + 4);
        f.protocol = fragment_next;
        f.offset = offset_flags & 0xFFF8;
        f.more = (offset_flags & 0x0001) != 0;
        f.header = p;
        f.header_len = 40;
        f.unfragmentable_len = off - 40;
        f.data = p + off + 8;
        f.data_len = total - off - 8;
        const std::uint8_t* datagram = nullptr;
        std::size_t datagram_len = 0;
        const DecodeStatus s = fragment_result(w, w.fragments.add(f, w.ts, datagram, datagram_len));
        if (s != DecodeStatus::ok) return s;
        // The reassembled packet: fixed header, then the fragmentable part.
        p = datagram;
        total = end = datagram_len;
        truncated = false;
        next = p[6];
        off = 40;
        reassembled = true;
        continue;
      }
      default:
        // Upper layer (or No Next Header 59, ESP 50): the chain ends.
        set_flow(w, p, total, 6, index, next, truncated);
        return decode_transport(w, next, p + off, end - off, truncated);
    }
    if (off + ext_len > total) return drop(w, DropReason::bad_ipv6_ext);
    if (off + ext_len > end) return drop(w, DropReason::truncated_ip);
    next = p[off];
    off += ext_len;
  }
}

}  // namespace outpost::capture::decode_detail
