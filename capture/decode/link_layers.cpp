// Link layers by pcap DLT, Ethernet and its shims (802.1Q, MPLS, PPPoE, LLC/SNAP), PPP, Cisco
// HDLC, Linux cooked captures, NFLOG, PPI, radiotap and 802.11 data frames.

#include <algorithm>
#include <cstring>

#include "capture/decode/layer_walk.h"
#include "capture/decode/wire.h"

namespace outpost::capture::decode_detail {

namespace {

using wire::be16;
using wire::be32;
using wire::le16;
using wire::le32;

// pcap link-layer type numbers (https://www.tcpdump.org/linktypes.html). Where the LINKTYPE
// stored in files differs from the DLT libpcap returns, both are accepted.
constexpr int kDltNull = 0;
constexpr int kDltEthernet = 1;
constexpr int kDltPpp = 9;
constexpr int kDltRaw = 12;          // DLT_RAW on most systems
constexpr int kDltRawOpenBsd = 14;   // DLT_RAW on OpenBSD
constexpr int kDltPppSerial = 50;
constexpr int kLinktypeRaw = 101;
constexpr int kDltCiscoHdlc = 104;
constexpr int kDltIeee80211 = 105;
constexpr int kDltLoop = 108;
constexpr int kDltLinuxSll = 113;
constexpr int kDltRadiotap = 127;
constexpr int kDltPpi = 192;
constexpr int kDltIpv4 = 228;
constexpr int kDltIpv6 = 229;
constexpr int kDltNflog = 239;
constexpr int kDltLinuxSll2 = 276;

void copy_mac(std::uint8_t* to, const std::uint8_t* from) noexcept { std::memcpy(to, from, 6); }

// BSD loopback: the address family in the capturing host's byte order (DLT_NULL) or in network
// order (DLT_LOOP); either is accepted for both. IPv6 is 24, 28 or 30 depending on the BSD.
DecodeStatus decode_null(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  if (len < 4) return drop(w, DropReason::truncated_l2);
  std::uint32_t family = le32(p);
  if (family > 0xFFFF) family = be32(p);
  switch (family) {
    case 2: return decode_ipv4(w, p + 4, len - 4);
    case 24: case 28: case 30: return decode_ipv6(w, p + 4, len - 4);
    default: return DecodeStatus::not_ip;
  }
}

// IEEE 802.2 LLC; only SNAP (RFC 1042) carries an EtherType we follow.
DecodeStatus decode_llc(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  if (len < 3) return drop(w, DropReason::truncated_l2);
  if (p[0] != 0xAA || p[1] != 0xAA || p[2] != 0x03) return DecodeStatus::not_ip;
  if (len < 8) return drop(w, DropReason::truncated_l2);
  return decode_ethertype(w, be16(p + 6), p + 8, len - 8);
}

// RFC 1661 §2 protocol field, compressed to one byte when odd (§6.5 PFC).
DecodeStatus decode_ppp_protocol(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  if (len < 1) return drop(w, DropReason::truncated_l2);
  std::uint16_t protocol = p[0];
  std::size_t off = 1;
  if ((p[0] & 1) == 0) {
    if (len < 2) return drop(w, DropReason::truncated_l2);
    protocol = be16(p);
    off = 2;
  }
  switch (protocol) {
    case 0x0021: return decode_ipv4(w, p + off, len - off);
    case 0x0057: return decode_ipv6(w, p + off, len - off);
    case 0x0281:  // MPLS unicast, RFC 3032 §4.3
    case 0x0283: return decode_ethertype(w, 0x8847, p + off, len - off);
    default: return DecodeStatus::not_ip;  // LCP, IPCP, CHAP, ...
  }
}

// Cisco HDLC: address, control, then an EtherType.
DecodeStatus decode_chdlc(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  if (len < 4) return drop(w, DropReason::truncated_l2);
  return decode_ethertype(w, be16(p + 2), p + 4, len - 4);
}

// MPLS label stack (RFC 3032 §2.1), then the payload after the bottom of the stack.
DecodeStatus decode_mpls(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  std::uint32_t entry = 0;
  unsigned labels = 0;
  for (;;) {
    if (len < 4) return drop(w, DropReason::truncated_l2);
    entry = be32(p);
    p += 4;
    len -= 4;
    if (entry & 0x100) break;  // S bit
    if (++labels >= kMaxMplsLabels) return drop(w, DropReason::bad_l2_header);
  }
  // RFC 3032 §2.1: IPv4 (0) and IPv6 (2) Explicit NULL say what follows.
  const std::uint32_t label = entry >> 12;
  if (label == 0) return decode_ipv4(w, p, len);
  if (label == 2) return decode_ipv6(w, p, len);
  if (len < 1) return drop(w, DropReason::truncated_l2);
  switch (p[0] >> 4) {
    case 4: return decode_ipv4(w, p, len);
    case 6: return decode_ipv6(w, p, len);
    case 0:
      // RFC 4385 §3 pseudowire control word (first nibble 0), then the Ethernet frame of an
      // Ethernet pseudowire (RFC 4448 §3).
      if (len < 4) return drop(w, DropReason::truncated_l2);
      return decode_ethernet(w, p + 4, len - 4);
    default: return DecodeStatus::not_ip;
  }
}

// Radiotap (radiotap.org): little-endian header; we need its length and, from the Flags field,
// whether an FCS ends the frame and whether the 802.11 header is padded.
DecodeStatus decode_radiotap(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  if (len < 8) return drop(w, DropReason::truncated_l2);
  if (p[0] != 0) return drop(w, DropReason::bad_l2_header);  // it_version
  const std::size_t hlen = le16(p + 2);
  if (hlen < 8) return drop(w, DropReason::bad_l2_header);
  if (hlen > len) return drop(w, DropReason::truncated_l2);
  const std::uint32_t present = le32(p + 4);
  std::size_t off = 8;
  // Further presence words follow while bit 31 is set.
  for (std::uint32_t word = present; word & 0x80000000u;) {
    if (off + 4 > hlen) return drop(w, DropReason::bad_l2_header);
    word = le32(p + off);
    off += 4;
  }
  std::uint8_t flags = 0;
  if (present & 0x1) off = ((off + 7) & ~std::size_t{7}) + 8;  // TSFT: u64, 8-byte aligned
  if (present & 0x2) {
    if (off >= hlen) return drop(w, DropReason::bad_l2_header);
    flags = p[off];
  }
  std::size_t body = len - hlen;
  if ((flags & 0x10) && w.frame_complete) {  // the frame ends with a 4-byte FCS
    if (body < 4) return drop(w, DropReason::truncated_l2);
    body -= 4;
  }
  return decode_ieee80211(w, p + hlen, body, false, (flags & 0x20) != 0);
}

// PPI (Per-Packet Information): little-endian header naming the DLT of what follows.
DecodeStatus decode_ppi(LayerWalk& w, const std::uint8_t* p, std::size_t len, bool inside_ppi) noexcept {
  if (len < 8) return drop(w, DropReason::truncated_l2);
  if (p[0] != 0) return drop(w, DropReason::bad_l2_header);  // pph_version
  const std::size_t hlen = le16(p + 2);
  if (hlen < 8) return drop(w, DropReason::bad_l2_header);
  if (hlen > len) return drop(w, DropReason::truncated_l2);
  const std::uint32_t dlt = le32(p + 4);
  if (inside_ppi || dlt == kDltPpi || dlt > 0xFFFF) return drop(w, DropReason::unsupported_link);
  return decode_link(w, static_cast<int>(dlt), p + hlen, len - hlen, true);
}

// NFLOG: family, version, resource id, then TLVs whose length and type are in the capturing
// host's byte order (little-endian on nearly all hosts; detected from the first TLV). Type 9
// (NFULA_PAYLOAD) is the IP packet.
DecodeStatus decode_nflog(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  if (len < 4) return drop(w, DropReason::truncated_l2);
  if (p[1] != 0) return drop(w, DropReason::bad_l2_header);  // nflog_version
  const std::uint8_t family = p[0];
  std::size_t off = 4;
  bool little = true;
  if (len >= off + 4) {
    const std::size_t as_le = le16(p + off);
    little = as_le >= 4 && as_le <= len - off;
  }
  for (unsigned n = 0; n < kMaxNflogTlvs && off < len; ++n) {
    if (len - off < 4) return drop(w, DropReason::truncated_l2);
    const std::size_t tlen = little ? le16(p + off) : be16(p + off);
    const std::uint16_t type = (little ? le16(p + off + 2) : be16(p + off + 2)) & 0x3FFF;
    if (tlen < 4) return drop(w, DropReason::bad_l2_header);
    if (tlen > len - off) return drop(w, DropReason::truncated_l2);
    if (type == 9) {
      const std::uint8_t* ip = p + off + 4;
      const std::size_t ip_len = tlen - 4;
      if (family == 2) return decode_ipv4(w, ip, ip_len);    // AF_INET
      if (family == 10) return decode_ipv6(w, ip, ip_len);   // AF_INET6 (Linux)
      return decode_ip(w, ip, ip_len);
    }
    off += (tlen + 3) & ~std::size_t{3};
  }
  return DecodeStatus::not_ip;
}

DecodeStatus decode_raw(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  if (len < 1) return drop(w, DropReason::truncated_ip);
  return decode_ip(w, p, len);
}

}  // namespace

DecodeStatus decode_link(LayerWalk& w, int dlt, const std::uint8_t* p, std::size_t len,
                         bool inside_ppi) noexcept {
  switch (dlt) {
    case kDltEthernet: return decode_ethernet(w, p, len);
    case kDltNull:
    case kDltLoop: return decode_null(w, p, len);
    case kDltRaw:
    case kDltRawOpenBsd:
    case kLinktypeRaw: return decode_raw(w, p, len);
    case kDltIpv4: return decode_ipv4(w, p, len);
    case kDltIpv6: return decode_ipv6(w, p, len);
    case kDltPpp: return decode_ppp(w, p, len);
    case kDltPppSerial:
      // PPP in HDLC-like framing (RFC 1662), or Cisco HDLC framing on the same link type.
      if (len >= 1 && (p[0] == 0x0F || p[0] == 0x8F)) return decode_chdlc(w, p, len);
      return decode_ppp(w, p, len);
    case kDltCiscoHdlc: return decode_chdlc(w, p, len);
    case kDltLinuxSll: {
      // Linux cooked capture v1: packet type, ARPHRD, address length, 8 address bytes,
      // protocol. The link address is the sender's only, so no has_mac.
      if (len < 16) return drop(w, DropReason::truncated_l2);
      const std::uint16_t protocol = be16(p + 14);
      if (protocol == 0x0004) return decode_llc(w, p + 16, len - 16);  // 802.2 frame
      return decode_ethertype(w, protocol, p + 16, len - 16);
    }
    case kDltLinuxSll2: {
      // Linux cooked capture v2: protocol, reserved, ifindex, ARPHRD, type, address length,
      // 8 address bytes.
      if (len < 20) return drop(w, DropReason::truncated_l2);
      const std::uint16_t protocol = be16(p);
      if (protocol == 0x0004) return decode_llc(w, p + 20, len - 20);
      return decode_ethertype(w, protocol, p + 20, len - 20);
    }
    case kDltNflog: return decode_nflog(w, p, len);
    case kDltPpi: return decode_ppi(w, p, len, inside_ppi);
    case kDltIeee80211: return decode_ieee80211(w, p, len, false, false);
    case kDltRadiotap: return decode_radiotap(w, p, len);
    default: return drop(w, DropReason::unsupported_link);
  }
}

bool link_supported(int dlt) noexcept {
  switch (dlt) {
    case kDltEthernet: case kDltNull: case kDltLoop: case kDltRaw: case kDltRawOpenBsd:
    case kLinktypeRaw: case kDltIpv4: case kDltIpv6: case kDltPpp: case kDltPppSerial:
    case kDltCiscoHdlc: case kDltLinuxSll: case kDltLinuxSll2: case kDltNflog: case kDltPpi:
    case kDltIeee80211: case kDltRadiotap:
      return true;
    default:
      return false;
  }
}

DecodeStatus decode_ethernet(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  if (!enter_layer(w)) return drop(w, DropReason::tunnel_too_deep);
  if (len < 14) return drop(w, DropReason::truncated_l2);
  w.out.has_mac = true;
  copy_mac(w.out.dst_mac, p);
  copy_mac(w.out.src_mac, p + 6);
  const std::uint16_t type = be16(p + 12);
  // IEEE 802.3: values up to 1500 are a length and an LLC header follows; 1501..1535 are
  // undefined.
  if (type <= 1500) return decode_llc(w, p + 14, std::min<std::size_t>(len - 14, type));
  if (type < 0x0600) return DecodeStatus::not_ip;
  return decode_ethertype(w, type, p + 14, len - 14);
}

DecodeStatus decode_ethertype(LayerWalk& w, std::uint16_t type, const std::uint8_t* p,
                              std::size_t len) noexcept {
  unsigned tags = 0;
  for (;;) {
    if (!enter_layer(w)) return drop(w, DropReason::tunnel_too_deep);
    switch (type) {
      case 0x0800: return decode_ipv4(w, p, len);
      case 0x86DD: return decode_ipv6(w, p, len);
      case 0x8100:   // IEEE 802.1Q
      case 0x88A8:   // IEEE 802.1ad service tag
      case 0x9100:   // pre-standard QinQ
      case 0x9200: {
        if (len < 4) return drop(w, DropReason::truncated_l2);
        if (++tags > kMaxVlanTags) return drop(w, DropReason::bad_l2_header);
        if (!w.vlan_seen) {
          w.vlan_seen = true;
          w.out.vlan = be16(p) & 0x0FFF;
        }
        type = be16(p + 2);
        p += 4;
        len -= 4;
        continue;
      }
      case 0x8847:   // MPLS unicast / multicast (RFC 3032 §5)
      case 0x8848: return decode_mpls(w, p, len);
      case 0x8864: {
        // PPPoE session stage (RFC 2516 §4): VER=1, TYPE=1, CODE=0, session id, length; the
        // payload is a PPP protocol field and its data (§7).
        if (len < 6) return drop(w, DropReason::truncated_l2);
        if (p[0] != 0x11 || p[1] != 0x00) return drop(w, DropReason::bad_l2_header);
        const std::size_t payload = std::min<std::size_t>(be16(p + 4), len - 6);
        return decode_ppp_protocol(w, p + 6, payload);
      }
      case 0x880B: return decode_ppp(w, p, len);
      case 0x6558: return decode_ethernet(w, p, len);  // transparent Ethernet bridging
      default: return DecodeStatus::not_ip;             // ARP, PPPoE discovery, LLDP, ...
    }
  }
}

DecodeStatus decode_ppp(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  if (!enter_layer(w)) return drop(w, DropReason::tunnel_too_deep);
  // RFC 1662 §3.1: HDLC-like framing starts with address 0xFF and control 0x03, which may be
  // compressed away (RFC 1661 §6.6 ACFC).
  if (len >= 2 && p[0] == 0xFF && p[1] == 0x03) {
    p += 2;
    len -= 2;
  }
  return decode_ppp_protocol(w, p, len);
}

DecodeStatus decode_ieee80211(LayerWalk& w, const std::uint8_t* p, std::size_t len, bool capwap,
                              bool pad) noexcept {
  if (!enter_layer(w)) return drop(w, DropReason::tunnel_too_deep);
  if (len < 2) return drop(w, DropReason::truncated_l2);
  // IEEE 802.11-2016 §9.2.4.1: Frame Control, byte 0 = version (2 bits), type (2), subtype (4);
  // byte 1 = flags. Cisco's CAPWAP sends it byte-swapped; the flags byte then sits first and
  // shows a nonzero "version" (any of To DS, From DS, Protected set) while byte 1 reads as a
  // version-0 header.
  std::uint8_t fc0 = p[0];
  std::uint8_t fc1 = p[1];
  const bool swapped = capwap && (fc0 & 0x03) != 0 && (fc1 & 0x03) == 0;
  if (swapped) std::swap(fc0, fc1);
  if ((fc0 & 0x03) != 0) return drop(w, DropReason::bad_l2_header);
  const unsigned type = (fc0 >> 2) & 0x03;
  const unsigned subtype = fc0 >> 4;
  if (type != 2) return DecodeStatus::not_ip;            // management, control, extension
  if (subtype & 0x4) return DecodeStatus::not_ip;        // Null / QoS Null: no body
  if (fc1 & 0x40) {                                      // Protected Frame: WEP/TKIP/CCMP
    ++w.counters.wlan_protected;
    return DecodeStatus::not_ip;
  }
  const bool to_ds = fc1 & 0x01;
  const bool from_ds = fc1 & 0x02;
  const bool qos = subtype & 0x8;
  std::size_t hlen = (to_ds && from_ds) ? 30 : 24;       // Address 4 only in WDS frames
  const std::size_t qos_off = hlen;
  if (qos) hlen += 2;                                    // §9.2.4.5 QoS Control
  if (qos && (fc1 & 0x80)) hlen += 4;                    // §9.2.4.6 HT Control (+HTC/Order)
  if (len < hlen) return drop(w, DropReason::truncated_l2);
  // §9.2.4.4.1: only the first fragment of an MSDU carries the LLC header. The byte-swapping
  // Cisco variant writes Sequence Control big-endian as well.
  const std::uint16_t sequence_control = swapped ? be16(p + 22) : le16(p + 22);
  if ((sequence_control & 0x000F) != 0) {
    ++w.counters.wlan_fragments;
    return DecodeStatus::not_ip;
  }
  // §9.3.2.1 Table 9-26: which address is DA and which is SA by the DS bits.
  const std::uint8_t* a1 = p + 4;
  const std::uint8_t* a2 = p + 10;
  const std::uint8_t* a3 = p + 16;
  const std::uint8_t* da = to_ds ? a3 : a1;
  const std::uint8_t* sa = from_ds ? (to_ds ? p + 24 : a3) : a2;
  if (pad) hlen = (hlen + 3) & ~std::size_t{3};
  if (len < hlen) return drop(w, DropReason::truncated_l2);
  const std::uint8_t* body = p + hlen;
  std::size_t body_len = len - hlen;
  if (qos && (p[qos_off] & 0x80)) {
    // §9.3.2.2: an A-MSDU; the first subframe header (DA, SA, length) precedes its LLC.
    if (body_len < 14) return drop(w, DropReason::truncated_l2);
    da = body;
    sa = body + 6;
    body_len = std::min<std::size_t>(body_len - 14, be16(body + 12));
    body += 14;
  }
  w.out.has_mac = true;
  copy_mac(w.out.dst_mac, da);
  copy_mac(w.out.src_mac, sa);
  return decode_llc(w, body, body_len);
}

}  // namespace outpost::capture::decode_detail
