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
    char buf[kMaxDomainLength + 1];
    while (!observed.empty() && (observed.back() == ' ' || observed.back() == '\t')) observed.remove_suffix(1);
    if (!observed.empty() && observed.back() == '.') observed.remove_suffix(1);
    const std::size_t n = observed.size();
    if (n == 0 || n > kMaxDomainLength) return;
    for (std::size_t i = 0; i < n; ++i) {
      const char c = observed[i];
      buf[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
    }
    const std::string_view name(buf, n);
    // Parents are probed only while they keep a dot: a single label ("com") never matches by
    // suffix (rules/README.md, "Domains").
    const std::size_t first_dot_from_right = name.rfind('.');
    // The name and its parents, hashed in one pass from the right; their slots are prefetched
    // before any is read, so the probes' memory latencies overlap.
    struct Probe {
      std::uint32_t at, hash;
    };
    Probe probes[kMaxDomainLength / 2 + 2];
    std::size_t count = 0;
    std::uint32_t h = kFnvBasis;
    for (std::size_t i = n; i-- > 0;) {
      h = fnv_step(h, static_cast<std::uint8_t>(name[i]));
      const bool label_start = i == 0 || name[i - 1] == '.';
      if (!label_start) continue;
      if (i != 0 && (first_dot_from_right == std::string_view::npos || i > first_dot_from_right)) continue;
      const std::uint32_t sh = finish(h, n - i);
      probes[count++] = {static_cast<std::uint32_t>(i), sh};
      table_for(0, sh).prefetch(sh);
    }
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
