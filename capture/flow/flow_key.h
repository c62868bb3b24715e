#pragma once
// FlowKey: the canonical, direction-free identity of a bidirectional flow: IP protocol, the two
// endpoints (address + port) in a fixed order, and the outermost VLAN id. Both directions of a
// conversation produce the same key; the order of the endpoints in the key carries no meaning
// (who initiated is kept in the flow record, see flow_table.h).

#include <cstddef>
#include <cstdint>

#include "capture/decode/packet.h"

namespace outpost::capture {

struct FlowEndpoint {
  IpAddress ip;
  std::uint16_t port = 0;
};

struct FlowKey {
  // Endpoint 0 is the lower of the two (address bytes, then port); IPv4 uses bytes [0..3] and
  // leaves the rest zero so equal keys compare equal byte for byte.
  std::uint8_t addr[2][16] = {};
  std::uint16_t port[2] = {};
  std::uint16_t vlan = 0;
  std::uint8_t l4_proto = 0;
  std::uint8_t family = 0;  // 4 or 6

  FlowEndpoint endpoint(std::size_t i) const noexcept;
  friend bool operator==(const FlowKey& a, const FlowKey& b) noexcept;
  friend bool operator!=(const FlowKey& a, const FlowKey& b) noexcept { return !(a == b); }
};

// Builds the canonical key of the packet's innermost IP packet. `src_is_endpoint0` tells
// whether the packet travels from endpoint 0 to endpoint 1. Returns false when the packet has no
// IP layer to key on (non-IP frame, or a view the decoder did not fill).
bool flow_key_of(const PacketView& packet, FlowKey& key, bool& src_is_endpoint0) noexcept;

// Builds the key of a conversation from explicit endpoints (tests, lookups by the caller).
FlowKey flow_key_between(std::uint8_t l4_proto, const FlowEndpoint& a, const FlowEndpoint& b,
                         std::uint16_t vlan = 0) noexcept;

// SipHash-1-3 of the key under a 64-bit seed (expanded to SipHash's 128-bit key). A keyed hash,
// because the tuples come from the wire: with a secret seed an attacker cannot aim many flows at
// one bucket. The key is serialised byte by byte, so a seed gives the same hash on every CPU.
std::uint64_t flow_key_hash(const FlowKey& key, std::uint64_t seed) noexcept;

}  // namespace outpost::capture
