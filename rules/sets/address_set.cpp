// IPv4 / IPv6 addresses and networks. One table keyed by (network bytes, prefix length) plus a
// bitmap of the prefix lengths present; a lookup masks the observed address to each present
// length, longest first, and reports every entry found (any-prefix match: each CIDR is its own
// indicator). At most 32 (IPv4) or 128 (IPv6) probes, in practice the handful of lengths a
// feed uses.

#include "rules/sets/modules.h"
#include "rules/sets/open_table.h"

namespace outpost::rules::sets {
namespace {

template <std::size_t Bytes>
class AddressSet final : public TermSet {
  static constexpr unsigned kBits = Bytes * 8;
  static constexpr std::uint8_t kFamily = Bytes == 4 ? 4 : 6;

 public:
  explicit AddressSet(MemoryBudget& budget) : table_(budget) {}

  IndicatorType type() const noexcept override { return Bytes == 4 ? IndicatorType::ipv4 : IndicatorType::ipv6; }

  AddResult add(std::string_view canonical, EntryOwner owner) override {
    IpPrefix p;
    if (!parse_ip_prefix(canonical, p) || p.address.family != kFamily) return AddResult::invalid;
    std::uint8_t key[Bytes + 1];
    std::memcpy(key, p.address.bytes, Bytes);
    key[Bytes] = p.length;
    const AddResult r = table_.add(key, owner);
    if (r == AddResult::added) lengths_[p.length / 64] |= std::uint64_t{1} << (p.length % 64);
    return r;
  }

  void lookup(std::string_view observed, TermVisitor& visitor) const override {
    if (table_.size() == 0) return;
    IpAddress ip;
    if (!parse_ip(observed, ip)) return;
    if (kFamily == 4 && ip.family == 6) {
      // An IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) is that IPv4 address.
      static const std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
      if (std::memcmp(ip.bytes, mapped, 12) != 0) return;
      std::memmove(ip.bytes, ip.bytes + 12, 4);
      ip.family = 4;
    }
    if (ip.family != kFamily) return;
    for (unsigned len = kBits; len >= 1; --len) {
      if ((lengths_[len / 64] >> (len % 64) & 1) == 0) continue;
      std::uint8_t key[Bytes + 1];
      for (unsigned i = 0; i < Bytes; ++i) {
        const unsigned bit0 = i * 8;
        std::uint8_t mask = 0;
        if (bit0 + 8 <= len) mask = 0xff;
        else if (bit0 < len) mask = static_cast<std::uint8_t>(0xff << (8 - (len - bit0)));
        key[i] = static_cast<std::uint8_t>(ip.bytes[i] & mask);
      }
      key[Bytes] = static_cast<std::uint8_t>(len);
      char text[64];
      std::size_t text_len = 0;
      table_.for_each(key, [&](EntryOwner owner) {
        if (text_len == 0) {
          IpPrefix p;
          p.address.family = kFamily;
          std::memcpy(p.address.bytes, key, Bytes);
          p.length = static_cast<std::uint8_t>(len);
          text_len = format_ip_prefix(p, text);
        }
        visitor.on_hit(owner, std::string_view(text, text_len), true);
      });
    }
  }

  void compact() override { table_.compact(); }
  std::size_t size() const noexcept override { return table_.size(); }
  std::size_t memory_bytes() const noexcept override { return table_.memory_bytes(); }

 private:
  FixedKeyTable<Bytes + 1> table_;
  std::uint64_t lengths_[3] = {0, 0, 0};  // bit n: some entry has prefix length n
};

class IpPortSet final : public TermSet {
 public:
  explicit IpPortSet(MemoryBudget& budget) : v4_(budget), v6_(budget) {}

  IndicatorType type() const noexcept override { return IndicatorType::ip_port; }

  AddResult add(std::string_view canonical, EntryOwner owner) override {
    IpAddress ip;
    std::uint16_t port = 0;
    if (!parse_ip_port(canonical, ip, port)) return AddResult::invalid;
    std::uint8_t key[18];
    const std::size_t n = make_key(ip, port, key);
    return n == 6 ? v4_.add(key, owner) : v6_.add(key, owner);
  }

  void lookup(std::string_view observed, TermVisitor& visitor) const override {
    if (size() == 0) return;
    IpAddress ip;
    std::uint16_t port = 0;
    if (!parse_ip_port(observed, ip, port)) return;
    std::uint8_t key[18];
    const std::size_t n = make_key(ip, port, key);
    char text[64];
    const std::size_t text_len = format_ip_port(ip, port, text);
    auto hit = [&](EntryOwner owner) { visitor.on_hit(owner, std::string_view(text, text_len), true); };
    if (n == 6) v4_.for_each(key, hit);
    else v6_.for_each(key, hit);
  }

  void compact() override {
    v4_.compact();
    v6_.compact();
  }
  std::size_t size() const noexcept override { return v4_.size() + v6_.size(); }
  std::size_t memory_bytes() const noexcept override { return v4_.memory_bytes() + v6_.memory_bytes(); }

 private:
  static std::size_t make_key(const IpAddress& ip, std::uint16_t port, std::uint8_t* key) {
    const std::size_t n = ip.family == 4 ? 4 : 16;
    std::memcpy(key, ip.bytes, n);
    key[n] = static_cast<std::uint8_t>(port >> 8);
    key[n + 1] = static_cast<std::uint8_t>(port);
    return n + 2;
  }

  FixedKeyTable<6> v4_;
  FixedKeyTable<18> v6_;
};

}  // namespace

std::unique_ptr<TermSet> make_address_set(IndicatorType type, MemoryBudget& budget) {
  if (type == IndicatorType::ipv4) return std::make_unique<AddressSet<4>>(budget);
  if (type == IndicatorType::ipv6) return std::make_unique<AddressSet<16>>(budget);
  return nullptr;
}

std::unique_ptr<TermSet> make_ip_port_set(MemoryBudget& budget) { return std::make_unique<IpPortSet>(budget); }

}  // namespace outpost::rules::sets
