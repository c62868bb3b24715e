// IPv4 / IPv6 addresses and networks. One table keyed by (network bytes, prefix length) plus a
// bitmap of the prefix lengths present (meta()); a lookup masks the observed address to each
// present length, longest first, and reports every entry found (any-prefix match: each CIDR is
// its own indicator). At most 32 (IPv4) or 128 (IPv6) probes. IPv4 single addresses (most of
// every feed) sit in a family of their own keyed by the 4 address bytes alone; IPv4 networks
// in a second family, with the prefix lengths known per /16 (those of the networks that lie
// in or cover it), so a lookup probes the address and exactly the network lengths that can
// match there.

#include <array>
#include <memory>

#include "rules/sets/modules.h"
#include "rules/sets/table.h"

namespace outpost::rules::sets {
namespace {

template <std::size_t Bytes>
class AddressSet final : public TermSet {
  static constexpr unsigned kBits = Bytes * 8;
  static constexpr std::uint8_t kFamily = Bytes == 4 ? 4 : 6;

 public:
  // IPv4: family 0 single addresses (4-byte keys), family 1 networks (address + length).
  // IPv6: family 0, address + length for all.
  static constexpr std::size_t kNetworks = Bytes == 4 ? 1 : 0;

  explicit AddressSet(MemoryBudget& budget)
      : TermSet(Bytes == 4 ? IndicatorType::ipv4 : IndicatorType::ipv6, budget,
                Bytes == 4 ? std::vector<FamilySpec>{{RecordLayout::fixed, 4, &hash_bytes}, {RecordLayout::fixed, 5, &hash_bytes}}
                           : std::vector<FamilySpec>{{RecordLayout::fixed, Bytes + 1, &hash_bytes}}) {}

  void lookup(std::string_view observed, TermVisitor& visitor) const override {
    if (empty()) return;
    IpAddress ip;
    if (parse_ip(observed, ip)) lookup_address(ip, visitor);
  }

  void lookup_address(const IpAddress& address, TermVisitor& visitor) const override {
    if (empty()) return;
    IpAddress ip = address;
    if (kFamily == 4 && ip.family == 6) {
      // An IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) is that IPv4 address.
      static const std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
      if (std::memcmp(ip.bytes, mapped, 12) != 0) return;
      std::memmove(ip.bytes, ip.bytes + 12, 4);
      ip.family = 4;
    }
    if (ip.family != kFamily) return;
    if constexpr (Bytes == 4) {
      lookup_ipv4(ip, visitor);
      return;
    }
    // The full-length entry first; shorter prefixes only where one covers the address's top
    // 16 bits (most addresses are in no listed network, and most listed entries are single
    // addresses). Probes are prefetched, then read longest first.
    struct Probe {
      std::uint8_t key[Bytes + 1];
      std::uint32_t hash;
    };
    Probe probes[kBits + 1];
    std::size_t count = 0;
    const unsigned top16 = static_cast<unsigned>(ip.bytes[0]) << 8 | ip.bytes[1];
    const bool covered = (coverage_[top16 / 64] >> (top16 % 64) & 1) != 0;
    for (unsigned len = kBits; len >= 1; --len) {
      if ((meta_[len / 64] >> (len % 64) & 1) == 0) continue;
      if (len != kBits && !covered) break;
      Probe& p = probes[count++];
      for (unsigned i = 0; i < Bytes; ++i) {
        const unsigned bit0 = i * 8;
        std::uint8_t mask = 0;
        if (bit0 + 8 <= len) mask = 0xff;
        else if (bit0 < len) mask = static_cast<std::uint8_t>(0xff << (8 - (len - bit0)));
        p.key[i] = static_cast<std::uint8_t>(ip.bytes[i] & mask);
      }
      p.key[Bytes] = static_cast<std::uint8_t>(len);
      p.hash = hash_bytes(p.key, Bytes + 1);
      table_for(0, p.hash).prefetch(p.hash);
    }
    for (std::size_t k = 0; k < count; ++k) {
      char text[64];
      std::size_t text_len = 0;
      const Probe& p = probes[k];
      table_for(0, p.hash).find(p.hash, p.key, [&](EntryOwner owner) {
        if (text_len == 0) text_len = format(0, p.key, Bytes + 1, text);
        visitor.on_hit(owner, std::string_view(text, text_len), true);
      });
    }
  }

