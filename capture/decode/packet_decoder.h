#pragma once
// PacketDecoder: one captured frame -> PacketView. Link layers (by pcap DLT), VLAN/MPLS/PPPoE,
// 802.11, IPv4/IPv6 with options and extension headers, TCP/UDP, ICMP error quotes, tunnels
// (GRE, ERSPAN, IP-in-IP, 6in4, VXLAN, Geneve, GTP-U, Teredo, CAPWAP) and bounded fragment
// reassembly. No allocation, no exceptions, no logging per frame; every malformed frame is
// counted by reason. See capture/decode/README.md for the rules followed.

#include <cstddef>
#include <cstdint>

#include "capture/decode/fragment_reassembler.h"
#include "capture/decode/packet.h"

namespace outpost::capture {

struct DecoderConfig {
  std::size_t max_fragment_datagrams = 64;
  std::size_t max_fragment_bytes = 256 * 1024;
  TimeUs fragment_timeout = 30'000'000;
};

struct DecoderCounters {
  std::uint64_t frames = 0;
  std::uint64_t ok = 0;
  std::uint64_t not_ip = 0;
  std::uint64_t held = 0;
  std::uint64_t dropped = 0;
  std::uint64_t dropped_by[kDropReasonCount] = {};  // frames with status dropped, by reason
  // Frames reported as the outer packet because the tunnel payload could not be decoded
  // (status ok, PacketView::drop says why), by reason.
  std::uint64_t inner_dropped_by[kDropReasonCount] = {};
  std::uint64_t tunnelled = 0;          // frames whose flow packet is inside a tunnel
  std::uint64_t tunnel_not_ip = 0;      // tunnels carrying no IP packet (outer reported)
  std::uint64_t wlan_protected = 0;     // 802.11 frames with the Protected bit (not_ip)
  std::uint64_t wlan_fragments = 0;     // later 802.11 MSDU fragments (not_ip)
  std::uint64_t truncated_first_fragments = 0;  // reported as truncated packets (ok)
  std::uint64_t quotes_not_recorded = 0;  // ICMP-quoted headers with ips[] already full
  FragmentCounters fragments;           // snapshot of the reassembler's counters
};

class PacketDecoder {
 public:
  // pcap link-layer types this decoder understands (DLT values as pcap_datalink() returns).
  static bool supports_link(int dlt) noexcept;

  explicit PacketDecoder(const DecoderConfig& config = {});
  PacketDecoder(const PacketDecoder&) = delete;
  PacketDecoder& operator=(const PacketDecoder&) = delete;

  // Decodes one frame of link type dlt: caplen bytes at frame are valid, wire_len is its
  // original length. Overwrites every field of out that this frame sets; ips[0, ip_count) are
  // filled whatever the status (every IP header read before the decoder stopped). The view
  // points into frame or into the reassembler's buffer and is valid until the next call.
  DecodeStatus decode(int dlt, const std::uint8_t* frame, std::size_t caplen,
                      std::uint32_t wire_len, TimeUs ts, PacketView& out) noexcept;

  const DecoderCounters& counters() const noexcept;
  // Bytes allocated at construction (the reassembler).
  std::size_t memory_bytes() const noexcept { return fragments_.memory_bytes(); }
  // Where reassembled datagrams live (for checking views).
  const std::uint8_t* reassembly_buffer() const noexcept { return fragments_.output_buffer(); }
  std::size_t reassembly_capacity() const noexcept { return fragments_.output_capacity(); }

 private:
  FragmentReassembler fragments_;
  mutable DecoderCounters counters_;
};

}  // namespace outpost::capture
