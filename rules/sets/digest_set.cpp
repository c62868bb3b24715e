// File hashes, JA3/JA3S and certificate SHA-1: binary keys of the digest's size, so case and
// hex spelling never matter and an entry costs its digest plus 4 owner bytes plus the index.

#include <cctype>

#include "rules/sets/modules.h"
#include "rules/sets/table.h"

namespace outpost::rules::sets {
namespace {

class DigestSet final : public TermSet {
 public:
  DigestSet(IndicatorType type, MemoryBudget& budget)
      : TermSet(type, budget, {{RecordLayout::fixed, static_cast<std::uint32_t>(digest_size(type)), &hash_bytes}}),
        n_(digest_size(type)) {}

  void lookup(std::string_view observed, TermVisitor& visitor) const override {
    while (!observed.empty() && std::isspace(static_cast<unsigned char>(observed.back()))) observed.remove_suffix(1);
    std::uint8_t key[32];
    if (empty() || !parse_hex(observed, key, n_)) return;
    char text[64];
    format_hex(key, n_, text);
    const std::uint32_t h = hash_bytes(key, n_);
    table_for(0, h).find(h, key, [&](EntryOwner owner) { visitor.on_hit(owner, std::string_view(text, 2 * n_), true); });
  }

 protected:
  bool encode(std::string_view canonical, std::uint8_t* key, std::size_t& size, std::size_t& family) const override {
    if (!parse_hex(canonical, key, n_)) return false;
    size = n_;
    family = 0;
    return true;
  }
  std::size_t format(std::size_t, const std::uint8_t* key, std::size_t size, char* out) const override {
    format_hex(key, size, out);
    return 2 * size;
  }
  std::unique_ptr<TermSet> make_empty(MemoryBudget& budget) const override {
    return std::make_unique<DigestSet>(type(), budget);
  }

 private:
  std::size_t n_;
};

}  // namespace

std::unique_ptr<TermSet> make_digest_set(IndicatorType type, MemoryBudget& budget) {
  const std::size_t n = digest_size(type);
  if (n != 16 && n != 20 && n != 32) return nullptr;
  return std::make_unique<DigestSet>(type, budget);
}

}  // namespace outpost::rules::sets