 protected:
  bool encode(std::string_view canonical, std::uint8_t* key, std::size_t& size, std::size_t& family) const override {
    IpPrefix p;
    if (!parse_ip_prefix(canonical, p) || p.address.family != kFamily) return false;
    std::memcpy(key, p.address.bytes, Bytes);
    if (Bytes == 4 && p.length == kBits) {
      size = 4;
      family = 0;
      return true;
    }
    key[Bytes] = p.length;
    size = Bytes + 1;
    family = kNetworks;
    return true;
  }
  std::size_t format(std::size_t, const std::uint8_t* key, std::size_t size, char* out) const override {
    IpPrefix p;
    p.address.family = kFamily;
    std::memcpy(p.address.bytes, key, Bytes);
    p.length = static_cast<std::uint8_t>(size == Bytes ? kBits : key[Bytes]);
    return format_ip_prefix(p, out);
  }
  void on_added(std::size_t, const std::uint8_t* key, std::size_t size) override {
    const unsigned len = size == Bytes ? kBits : key[Bytes];
    if (len > kBits) return;
    meta_[len / 64] |= std::uint64_t{1} << (len % 64);
    if constexpr (Bytes == 4) {
      // Single addresses are always probed; /0 is refused at parsing (rules/README.md).
      if (len == 0 || len == kBits) return;
      const unsigned first = static_cast<unsigned>(key[0]) << 8 | key[1];
      const unsigned blocks = len >= 16 ? 1u : 1u << (16 - len);
      for (unsigned b = first; b < first + blocks && b < 65536; ++b) lengths_for_write(b) |= std::uint32_t{1} << (len - 1);
      return;
    }
    if (len == kBits) return;
    // Mark the 16-bit blocks this network overlaps.
    const unsigned first = static_cast<unsigned>(key[0]) << 8 | key[1];
    const unsigned blocks = len >= 16 ? 1u : 1u << (16 - len);
    for (unsigned b = first; b < first + blocks && b < 65536; ++b) coverage_[b / 64] |= std::uint64_t{1} << (b % 64);
  }
  void on_adopted() override {
    for_each_key([&](std::size_t family, const std::uint8_t* key, std::size_t size) { on_added(family, key, size); });
  }
  void copy_derived_state(const TermSet& from) override {
    coverage_ = static_cast<const AddressSet&>(from).coverage_;
    lengths_ = static_cast<const AddressSet&>(from).lengths_;  // pages shared, copied on write
  }
  std::unique_ptr<TermSet> make_empty(MemoryBudget& budget) const override {
    return std::make_unique<AddressSet>(budget);
  }

 private:
  void lookup_ipv4(const IpAddress& ip, TermVisitor& visitor) const {
    // The address itself, then the networks of the lengths present in its /16, longest
    // first; every slot prefetched before any is read.
    const std::uint32_t h32 = hash_bytes(ip.bytes, 4);
    table_for(0, h32).prefetch(h32);
    const unsigned top16 = static_cast<unsigned>(ip.bytes[0]) << 8 | ip.bytes[1];
    const LengthPage* page = lengths_[top16 >> 8].get();
    std::uint32_t lengths = page != nullptr ? page->masks[top16 & 0xff] : 0;
    const std::uint32_t address = static_cast<std::uint32_t>(ip.bytes[0]) << 24 |
                                  static_cast<std::uint32_t>(ip.bytes[1]) << 16 |
                                  static_cast<std::uint32_t>(ip.bytes[2]) << 8 | ip.bytes[3];
    struct Probe {
      std::uint8_t key[5];
      std::uint32_t hash;
    };
    Probe probes[32];
    std::size_t count = 0;
    while (lengths != 0) {
      const unsigned bit = 31u - static_cast<unsigned>(__builtin_clz(lengths));
      lengths &= ~(std::uint32_t{1} << bit);
      const unsigned len = bit + 1;  // 1..31
      const std::uint32_t net = address & (~std::uint32_t{0} << (32 - len));
      Probe& p = probes[count++];
      p.key[0] = static_cast<std::uint8_t>(net >> 24);
      p.key[1] = static_cast<std::uint8_t>(net >> 16);
      p.key[2] = static_cast<std::uint8_t>(net >> 8);
      p.key[3] = static_cast<std::uint8_t>(net);
      p.key[4] = static_cast<std::uint8_t>(len);
      p.hash = hash_bytes(p.key, 5);
      table_for(kNetworks, p.hash).prefetch(p.hash);
    }
    char text[64];
    std::size_t text_len = 0;
    table_for(0, h32).find(h32, ip.bytes, [&](EntryOwner owner) {
      if (text_len == 0) text_len = format(0, ip.bytes, 4, text);
      visitor.on_hit(owner, std::string_view(text, text_len), true);
    });
    for (std::size_t k = 0; k < count; ++k) {
      text_len = 0;
      const Probe& p = probes[k];
      table_for(kNetworks, p.hash).find(p.hash, p.key, [&](EntryOwner owner) {
        if (text_len == 0) text_len = format(kNetworks, p.key, 5, text);
        visitor.on_hit(owner, std::string_view(text, text_len), true);
      });
    }
  }

