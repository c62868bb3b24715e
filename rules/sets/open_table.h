#pragma once
// Storage shared by the set modules: an open-addressing (linear probing) index of 32-bit
// record references with one 8-bit hash tag per slot, over records kept in one contiguous
// byte arena. A lookup that misses reads the tag bytes only (usually one cache line); a record
// is touched only when its tag matches. Records hold their owner as 4 little-endian bytes,
// assembled by hand (no unaligned loads on MIPS/ARM).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "rules/budget.h"
#include "rules/sets/term_set.h"

namespace outpost::rules::sets {

// FNV-1a (32 bit) with a final avalanche (MurmurHash3 fmix32) so that the high bits, which
// pick the home slot, depend on every input byte.
inline std::uint32_t fmix32(std::uint32_t h) noexcept {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}
inline constexpr std::uint32_t kFnvBasis = 2166136261u;
inline std::uint32_t fnv_step(std::uint32_t h, std::uint8_t byte) noexcept { return (h ^ byte) * 16777619u; }
inline std::uint32_t hash_bytes(const std::uint8_t* p, std::size_t n) noexcept {
  std::uint32_t h = kFnvBasis;
  for (std::size_t i = 0; i < n; ++i) h = fnv_step(h, p[i]);
  return fmix32(h ^ static_cast<std::uint32_t>(n));
}

inline void put_u32(std::uint8_t* p, std::uint32_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
  p[2] = static_cast<std::uint8_t>(v >> 16);
  p[3] = static_cast<std::uint8_t>(v >> 24);
}
inline std::uint32_t get_u32(const std::uint8_t* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

// Grows `v` to hold `needed` elements, asking `budget` first: doubling when allowed, else
// just enough (+1/8). Returns false when the budget refuses.
template <class T>
bool reserve_within(std::vector<T>& v, std::size_t needed, MemoryBudget& budget) {
  if (needed <= v.capacity()) return true;
  const std::size_t old_bytes = v.capacity() * sizeof(T);
  std::size_t want = v.capacity() * 2 > needed ? v.capacity() * 2 : needed;
  if (want < 64) want = 64;
  if (!budget.resize(old_bytes, want * sizeof(T))) {
    want = needed + v.capacity() / 8;
    if (!budget.resize(old_bytes, want * sizeof(T))) return false;
  }
  v.reserve(want);
  return true;
}

template <class T>
void shrink_within(std::vector<T>& v, MemoryBudget& budget) {
  const std::size_t old_bytes = v.capacity() * sizeof(T);
  v.shrink_to_fit();
  budget.resize(old_bytes, v.capacity() * sizeof(T));
}

// The probe index. Slot i is empty when tags[i] == 0; otherwise refs[i] names a record (its
// meaning is the owner's: a record number or an arena offset).
class SlotIndex {
 public:
  static std::uint8_t tag_of(std::uint32_t hash) noexcept {
    const auto t = static_cast<std::uint8_t>(hash);
    return t == 0 ? 1 : t;
  }
  std::size_t capacity() const noexcept { return tags_.size(); }
  // Home slot from the high bits of the hash (multiply-shift range reduction), so the
  // capacity need not be a power of two.
  std::size_t home(std::uint32_t hash) const noexcept {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(hash) * tags_.size()) >> 32);
  }
  std::size_t next(std::size_t i) const noexcept { return i + 1 == tags_.size() ? 0 : i + 1; }
  std::uint8_t tag(std::size_t i) const noexcept { return tags_[i]; }
  std::uint32_t ref(std::size_t i) const noexcept { return refs_[i]; }
  void set(std::size_t i, std::uint8_t tag, std::uint32_t ref) noexcept {
    tags_[i] = tag;
    refs_[i] = ref;
  }
  // Calls visit(ref) for each slot whose tag matches `hash`, in probe order, until an empty
  // slot. The probe sequence is short because the load factor stays <= kMaxLoad.
  template <class F>
  void probe(std::uint32_t hash, F&& visit) const {
    if (tags_.empty()) return;
    const std::uint8_t t = tag_of(hash);
    for (std::size_t i = home(hash); tags_[i] != 0; i = next(i))
      if (tags_[i] == t) visit(refs_[i]);
  }
  // First empty slot of `hash`'s probe sequence (the index must not be full).
  std::size_t free_slot(std::uint32_t hash) const noexcept {
    std::size_t i = home(hash);
    while (tags_[i] != 0) i = next(i);
    return i;
  }
  // Whether `count` entries fit under the growth load factor.
  bool fits(std::size_t count) const noexcept { return count * 4 <= tags_.size() * 3; }  // 0.75
  // Replaces the storage with `capacity` empty slots (budget permitting).
  bool reset(std::size_t capacity, MemoryBudget& budget) {
    if (!budget.resize(memory_bytes(), capacity * (sizeof(std::uint8_t) + sizeof(std::uint32_t)))) return false;
    std::vector<std::uint8_t>(capacity, 0).swap(tags_);
    std::vector<std::uint32_t>(capacity, 0).swap(refs_);
    return true;
  }
  std::size_t memory_bytes() const noexcept {
    return tags_.capacity() * sizeof(std::uint8_t) + refs_.capacity() * sizeof(std::uint32_t);
  }
  // Capacity for `count` entries at the steady load factor (0.7) used after loading.
  static std::size_t compact_capacity(std::size_t count) noexcept { return count + count * 3 / 7 + 8; }

