// Tunnels: GRE (with ERSPAN, PPTP and Aruba payloads) and the UDP tunnels VXLAN, Geneve, GTP-U,
// Teredo and CAPWAP data. Each checks its header strictly enough that ordinary traffic on the
// same port is not mistaken for it (then not_ip: the caller keeps the outer packet).

#include <algorithm>

#include "capture/decode/layer_walk.h"
#include "capture/decode/wire.h"

namespace outpost::capture::decode_detail {

namespace {

using wire::be16;

// Aruba's GRE protocol types for 802.11 frames (Wireshark's gre_typevals list 0x8200..0x8370 in
// steps of 0x10, and 0x9000); zeek__gre-aruba uses 0x8200.
bool aruba_wlan(std::uint16_t protocol) noexcept {
  return (protocol >= 0x8200 && protocol <= 0x8370 && (protocol & 0x000F) == 0) || protocol == 0x9000;
}

// ERSPAN (draft-foschiano-erspan-03). Type II §4.2: 8-byte header, version 1. Type III §4.3:
// 12-byte header, version 2, an 8-byte platform-specific subheader when O is set, frame type
// 0 = Ethernet.
DecodeStatus decode_erspan(LayerWalk& w, std::uint16_t protocol, bool has_sequence,
                           const std::uint8_t* p, std::size_t len) noexcept {
  if (protocol == 0x88BE) {
    if (!has_sequence) return decode_ethernet(w, p, len);  // type I: no ERSPAN header
    if (len < 8) return drop(w, DropReason::truncated_l4);
    if ((p[0] >> 4) != 1) return drop(w, DropReason::bad_tunnel_header);
    return decode_ethernet(w, p + 8, len - 8);
  }
  if (len < 12) return drop(w, DropReason::truncated_l4);
  if ((p[0] >> 4) != 2) return drop(w, DropReason::bad_tunnel_header);
  const unsigned frame_type = (p[10] >> 2) & 0x1F;
  std::size_t hlen = 12;
  if (p[11] & 0x01) hlen += 8;
  if (len < hlen) return drop(w, DropReason::truncated_l4);
  if (frame_type != 0) return DecodeStatus::not_ip;
  return decode_ethernet(w, p + hlen, len - hlen);
}

// VXLAN, RFC 7348 §5: 8-byte header whose I flag must be set; an Ethernet frame follows.
DecodeStatus decode_vxlan(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  if (len < 8) return DecodeStatus::not_ip;
  if ((p[0] & 0x08) == 0) return DecodeStatus::not_ip;
  return decode_ethernet(w, p + 8, len - 8);
}

// Geneve, RFC 8926 §3.4: version 0, options length in 4-byte units, protocol type.
DecodeStatus decode_geneve(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  if (len < 8) return DecodeStatus::not_ip;
  if ((p[0] >> 6) != 0) return DecodeStatus::not_ip;
  const std::size_t hlen = 8 + static_cast<std::size_t>(p[0] & 0x3F) * 4;
  if (hlen > len) return drop(w, DropReason::truncated_l4);
  const std::uint16_t protocol = be16(p + 2);
  if (protocol == 0x6558) return decode_ethernet(w, p + hlen, len - hlen);
  return decode_ethertype(w, protocol, p + hlen, len - hlen);
}

// GTP-U, 3GPP TS 29.281 §5.1: version 1, PT 1; only G-PDUs (type 255) carry user packets. With
// any of E, S, PN set the optional 4 bytes are present; extension headers (§5.2) follow while
// the next-extension type is nonzero, each with its length in 4-byte units.
DecodeStatus decode_gtpu(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  if (len < 8) return DecodeStatus::not_ip;
  const std::uint8_t flags = p[0];
  if ((flags >> 5) != 1 || (flags & 0x10) == 0) return DecodeStatus::not_ip;
  if (p[1] != 0xFF) return DecodeStatus::not_ip;
  const std::size_t end = std::min<std::size_t>(len, 8 + std::size_t{be16(p + 2)});
  std::size_t off = 8;
  if (flags & 0x07) {
    if (end < 12) return drop(w, DropReason::truncated_l4);
    off = 12;
    std::uint8_t next_type = (flags & 0x04) ? p[11] : 0;
    for (unsigned n = 0; next_type != 0; ++n) {
      if (n >= kMaxGtpExtensions) return drop(w, DropReason::bad_tunnel_header);
      if (off >= end) return drop(w, DropReason::truncated_l4);
      const std::size_t ext_len = std::size_t{p[off]} * 4;
      if (ext_len == 0) return drop(w, DropReason::bad_tunnel_header);
      if (off + ext_len > end) return drop(w, DropReason::truncated_l4);
      next_type = p[off + ext_len - 1];
      off += ext_len;
    }
  }
  if (off >= end) return DecodeStatus::not_ip;  // no T-PDU (e.g. an echo in a G-PDU shape)
  const unsigned version = p[off] >> 4;
  if (version != 4 && version != 6) return DecodeStatus::not_ip;
  return decode_ip(w, p + off, end - off);
}

// Teredo, RFC 4380 §5.1.1: an optional authentication indicator and an optional origin
// indication precede one IPv6 packet that fills the rest of the datagram.
DecodeStatus decode_teredo(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  std::size_t off = 0;
  if (len >= 4 && be16(p) == 0x0001) {
    // Indicator type 1, ID-len, AU-len, client identifier, authentication value, nonce (8),
    // confirmation (1).
    off = 4 + std::size_t{p[2]} + p[3] + 8 + 1;
    if (off > len) return DecodeStatus::not_ip;
  }
  if (len - off >= 8 && be16(p + off) == 0x0000) off += 8;  // origin indication
  if (len - off < 40 || (p[off] >> 4) != 6) return DecodeStatus::not_ip;
  if (40 + std::size_t{be16(p + off + 4)} != len - off) return DecodeStatus::not_ip;
  return decode_ipv6(w, p + off, len - off);
}

// CAPWAP data channel, RFC 5415 §4.3: preamble (version 0, type 0 = CAPWAP header; 1 = DTLS,
// encrypted), HLEN in 4-byte words, WBID, T (native frame of the binding, else 802.3), F
// (fragment), K (keep-alive).
DecodeStatus decode_capwap(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  if (len < 8) return DecodeStatus::not_ip;
  if ((p[0] >> 4) != 0 || (p[0] & 0x0F) != 0) return DecodeStatus::not_ip;
  const std::size_t hlen = static_cast<std::size_t>(p[1] >> 3) * 4;
  const unsigned binding = (p[2] >> 1) & 0x1F;
  const bool native = p[2] & 0x01;
  const bool fragment = p[3] & 0x80;
  const bool keepalive = p[3] & 0x08;
  if (hlen < 8) return drop(w, DropReason::bad_tunnel_header);
  if (hlen > len) return drop(w, DropReason::truncated_l4);
  if (fragment || keepalive) return DecodeStatus::not_ip;
  if (!native) return decode_ethernet(w, p + hlen, len - hlen);
  if (binding == 1) return decode_ieee80211(w, p + hlen, len - hlen, true, false);  // IEEE 802.11
  return DecodeStatus::not_ip;
}

}  // namespace

DecodeStatus decode_gre(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept {
  if (!enter_layer(w)) return drop(w, DropReason::tunnel_too_deep);
  if (len < 4) return drop(w, DropReason::truncated_l4);
  const std::uint16_t flags = be16(p);
  const std::uint16_t protocol = be16(p + 2);
  const bool checksum = flags & 0x8000;
  const bool routing = flags & 0x4000;
  const bool key = flags & 0x2000;
  const bool sequence = flags & 0x1000;
  std::size_t hlen = 4;
  switch (flags & 0x0007) {
    case 0:
      // RFC 2784 §2.1 / RFC 2890 §2: Checksum (+Reserved1), Key, Sequence Number, 4 bytes each.
      // RFC 1701 source routing is obsolete and not followed.
      if (routing) return DecodeStatus::not_ip;
      hlen += (checksum ? 4 : 0) + (key ? 4 : 0) + (sequence ? 4 : 0);
      break;
    case 1:
      // RFC 2637 §4.1 enhanced GRE (PPTP): Key (payload length, call id) required, optional
      // Sequence and Acknowledgment numbers, PPP only.
      if (checksum || routing || !key || protocol != 0x880B) return drop(w, DropReason::bad_tunnel_header);
      hlen += 4 + (sequence ? 4 : 0) + ((flags & 0x0080) ? 4 : 0);
      break;
    default:
      return drop(w, DropReason::bad_tunnel_header);
  }
  if (hlen > len) return drop(w, DropReason::truncated_l4);
  p += hlen;
  len -= hlen;
  if (protocol == 0x88BE || protocol == 0x22EB) return decode_erspan(w, protocol, sequence, p, len);
  if (aruba_wlan(protocol)) return decode_ieee80211(w, p, len, false, false);
  return decode_ethertype(w, protocol, p, len);  // IPv4, IPv6, 0x6558 Ethernet, PPP, MPLS, ...
}

DecodeStatus decode_udp_tunnel(LayerWalk& w, std::uint16_t src_port, std::uint16_t dst_port,
                               const std::uint8_t* p, std::size_t len, bool& recognised) noexcept {
  recognised = true;
  auto either = [&](std::uint16_t port) { return src_port == port || dst_port == port; };
  DecodeStatus (*decoder)(LayerWalk&, const std::uint8_t*, std::size_t) = nullptr;
  if (either(4789)) decoder = decode_vxlan;        // RFC 7348 §5 (IANA port)
  else if (either(6081)) decoder = decode_geneve;  // RFC 8926 §3.3
  else if (either(2152)) decoder = decode_gtpu;    // 3GPP TS 29.281 §4.4.2.3
  else if (either(3544)) decoder = decode_teredo;  // RFC 4380: the Teredo server port
  else if (either(5247)) decoder = decode_capwap;  // RFC 5415 §3.1 (data channel)
  if (decoder == nullptr) {
    recognised = false;
    return DecodeStatus::ok;
  }
  if (!enter_layer(w)) return drop(w, DropReason::tunnel_too_deep);
  return decoder(w, p, len);
}

}  // namespace outpost::capture::decode_detail
