#include "capture/flow/flow_key.h"

#include <cstring>

namespace outpost::capture {

namespace {

std::size_t address_size(std::uint8_t family) noexcept { return family == 6 ? 16 : 4; }

// Orders endpoints by address bytes, then port; negative when a < b.
int compare_endpoints(const std::uint8_t* addr_a, std::uint16_t port_a, const std::uint8_t* addr_b,
                      std::uint16_t port_b) noexcept {
  const int c = std::memcmp(addr_a, addr_b, 16);
  if (c != 0) return c;
  return static_cast<int>(port_a) - static_cast<int>(port_b);
}

void fill_key(FlowKey& key, std::uint8_t l4_proto, std::uint8_t family, const std::uint8_t* src,
              std::uint16_t src_port, const std::uint8_t* dst, std::uint16_t dst_port,
              std::uint16_t vlan, bool& src_is_endpoint0) noexcept {
  std::uint8_t a[16] = {};
  std::uint8_t b[16] = {};
  std::memcpy(a, src, address_size(family));
  std::memcpy(b, dst, address_size(family));
  src_is_endpoint0 = compare_endpoints(a, src_port, b, dst_port) <= 0;
  const std::uint8_t* lo = src_is_endpoint0 ? a : b;
  const std::uint8_t* hi = src_is_endpoint0 ? b : a;
  std::memcpy(key.addr[0], lo, 16);
  std::memcpy(key.addr[1], hi, 16);
  key.port[0] = src_is_endpoint0 ? src_port : dst_port;
  key.port[1] = src_is_endpoint0 ? dst_port : src_port;
  key.vlan = vlan;
  key.l4_proto = l4_proto;
  key.family = family;
}

constexpr std::uint64_t rotl(std::uint64_t x, int b) noexcept { return (x << b) | (x >> (64 - b)); }

struct SipState {
  std::uint64_t v0, v1, v2, v3;
  void round() noexcept {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  }
  void compress(std::uint64_t m) noexcept {
    v3 ^= m;
    round();  // c = 1
    v0 ^= m;
  }
};

std::uint64_t load_le64(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// splitmix64 step: expands the 64-bit seed into SipHash's second key half.
std::uint64_t mix_seed(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

FlowEndpoint FlowKey::endpoint(std::size_t i) const noexcept {
  FlowEndpoint e;
  const std::size_t side = i == 0 ? 0 : 1;
  e.ip.family = family;
  std::memcpy(e.ip.bytes, addr[side], address_size(family));
  e.port = port[side];
  return e;
}

bool operator==(const FlowKey& a, const FlowKey& b) noexcept {
  return a.l4_proto == b.l4_proto && a.family == b.family && a.vlan == b.vlan &&
         a.port[0] == b.port[0] && a.port[1] == b.port[1] &&
         std::memcmp(a.addr, b.addr, sizeof a.addr) == 0;
}

bool flow_key_of(const PacketView& packet, FlowKey& key, bool& src_is_endpoint0) noexcept {
  if (packet.ip_version != 4 && packet.ip_version != 6) return false;
  if (packet.src.family != packet.ip_version || packet.dst.family != packet.ip_version) return false;
  fill_key(key, packet.l4_proto, packet.ip_version, packet.src.bytes, packet.src_port,
           packet.dst.bytes, packet.dst_port, packet.vlan, src_is_endpoint0);
  return true;
}

FlowKey flow_key_between(std::uint8_t l4_proto, const FlowEndpoint& a, const FlowEndpoint& b,
                         std::uint16_t vlan) noexcept {
  FlowKey key;
  bool ignored = false;
  fill_key(key, l4_proto, a.ip.family, a.ip.bytes, a.port, b.ip.bytes, b.port, vlan, ignored);
  return key;
}

std::uint64_t flow_key_hash(const FlowKey& key, std::uint64_t seed) noexcept {
  // 40 bytes: both addresses, both ports, VLAN (big-endian), protocol, family.
  std::uint8_t msg[40];
  std::memcpy(msg, key.addr[0], 16);
  std::memcpy(msg + 16, key.addr[1], 16);
  msg[32] = static_cast<std::uint8_t>(key.port[0] >> 8);
  msg[33] = static_cast<std::uint8_t>(key.port[0]);
  msg[34] = static_cast<std::uint8_t>(key.port[1] >> 8);
  msg[35] = static_cast<std::uint8_t>(key.port[1]);
  msg[36] = static_cast<std::uint8_t>(key.vlan >> 8);
  msg[37] = static_cast<std::uint8_t>(key.vlan);
  msg[38] = key.l4_proto;
  msg[39] = key.family;

  const std::uint64_t k0 = seed;
  const std::uint64_t k1 = mix_seed(seed);
  SipState s{k0 ^ 0x736F6D6570736575ull, k1 ^ 0x646F72616E646F6Dull, k0 ^ 0x6C7967656E657261ull,
             k1 ^ 0x7465646279746573ull};
  for (std::size_t off = 0; off < sizeof msg; off += 8) s.compress(load_le64(msg + off));
  // Final block: the message length in the top byte (40 is a multiple of 8, no tail bytes).
  s.compress(static_cast<std::uint64_t>(sizeof msg) << 56);
  s.v2 ^= 0xFF;
  s.round();  // d = 3
  s.round();
  s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace outpost::capture