 private:
  std::vector<std::uint8_t> tags_;
  std::vector<std::uint32_t> refs_;
};

// Records of a fixed-size binary key followed by the owner, stored back to back.
template <std::size_t N>
class FixedKeyTable {
 public:
  static constexpr std::size_t kStride = N + 4;
  explicit FixedKeyTable(MemoryBudget& budget) : budget_(&budget) {}

  AddResult add(const std::uint8_t* key, EntryOwner owner) {
    const std::uint32_t h = hash_bytes(key, N);
    bool dup = false;
    index_.probe(h, [&](std::uint32_t rec) {
      const std::uint8_t* r = &records_[static_cast<std::size_t>(rec) * kStride];
      if (std::memcmp(r, key, N) == 0 && get_u32(r + N) == owner) dup = true;
    });
    if (dup) return AddResult::duplicate;
    const std::size_t count = size();
    if (count >= 0xfffffff0u) return AddResult::budget_exhausted;
    if (!index_.fits(count + 1) && !rebuild(index_.capacity() * 2 + 16)) return AddResult::budget_exhausted;
    if (!reserve_within(records_, records_.size() + kStride, *budget_)) return AddResult::budget_exhausted;
    const std::size_t at = records_.size();
    records_.resize(at + kStride);
    std::memcpy(&records_[at], key, N);
    put_u32(&records_[at + N], owner);
    index_.set(index_.free_slot(h), SlotIndex::tag_of(h), static_cast<std::uint32_t>(count));
    return AddResult::added;
  }

  // visit(owner) for every record whose key equals `key`.
  template <class F>
  void for_each(const std::uint8_t* key, F&& visit) const {
    index_.probe(hash_bytes(key, N), [&](std::uint32_t rec) {
      const std::uint8_t* r = &records_[static_cast<std::size_t>(rec) * kStride];
      if (std::memcmp(r, key, N) == 0) visit(get_u32(r + N));
    });
  }

  void compact() {
    shrink_within(records_, *budget_);
    rebuild(SlotIndex::compact_capacity(size()));
  }

  std::size_t size() const noexcept { return records_.size() / kStride; }
  std::size_t memory_bytes() const noexcept { return records_.capacity() + index_.memory_bytes(); }

 private:
  bool rebuild(std::size_t capacity) {
    if (!index_.reset(capacity, *budget_)) return false;
    const std::size_t n = size();
    for (std::size_t rec = 0; rec < n; ++rec) {
      const std::uint32_t h = hash_bytes(&records_[rec * kStride], N);
      index_.set(index_.free_slot(h), SlotIndex::tag_of(h), static_cast<std::uint32_t>(rec));
    }
    return true;
  }

  MemoryBudget* budget_;
  std::vector<std::uint8_t> records_;
  SlotIndex index_;
};

// Records of a string: owner (4 bytes), length (2 bytes, little endian), the bytes. The index
// refers to records by arena offset. The hash function is the owner module's, so the domain
// module can hash names from the right and probe every parent suffix cheaply.
class StringTable {
 public:
  using HashFn = std::uint32_t (*)(std::string_view) noexcept;
  static constexpr std::size_t kMaxLength = 0xffff;

  StringTable(MemoryBudget& budget, HashFn hash) : budget_(&budget), hash_(hash) {}

  AddResult add(std::string_view s, EntryOwner owner);

  // visit(owner, stored string) for every record equal to `s`; `hash` is hash_(s).
  template <class F>
  void for_each(std::uint32_t hash, std::string_view s, F&& visit) const {
    index_.probe(hash, [&](std::uint32_t off) {
      const std::uint8_t* r = &arena_[off];
      const std::size_t len = static_cast<std::size_t>(r[4]) | static_cast<std::size_t>(r[5]) << 8;
      if (len == s.size() && std::memcmp(r + 6, s.data(), len) == 0)
        visit(get_u32(r), std::string_view(reinterpret_cast<const char*>(r + 6), len));
    });
  }

  void compact();
  std::size_t size() const noexcept { return count_; }
  std::size_t memory_bytes() const noexcept { return arena_.capacity() + index_.memory_bytes(); }

 private:
  bool rebuild(std::size_t capacity);

  MemoryBudget* budget_;
  HashFn hash_;
  std::vector<std::uint8_t> arena_;
  SlotIndex index_;
  std::size_t count_ = 0;
};

}  // namespace outpost::rules::sets
