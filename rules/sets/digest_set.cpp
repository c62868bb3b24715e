// File hashes, JA3/JA3S and certificate SHA-1: binary keys of the digest's size, so case and
// hex spelling never matter and an entry costs its digest plus 4 owner bytes plus the index.

#include <cctype>

#include "rules/sets/modules.h"
#include "rules/sets/open_table.h"

namespace outpost::rules::sets {
namespace {

template <std::size_t N>
class DigestSet final : public TermSet {
 public:
  DigestSet(IndicatorType type, MemoryBudget& budget) : type_(type), table_(budget) {}

  IndicatorType type() const noexcept override { return type_; }

  AddResult add(std::string_view canonical, EntryOwner owner) override {
    std::uint8_t key[N];
    if (!parse_hex(canonical, key, N)) return AddResult::invalid;
    return table_.add(key, owner);
  }

  void lookup(std::string_view observed, TermVisitor& visitor) const override {
    while (!observed.empty() && std::isspace(static_cast<unsigned char>(observed.back()))) observed.remove_suffix(1);
    std::uint8_t key[N];
    if (table_.size() == 0 || !parse_hex(observed, key, N)) return;
    char text[2 * N];
    format_hex(key, N, text);
    table_.for_each(key, [&](EntryOwner owner) { visitor.on_hit(owner, std::string_view(text, 2 * N), true); });
  }

  void compact() override { table_.compact(); }
  std::size_t size() const noexcept override { return table_.size(); }
  std::size_t memory_bytes() const noexcept override { return table_.memory_bytes(); }

 private:
  IndicatorType type_;
  FixedKeyTable<N> table_;
};

}  // namespace

std::unique_ptr<TermSet> make_digest_set(IndicatorType type, MemoryBudget& budget) {
  switch (digest_size(type)) {
    case 16: return std::make_unique<DigestSet<16>>(type, budget);
    case 20: return std::make_unique<DigestSet<20>>(type, budget);
    case 32: return std::make_unique<DigestSet<32>>(type, budget);
    default: return nullptr;
  }
}

}  // namespace outpost::rules::sets
