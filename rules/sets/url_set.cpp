// URLs: exact match of the normalised form (rules/README.md, "URLs"), one string table.

#include "rules/sets/modules.h"
#include "rules/sets/table.h"

namespace outpost::rules::sets {
namespace {

class UrlSet final : public TermSet {
 public:
  explicit UrlSet(MemoryBudget& budget) : TermSet(IndicatorType::url, budget, {{RecordLayout::string, 0, &hash_bytes}}) {}

  void lookup(std::string_view observed, TermVisitor& visitor) const override {
    if (empty()) return;
    char buf[kMaxUrlLength];
    const std::size_t n = normalise_url(observed, buf, sizeof buf);
    if (n == 0) return;
    const std::string_view url(buf, n);
    const std::uint32_t h = hash_bytes(reinterpret_cast<const std::uint8_t*>(buf), n);
    table_for(0, h).find(h, url, [&](EntryOwner owner, std::string_view term) { visitor.on_hit(owner, term, true); });
  }

 protected:
  bool encode(std::string_view canonical, std::uint8_t* key, std::size_t& size, std::size_t& family) const override {
    if (canonical.empty() || canonical.size() > kMaxUrlLength) return false;
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
    return std::make_unique<UrlSet>(budget);
  }
};

}  // namespace

std::unique_ptr<TermSet> make_url_set(MemoryBudget& budget) { return std::make_unique<UrlSet>(budget); }

}  // namespace outpost::rules::sets
