// Domain names: one string table keyed by a hash computed from the right end of the name, so
// the hashes of "evil.com", "b.evil.com", "a.b.evil.com" are steps of one pass over
// "a.b.evil.com". A lookup probes the name and each parent that still has two labels: at most
// 127 probes for the longest legal name, independent of the set's size.

#include "rules/sets/modules.h"
#include "rules/sets/table.h"

namespace outpost::rules::sets {
namespace {

std::uint32_t finish(std::uint32_t state, std::size_t len) noexcept {
  return fmix32(state ^ static_cast<std::uint32_t>(len));
}

std::uint32_t hash_from_right(const std::uint8_t* s, std::size_t n) noexcept {
  std::uint32_t h = kFnvBasis;
  for (std::size_t i = n; i-- > 0;) h = fnv_step(h, s[i]);
  return finish(h, n);
}

class DomainSet final : public TermSet {
 public:
  explicit DomainSet(MemoryBudget& budget)
      : TermSet(IndicatorType::domain, budget, {{RecordLayout::string, 0, &hash_from_right}}) {}

  void lookup(std::string_view observed, TermVisitor& visitor) const override {
    if (empty()) return;
    // Lowercase without the trailing root dot; not validated further (normalise_domain would):
    // a name that is no DNS name simply matches no entry, and this runs for every name seen.
    char buf[kMaxDomainLength];
    while (!observed.empty() && (observed.back() == ' ' || observed.back() == '\t')) observed.remove_suffix(1);
    if (!observed.empty() && observed.back() == '.') observed.remove_suffix(1);
    const std::size_t n = observed.size();
    if (n == 0 || n > kMaxDomainLength) return;
    // One pass from the right lowercases the name, hashes it and notes each parent: a
    // parent starts after a dot, and only parents that keep a dot are probed — a single label
    // ("com") never matches by suffix (rules/README.md, "Domains"). Each probe's slot is
    // prefetched before any is read, so their memory latencies overlap.
    struct Probe {
      std::uint32_t at, hash;
    };
    Probe probes[kMaxDomainLength / 2 + 2];
    std::size_t count = 0;
    bool top_label = true;  // the rightmost label is not probed on its own
    std::uint32_t h = kFnvBasis;
    const char* in = observed.data();
    for (std::size_t i = n; i-- > 0;) {
      const char c = in[i];
      const char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
      buf[i] = lower;
      h = fnv_step(h, static_cast<std::uint8_t>(lower));
      if (i != 0 && in[i - 1] != '.') continue;
      if (i != 0 && top_label) {
        top_label = false;
        continue;
      }
      const std::uint32_t sh = finish(h, n - i);
      probes[count++] = {static_cast<std::uint32_t>(i), sh};
      table_for(0, sh).prefetch(sh);
    }
    const std::string_view name(buf, n);
    for (std::size_t k = 0; k < count; ++k) {
      const bool whole = probes[k].at == 0;
      table_for(0, probes[k].hash).find(probes[k].hash, name.substr(probes[k].at), [&](EntryOwner owner, std::string_view term) {
        visitor.on_hit(owner, term, whole);
      });
    }
  }

 protected:
  bool encode(std::string_view canonical, std::uint8_t* key, std::size_t& size, std::size_t& family) const override {
    if (!is_dns_name(canonical, false)) return false;
    std::memcpy(key, canonical.data(), canonical.size());
    size = canonical.size();
    family = 0;
    return true;
  }
  std::size_t format(std::size_t, const std::uint8_t* key, std::size_t size, char* out) const override {
    std::memcpy(out, key, size);
    return size;
  }
  std::unique_ptr<TermSet> make_empty(MemoryBudget& budget) const override {
    return std::make_unique<DomainSet>(budget);
  }
};

}  // namespace

std::unique_ptr<TermSet> make_domain_set(MemoryBudget& budget) { return std::make_unique<DomainSet>(budget); }

}  // namespace outpost::rules::sets
