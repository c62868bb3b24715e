#include "rules/sets/open_table.h"

namespace outpost::rules::sets {

AddResult StringTable::add(std::string_view s, EntryOwner owner) {
  if (s.empty() || s.size() > kMaxLength) return AddResult::invalid;
  const std::uint32_t h = hash_(s);
  bool dup = false;
  for_each(h, s, [&](EntryOwner o, std::string_view) { dup = dup || o == owner; });
  if (dup) return AddResult::duplicate;
  const std::size_t rec = 6 + s.size();
  if (arena_.size() + rec > 0xfffffff0u) return AddResult::budget_exhausted;  // 32-bit offsets
  if (!index_.fits(count_ + 1) && !rebuild(index_.capacity() * 2 + 16)) return AddResult::budget_exhausted;
  if (!reserve_within(arena_, arena_.size() + rec, *budget_)) return AddResult::budget_exhausted;
  const std::size_t at = arena_.size();
  arena_.resize(at + rec);
  put_u32(&arena_[at], owner);
  arena_[at + 4] = static_cast<std::uint8_t>(s.size());
  arena_[at + 5] = static_cast<std::uint8_t>(s.size() >> 8);
  std::memcpy(&arena_[at + 6], s.data(), s.size());
  index_.set(index_.free_slot(h), SlotIndex::tag_of(h), static_cast<std::uint32_t>(at));
  ++count_;
  return AddResult::added;
}

void StringTable::compact() {
  shrink_within(arena_, *budget_);
  rebuild(SlotIndex::compact_capacity(count_));
}

bool StringTable::rebuild(std::size_t capacity) {
  if (!index_.reset(capacity, *budget_)) return false;
  for (std::size_t off = 0; off < arena_.size();) {
    const std::uint8_t* r = &arena_[off];
    const std::size_t len = static_cast<std::size_t>(r[4]) | static_cast<std::size_t>(r[5]) << 8;
    const std::uint32_t h = hash_(std::string_view(reinterpret_cast<const char*>(r + 6), len));
    index_.set(index_.free_slot(h), SlotIndex::tag_of(h), static_cast<std::uint32_t>(off));
    off += 6 + len;
  }
  return true;
}

}  // namespace outpost::rules::sets
