// URLs: exact match of the normalised form (rules/README.md, "URLs"), one string table.

#include "rules/sets/modules.h"
#include "rules/sets/open_table.h"

namespace outpost::rules::sets {
namespace {

std::uint32_t hash_text(std::string_view s) noexcept {
  return hash_bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

class UrlSet final : public TermSet {
 public:
  explicit UrlSet(MemoryBudget& budget) : table_(budget, &hash_text) {}

  IndicatorType type() const noexcept override { return IndicatorType::url; }

  AddResult add(std::string_view canonical, EntryOwner owner) override {
    if (canonical.empty() || canonical.size() > kMaxUrlLength) return AddResult::invalid;
    return table_.add(canonical, owner);
  }

  void lookup(std::string_view observed, TermVisitor& visitor) const override {
    if (table_.size() == 0) return;
    char buf[kMaxUrlLength];
    const std::size_t n = normalise_url(observed, buf, sizeof buf);
    if (n == 0) return;
    const std::string_view url(buf, n);
    table_.for_each(hash_text(url), url, [&](EntryOwner owner, std::string_view term) {
      visitor.on_hit(owner, term, true);
    });
  }

  void compact() override { table_.compact(); }
  std::size_t size() const noexcept override { return table_.size(); }
  std::size_t memory_bytes() const noexcept override { return table_.memory_bytes(); }

 private:
  StringTable table_;
};

}  // namespace

std::unique_ptr<TermSet> make_url_set(MemoryBudget& budget) { return std::make_unique<UrlSet>(budget); }

}  // namespace outpost::rules::sets
