#pragma once
// The one interface every per-type set module implements (domain, address prefixes, URLs,
// digests, address:port). An IndicatorSet holds one TermSet per indicator type that has
// entries. A TermSet is built (add, then compact once) and then frozen: its entries live in
// shards (sets/table.h) that are the same bytes in memory and in a compiled set file, and that
// a live update can rebuild one at a time (clone shares every shard, replace_shard swaps one).
//
// A module says how a canonical value becomes a binary key (encode), how a key reads back as
// canonical text (format), and how an observed value is looked up (lookup: the probes).

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

namespace sets {
class FrozenTable;
class TableBuilder;
enum class RecordLayout : std::uint8_t;
using KeyHash = std::uint32_t (*)(const std::uint8_t* key, std::size_t size) noexcept;
}  // namespace sets

class TermSet {
 public:
  static constexpr std::size_t kMaxKey = kMaxUrlLength;

  virtual ~TermSet();
  IndicatorType type() const noexcept { return type_; }

  // Build phase. `canonical` as produced by normalise_indicator_value for type().
  AddResult add(std::string_view canonical, EntryOwner owner);
  // Ends the build phase: freezes the entries into shards sized for their number.
  void compact();

  // After compact() (before it, nothing is found). Finds every entry matching an observed value (normalised by the module
  // itself). Bounded work independent of the set's size; no allocation.
  virtual void lookup(std::string_view observed, TermVisitor& visitor) const = 0;
  // The same for an address already in binary form (address sets; others find nothing).
  virtual void lookup_address(const IpAddress& address, TermVisitor& visitor) const {
    (void)address, (void)visitor;
  }
  // Every entry as (canonical text, owner); not for the packet path.
  void for_each_entry(const std::function<void(std::string_view term, EntryOwner owner)>& visit) const;
  std::size_t size() const noexcept;          // entries
  std::size_t memory_bytes() const noexcept;  // bytes of the builder or of the shards

  // Shards: family f (a module may keep keys of several sizes, e.g. IPv4 and IPv6 ip:port)
  // has 2^shard_bits(f) shards.
  std::size_t family_count() const noexcept { return families_.size(); }
  unsigned shard_bits(std::size_t family) const noexcept;
  const sets::FrozenTable& shard(std::size_t family, std::size_t index) const noexcept;
  // The shard a canonical value of this type belongs to; false if it is not one.
  bool locate(std::string_view canonical, std::size_t& family, std::size_t& index) const;
  // Builds a replacement for shard (family, index): its entries whose owner `keep` accepts,
  // plus `extra` (canonical value, owner) entries that locate() puts in that shard. The new
  // shard has the same number of shards around it, so nothing else moves.
  bool rebuild_shard(std::size_t family, std::size_t index, const std::function<bool(EntryOwner)>& keep,
                     const std::vector<std::pair<std::string, EntryOwner>>& extra, MemoryBudget& budget,
                     sets::FrozenTable& out) const;
  // A copy sharing every shard (cheap; `budget` is the copy's), and the swap of one shard in
  // such a copy.
  std::unique_ptr<TermSet> clone(MemoryBudget& budget) const;
  void replace_shard(std::size_t family, std::size_t index, const sets::FrozenTable& table);
  // Installs loaded shards (compiled set file). Returns false if they do not fit the module.
  bool adopt(std::vector<std::vector<sets::FrozenTable>> shards, const std::array<std::uint64_t, 4>& meta);
  // Module state beyond the shards (e.g. which prefix lengths an address set holds).
  const std::array<std::uint64_t, 4>& meta() const noexcept { return meta_; }
  // visit(block, bytes) for every shard.
  void for_each_block(const std::function<void(const void*, std::size_t)>& visit) const;

 protected:
  struct FamilySpec {
    sets::RecordLayout layout;
    std::uint32_t key_size;  // fixed layout
    sets::KeyHash hash;
  };
  TermSet(IndicatorType type, MemoryBudget& budget, std::vector<FamilySpec> families);

  // canonical value -> (family, key); false if it is not a value of the type.
  virtual bool encode(std::string_view canonical, std::uint8_t* key, std::size_t& size,
                      std::size_t& family) const = 0;
  // key -> canonical text (at most kMaxKey + 8 bytes); returns its length.
  virtual std::size_t format(std::size_t family, const std::uint8_t* key, std::size_t size, char* out) const = 0;
  // Called for every entry added (build or rebuild), to keep meta() up to date.
  virtual void on_added(std::size_t family, const std::uint8_t* key, std::size_t size) {
    (void)family, (void)key, (void)size;
  }
  virtual std::unique_ptr<TermSet> make_empty(MemoryBudget& budget) const = 0;
  // Called once loaded shards are installed (adopt), for state derived from the entries.
  virtual void on_adopted() {}
  // clone(): the module's derived state of `from` (a set of the same module).
  virtual void copy_derived_state(const TermSet& from) { (void)from; }

  // Inline (defined in rules/sets/table.h): every probe of every lookup goes through it.
  inline const sets::FrozenTable& table_for(std::size_t family, std::uint32_t hash) const noexcept;
  // visit(family, key, size) for every entry of the shards.
  void for_each_key(const std::function<void(std::size_t, const std::uint8_t*, std::size_t)>& visit) const;
  bool empty() const noexcept { return entries_ == 0; }
  MemoryBudget& budget() const noexcept { return *budget_; }
  std::array<std::uint64_t, 4> meta_{};

 private:
  struct Family {
    FamilySpec spec;
    std::unique_ptr<sets::TableBuilder> builder;  // build phase
    unsigned shard_bits = 0;
    std::vector<std::shared_ptr<const sets::FrozenTable>> shards;  // frozen phase
  };
  IndicatorType type_;
  MemoryBudget* budget_;
  std::vector<Family> families_;
  std::size_t entries_ = 0;
};

// The module for `type`, charging `budget` (which must outlive it).
std::unique_ptr<TermSet> make_term_set(IndicatorType type, MemoryBudget& budget);

}  // namespace outpost::rules
