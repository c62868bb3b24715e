#pragma once
// Internal to capture/decode: the state one decode() call carries through the layer decoders
// (link_layers.cpp, ip_layers.cpp, tunnels.cpp). Each decoder gets the bytes of its layer
// (pointer + captured length, never beyond the enclosing layer) and returns a DecodeStatus.

#include <cstddef>
#include <cstdint>

#include "capture/decode/fragment_reassembler.h"
#include "capture/decode/packet.h"
#include "capture/decode/packet_decoder.h"

namespace outpost::capture::decode_detail {

// Encapsulation headers of any kind in one frame (VLAN tags, MPLS labels, tunnels...).
inline constexpr unsigned kMaxLayers = 40;
inline constexpr unsigned kMaxVlanTags = 8;
inline constexpr unsigned kMaxMplsLabels = 16;
inline constexpr unsigned kMaxIpv6Extensions = 16;
inline constexpr unsigned kMaxGtpExtensions = 8;
inline constexpr unsigned kMaxNflogTlvs = 64;

struct LayerWalk {
  PacketView& out;
  FragmentReassembler& fragments;
  DecoderCounters& counters;
  TimeUs ts = 0;
  bool frame_complete = false;   // caplen == wire_len (the link trailer, e.g. an FCS, is there)
  unsigned layers = 0;
  bool vlan_seen = false;
  std::uint8_t flow_index = 0;   // ips[] index of the header that set the flow fields
  unsigned reassembled = 0;      // datagrams completed during this frame

  LayerWalk(PacketView& o, FragmentReassembler& f, DecoderCounters& c) : out(o), fragments(f), counters(c) {}
};

inline DecodeStatus drop(LayerWalk& w, DropReason reason) noexcept {
  w.out.drop = reason;
  return DecodeStatus::dropped;
}

// Counts one more encapsulation header; false when the frame has too many.
inline bool enter_layer(LayerWalk& w) noexcept { return ++w.layers <= kMaxLayers; }

// Link layers (link_layers.cpp).
bool link_supported(int dlt) noexcept;
DecodeStatus decode_link(LayerWalk& w, int dlt, const std::uint8_t* p, std::size_t len, bool inside_ppi) noexcept;
DecodeStatus decode_ethernet(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept;
DecodeStatus decode_ethertype(LayerWalk& w, std::uint16_t type, const std::uint8_t* p, std::size_t len) noexcept;
DecodeStatus decode_ppp(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept;
// capwap: the frame came from CAPWAP, whose Cisco variant byte-swaps the Frame Control field.
// pad: radiotap said the body starts on a 4-byte boundary.
DecodeStatus decode_ieee80211(LayerWalk& w, const std::uint8_t* p, std::size_t len, bool capwap, bool pad) noexcept;

// IP and transport (ip_layers.cpp).
DecodeStatus decode_ip(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept;  // by version nibble
DecodeStatus decode_ipv4(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept;
DecodeStatus decode_ipv6(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept;

// Tunnels (tunnels.cpp). Both return not_ip when the bytes are not the tunnel they claim.
DecodeStatus decode_gre(LayerWalk& w, const std::uint8_t* p, std::size_t len) noexcept;
// Decodes a UDP payload as a tunnel when a port names one; recognised says whether one did.
DecodeStatus decode_udp_tunnel(LayerWalk& w, std::uint16_t src_port, std::uint16_t dst_port,
                               const std::uint8_t* p, std::size_t len, bool& recognised) noexcept;

}  // namespace outpost::capture::decode_detail
