#pragma once
// The storage every set module shares: records of one layout under an open-addressing index,
// built once (TableBuilder) and then frozen (FrozenTable) into one contiguous block of bytes
// that is the same in memory and in a compiled set file, on every CPU:
//
//   FrozenTable block, all integers little-endian, no alignment assumed:
//   +----------------------+---------------------------+---------------------------------+
//   | tags: capacity bytes | refs: capacity x u32      | records                         |
//   +----------------------+---------------------------+---------------------------------+
//   tags[i] == 0: slot i is empty; else an 8-bit tag of the record's hash (a miss reads only
//   tags, usually one cache line) and refs[i] names the record:
//     fixed layout:  record refs[i] at refs[i] * (key_size + 4): [key: key_size][owner: u32]
//     string layout: record at byte offset refs[i]:             [owner: u32][len: u16][bytes]
//
// Lookups read integers byte by byte (no unaligned loads on MIPS/ARM, same result on big- and
// little-endian CPUs) and check every reference against the block, so a corrupt block (a set
// file that passed its checksum by accident or on purpose) can make a lookup miss but never
// read outside it. A large type is split into shards (tables chosen by hash bits that neither
// the home slot nor the tag use), so one shard can be rebuilt at a time during live updates.

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <memory>
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

inline void put_u16(std::uint8_t* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
inline void put_u32(std::uint8_t* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline void put_u64(std::uint8_t* p, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline std::uint16_t get_u16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>(p[0] | p[1] << 8);
}
inline std::uint32_t get_u32(const std::uint8_t* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
inline std::uint64_t get_u64(const std::uint8_t* p) noexcept {
  return static_cast<std::uint64_t>(get_u32(p)) | static_cast<std::uint64_t>(get_u32(p + 4)) << 32;
}

enum class RecordLayout : std::uint8_t { fixed = 0, string = 1 };

// Hash of a record's key (fixed layout) or bytes (string layout); modules choose it (domains
// hash from the right so every parent's hash falls out of one pass).
using KeyHash = std::uint32_t (*)(const std::uint8_t* key, std::size_t size) noexcept;

inline std::uint8_t tag_of(std::uint32_t hash) noexcept {
  const auto t = static_cast<std::uint8_t>(hash);
  return t == 0 ? 1 : t;
}
// Which of 2^bits shards a hash belongs to: bits 8.. (the tag uses bits 0..7, the home slot
// the high bits).
inline std::size_t shard_of(std::uint32_t hash, unsigned bits) noexcept {
  return bits == 0 ? 0 : (hash >> 8) & ((std::size_t{1} << bits) - 1);
}

// One frozen shard. Cheap to copy (the bytes are shared).
class FrozenTable {
 public:
  FrozenTable() = default;
  // Wraps a block laid out as above; `keep` owns the bytes (a heap buffer or a mapped file).
  // Returns false if the header fields do not fit the block.
  static bool wrap(RecordLayout layout, std::uint32_t key_size, std::uint32_t count, std::uint32_t capacity,
                   const std::uint8_t* block, std::size_t size, std::shared_ptr<const void> keep, FrozenTable& out);

  RecordLayout layout() const noexcept { return layout_; }
  std::uint32_t key_size() const noexcept { return key_size_; }
  std::uint32_t count() const noexcept { return count_; }
  std::uint32_t capacity() const noexcept { return capacity_; }
  const std::uint8_t* block() const noexcept { return tags_; }
  std::size_t block_size() const noexcept { return block_size_; }

  // Fixed layout: visit(owner) for every record whose key equals `key`.
  template <class F>
  void find(std::uint32_t hash, const std::uint8_t* key, F&& visit) const {
    const std::size_t stride = key_size_ + 4;
    probe(hash, [&](std::uint32_t rec) {
      const std::size_t at = static_cast<std::size_t>(rec) * stride;
      if (rec >= count_ || at + stride > records_size_) return;
      const std::uint8_t* r = records_ + at;
      if (std::memcmp(r, key, key_size_) == 0) visit(get_u32(r + key_size_));
    });
  }
  // String layout: visit(owner, stored bytes) for every record equal to `s`.
  template <class F>
  void find(std::uint32_t hash, std::string_view s, F&& visit) const {
    probe(hash, [&](std::uint32_t off) {
      if (static_cast<std::size_t>(off) + 6 > records_size_) return;
      const std::uint8_t* r = records_ + off;
      const std::size_t len = get_u16(r + 4);
      if (len != s.size() || off + 6 + len > records_size_) return;
      if (std::memcmp(r + 6, s.data(), len) == 0)
        visit(get_u32(r), std::string_view(reinterpret_cast<const char*>(r + 6), len));
    });
  }
  // visit(key bytes, key size, owner) for every record, in storage order; stops at the first
  // malformed record of a string table.
  template <class F>
  void for_each_record(F&& visit) const {
    if (layout_ == RecordLayout::fixed) {
      const std::size_t stride = key_size_ + 4;
      for (std::size_t at = 0; at + stride <= records_size_; at += stride)
        visit(records_ + at, static_cast<std::size_t>(key_size_), get_u32(records_ + at + key_size_));
      return;
    }
    for (std::size_t at = 0; at + 6 <= records_size_;) {
      const std::size_t len = get_u16(records_ + at + 4);
      if (at + 6 + len > records_size_) return;
      visit(records_ + at + 6, len, get_u32(records_ + at));
      at += 6 + len;
    }
  }

 private:
  template <class F>
  void probe(std::uint32_t hash, F&& visit) const {
    if (capacity_ == 0) return;
    const std::uint8_t t = tag_of(hash);
    std::size_t i = static_cast<std::size_t>((static_cast<std::uint64_t>(hash) * capacity_) >> 32);
    // At most `capacity` steps even in a corrupt block whose tags are all set.
    for (std::size_t steps = 0; tags_[i] != 0 && steps < capacity_; ++steps) {
      if (tags_[i] == t) visit(get_u32(refs_ + 4 * i));
      if (++i == capacity_) i = 0;
    }
  }

  RecordLayout layout_ = RecordLayout::fixed;
  std::uint32_t key_size_ = 0, count_ = 0, capacity_ = 0;
  const std::uint8_t* tags_ = nullptr;
  const std::uint8_t* refs_ = nullptr;
  const std::uint8_t* records_ = nullptr;
  std::size_t records_size_ = 0, block_size_ = 0;
  std::shared_ptr<const void> keep_;
};

// Accumulates (key, owner) records, refusing exact duplicates, then freezes them into shards.
// Every allocation is asked of the MemoryBudget first.
class TableBuilder {
 public:
  TableBuilder(RecordLayout layout, std::uint32_t key_size, KeyHash hash, MemoryBudget& budget);
  ~TableBuilder();
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;

  // key_size bytes (fixed) or 1..65535 bytes (string).
  AddResult add(const std::uint8_t* key, std::size_t size, EntryOwner owner);
  std::size_t count() const noexcept { return count_; }
  std::size_t memory_bytes() const noexcept;
  // Shards (2^shard_bits) at the steady load factor; empties the builder. The budget's charge
  // becomes the shards' exact size (which the per-entry charge bounds).
  bool freeze(unsigned shard_bits, std::vector<FrozenTable>& out);

 private:
  bool grow_index(std::size_t capacity);
  std::uint32_t record_hash(std::uint32_t ref) const noexcept;
  bool same(std::uint32_t ref, const std::uint8_t* key, std::size_t size, EntryOwner owner) const noexcept;

  RecordLayout layout_;
  std::uint32_t key_size_;
  KeyHash hash_;
  MemoryBudget* budget_;
  std::vector<std::uint8_t> records_;
  std::vector<std::uint32_t> index_;  // ref + 1, 0 = empty (build time only, native order)
  std::size_t count_ = 0;
  std::size_t charged_ = 0;  // bytes charged to the budget for the records added
  static constexpr std::size_t kIndexBytesPerEntry = 8;  // 5 bytes a slot / 0.7, rounded up
};

// Capacity for `count` entries at the steady load factor (0.7) of frozen tables.
inline std::size_t frozen_capacity(std::size_t count) noexcept { return count + count * 3 / 7 + 8; }

// Shard bits for a table of `count` records of about `record_bytes` each: shards of at most
// ~1 MiB of records, so rebuilding one during a live update costs a small fraction of the set.
unsigned shard_bits_for(std::size_t count, std::size_t record_bytes) noexcept;

}  // namespace outpost::rules::sets
