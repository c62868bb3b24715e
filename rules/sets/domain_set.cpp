// Domain names: one string table keyed by a hash computed from the right end of the name, so
// the hashes of "evil.com", "b.evil.com", "a.b.evil.com" are steps of one pass over
// "a.b.evil.com". A lookup probes the name and each parent that still has two labels: at most
// 127 probes for the longest legal name, independent of the set's size.

#include "rules/sets/modules.h"
#include "rules/sets/open_table.h"

namespace outpost::rules::sets {
namespace {

std::uint32_t finish(std::uint32_t state, std::size_t len) noexcept {
  return fmix32(state ^ static_cast<std::uint32_t>(len));
}

std::uint32_t hash_from_right(std::string_view s) noexcept {
  std::uint32_t h = kFnvBasis;
  for (std::size_t i = s.size(); i-- > 0;) h = fnv_step(h, static_cast<std::uint8_t>(s[i]));
  return finish(h, s.size());
}

class DomainSet final : public TermSet {
 public:
  explicit DomainSet(MemoryBudget& budget) : table_(budget, &hash_from_right) {}

  IndicatorType type() const noexcept override { return IndicatorType::domain; }

  AddResult add(std::string_view canonical, EntryOwner owner) override {
    if (!is_dns_name(canonical, false)) return AddResult::invalid;
    return table_.add(canonical, owner);
  }

  void lookup(std::string_view observed, TermVisitor& visitor) const override {
    if (table_.size() == 0) return;
    char buf[kMaxDomainLength + 1];
    const std::size_t n = normalise_domain(observed, buf, sizeof buf);
    if (n == 0) return;
    const std::string_view name(buf, n);
    // Parents are probed only while they keep a dot: a single label ("com") never matches by
    // suffix (rules/README.md, "Domains").
    const std::size_t first_dot_from_right = name.rfind('.');
    std::uint32_t h = kFnvBasis;
    for (std::size_t i = n; i-- > 0;) {
      h = fnv_step(h, static_cast<std::uint8_t>(name[i]));
      const bool label_start = i == 0 || name[i - 1] == '.';
      if (!label_start) continue;
      const bool whole = i == 0;
      if (!whole && (first_dot_from_right == std::string_view::npos || i > first_dot_from_right)) continue;
      const std::string_view suffix = name.substr(i);
      table_.for_each(finish(h, suffix.size()), suffix, [&](EntryOwner owner, std::string_view term) {
        visitor.on_hit(owner, term, whole);
      });
    }
  }

  void compact() override { table_.compact(); }
  std::size_t size() const noexcept override { return table_.size(); }
  std::size_t memory_bytes() const noexcept override { return table_.memory_bytes(); }

 private:
  StringTable table_;
};

}  // namespace

std::unique_ptr<TermSet> make_domain_set(MemoryBudget& budget) { return std::make_unique<DomainSet>(budget); }

}  // namespace outpost::rules::sets