  // IPv4: per /16, bit len-1 set when a network of prefix length len (1..31) lies in or
  // covers it. Two levels (/8 pages of 256 masks, 1 KiB each, only where networks are), so a
  // small set costs a few KiB (the real list's 1,311 networks: 141 pages). Derived from the
  // entries, not stored in set files. Pages are shared by the sets a live update derives from
  // one another and copied before one is changed.
  struct LengthPage {
    std::uint32_t masks[256] = {};
  };
  std::uint32_t& lengths_for_write(unsigned top16) {
    std::shared_ptr<LengthPage>& page = lengths_[top16 >> 8];
    if (!page) page = std::make_shared<LengthPage>();
    else if (page.use_count() > 1) page = std::make_shared<LengthPage>(*page);
    return page->masks[top16 & 0xff];
  }
  std::array<std::shared_ptr<LengthPage>, 256> lengths_{};

  // IPv6: bit b, some entry shorter than the full length overlaps the addresses whose top 16
  // bits are b (8 KiB, derived from the entries, not stored in set files).
  std::vector<std::uint64_t> coverage_ = std::vector<std::uint64_t>(Bytes == 4 ? 0 : 1024, 0);
};

// address:port of a flow's remote end: IPv4 keys (4 + 2 bytes) and IPv6 keys (16 + 2) in two
// families, so IPv4 entries do not pay for IPv6 width.
class IpPortSet final : public TermSet {
 public:
  explicit IpPortSet(MemoryBudget& budget)
      : TermSet(IndicatorType::ip_port, budget,
                {{RecordLayout::fixed, 6, &hash_bytes}, {RecordLayout::fixed, 18, &hash_bytes}}) {}

  void lookup(std::string_view observed, TermVisitor& visitor) const override {
    if (empty()) return;
    IpAddress ip;
    std::uint16_t port = 0;
    if (!parse_ip_port(observed, ip, port)) return;
    std::uint8_t key[18];
    const std::size_t n = make_key(ip, port, key);
    char text[64];
    std::size_t text_len = 0;
    const std::uint32_t h = hash_bytes(key, n);
    table_for(n == 6 ? 0 : 1, h).find(h, key, [&](EntryOwner owner) {
      if (text_len == 0) text_len = format_ip_port(ip, port, text);
      visitor.on_hit(owner, std::string_view(text, text_len), true);
    });
  }

 protected:
  bool encode(std::string_view canonical, std::uint8_t* key, std::size_t& size, std::size_t& family) const override {
    IpAddress ip;
    std::uint16_t port = 0;
    if (!parse_ip_port(canonical, ip, port)) return false;
    size = make_key(ip, port, key);
    family = size == 6 ? 0 : 1;
    return true;
  }
  std::size_t format(std::size_t, const std::uint8_t* key, std::size_t size, char* out) const override {
    IpAddress ip;
    const std::size_t n = size - 2;
    ip.family = n == 4 ? 4 : 6;
    std::memcpy(ip.bytes, key, n);
    return format_ip_port(ip, static_cast<std::uint16_t>(key[n] << 8 | key[n + 1]), out);
  }
  std::unique_ptr<TermSet> make_empty(MemoryBudget& budget) const override {
    return std::make_unique<IpPortSet>(budget);
  }

 private:
  static std::size_t make_key(const IpAddress& ip, std::uint16_t port, std::uint8_t* key) {
    const std::size_t n = ip.family == 4 ? 4 : 16;
    std::memcpy(key, ip.bytes, n);
    key[n] = static_cast<std::uint8_t>(port >> 8);
    key[n + 1] = static_cast<std::uint8_t>(port);
    return n + 2;
  }
};

}  // namespace

std::unique_ptr<TermSet> make_address_set(IndicatorType type, MemoryBudget& budget) {
  if (type == IndicatorType::ipv4) return std::make_unique<AddressSet<4>>(budget);
  if (type == IndicatorType::ipv6) return std::make_unique<AddressSet<16>>(budget);
  return nullptr;
}

std::unique_ptr<TermSet> make_ip_port_set(MemoryBudget& budget) { return std::make_unique<IpPortSet>(budget); }

}  // namespace outpost::rules::sets
