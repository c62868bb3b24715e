#pragma once
// The one interface every per-type set module implements (domain, address prefixes, URLs,
// digests, address:port). An IndicatorSet holds one TermSet per indicator type that has
// entries; each module owns its compact storage and charges the shared MemoryBudget.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "rules/budget.h"
#include "rules/indicator_value.h"

namespace outpost::rules {

// Who an entry belongs to: a STIX indicator (index into the IndicatorSet's records) or, with
// kListOwner set, a plain-list source (index into its list sources). Lists store no record
// per entry: their ids are derived from the matched term when a match is reported.
using EntryOwner = std::uint32_t;
inline constexpr EntryOwner kListOwner = 0x80000000u;

enum class AddResult : std::uint8_t {
  added = 0,
  duplicate,         // the same (value, owner) is already present
  invalid,           // not a canonical value of the set's type
  budget_exhausted,  // the MemoryBudget refused to grow; nothing was added
};

// Receives the entries a lookup found. `term` is the entry's canonical text (valid during the
// call only); `whole_value` is false when the entry matched a parent of the observed value
// (a domain entry that is a suffix of the observed name).
class TermVisitor {
 public:
  virtual ~TermVisitor() = default;
  virtual void on_hit(EntryOwner owner, std::string_view term, bool whole_value) = 0;
};

class TermSet {
 public:
  virtual ~TermSet() = default;
  virtual IndicatorType type() const noexcept = 0;
  // `canonical` as produced by normalise_indicator_value for type().
  virtual AddResult add(std::string_view canonical, EntryOwner owner) = 0;
  // Finds every entry matching an observed value (normalised by the module itself). Bounded
  // work independent of the set's size; no allocation.
  virtual void lookup(std::string_view observed, TermVisitor& visitor) const = 0;
  // Called once loading is over: shrinks storage to its final size.
  virtual void compact() = 0;
  virtual std::size_t size() const noexcept = 0;          // entries
  virtual std::size_t memory_bytes() const noexcept = 0;  // bytes allocated
};

// The module for `type`, charging `budget` (which must outlive it).
std::unique_ptr<TermSet> make_term_set(IndicatorType type, MemoryBudget& budget);

}  // namespace outpost::rules
