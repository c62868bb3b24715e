#pragma once
// The storage every set module shares: records of one layout under an open-addressing index,
// built once (TableBuilder) and then frozen (FrozenTable) into one contiguous block of bytes
// that is the same in memory and in a compiled set file, on every CPU. All integers are
// little-endian; nothing is assumed aligned.
//
//   fixed layout (addresses, digests): the records are the slots themselves
//   +----------------------------------------------+----------------------+
//   | slots: capacity x [key: key_size][code: w]   | owners: n x u32      |
//   +----------------------------------------------+----------------------+
//   string layout (names, URLs): slots refer to records by byte offset
//   +--------------------------------+----------------------+----------------------------------+
//   | slots: capacity x [tag][ref:4] | owners: n x u32      | records: [code: w][len: u16][bytes] |
//   +--------------------------------+----------------------+----------------------------------+
//
// An entry's owner is stored as a code of w = 1, 2 or 4 bytes (the narrowest that fits the
// table's distinct owners): code 0 marks an empty fixed slot; with w < 4 code c names
// owners[c - 1] (a list's entries share one owner, so a list entry costs one byte for it);
// with w = 4 the code is owner + 1 and there is no owners array. A string slot is empty when
// its tag is 0; the tag (8 bits of the hash) lets a miss skip records without reading them.
// A miss reads one slot run, usually one cache line; lookups can prefetch their slot first.
//
// Lookups check every reference and code against the block, so a corrupt block (a set file
// that passed its checksum by accident or on purpose) can make a lookup miss but never read
// outside it. A large type is split into shards (tables chosen by hash bits that neither the
// home slot nor the tag use), so one shard can be rebuilt at a time during live updates.

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
  struct Shape {
    RecordLayout layout = RecordLayout::fixed;
    std::uint32_t key_size = 0;   // fixed layout
    std::uint32_t count = 0;      // records
    std::uint32_t capacity = 0;   // slots
    std::uint8_t owner_width = 1; // bytes of an owner code: 1, 2 or 4
    std::uint32_t owners = 0;     // entries of the owners array (0 when owner_width is 4)
  };
  FrozenTable() = default;
  // The empty table (finds nothing), for sets not frozen yet.
  static const FrozenTable& none() noexcept {
    static const FrozenTable empty;  // constant-initialised: no guard on the hot path
    return empty;
  }
  // Wraps a block laid out as above; `keep` owns the bytes (a heap buffer or a mapped file).
  // Returns false if the shape does not fit the block.
  static bool wrap(const Shape& shape, const std::uint8_t* block, std::size_t size, std::shared_ptr<const void> keep,
                   FrozenTable& out);

  const Shape& shape() const noexcept { return shape_; }
  RecordLayout layout() const noexcept { return shape_.layout; }
  std::uint32_t key_size() const noexcept { return shape_.key_size; }
  std::uint32_t count() const noexcept { return shape_.count; }
  std::uint32_t capacity() const noexcept { return shape_.capacity; }
  const std::uint8_t* block() const noexcept { return block_; }
  std::size_t block_size() const noexcept { return block_size_; }

  // Brings the home slot of `hash` towards the cache, so several probes' memory latencies
  // overlap (a domain lookup probes every parent of the name).
  void prefetch(std::uint32_t hash) const noexcept {
    if (shape_.capacity != 0) __builtin_prefetch(block_ + home(hash) * stride_);
  }

  // Fixed layout: visit(owner) for every record whose key equals `key`.
  template <class F>
  void find(std::uint32_t hash, const std::uint8_t* key, F&& visit) const {
    if (shape_.capacity == 0) return;
    const std::size_t ks = shape_.key_size;
    std::size_t i = home(hash);
    // At most `capacity` steps even in a corrupt block whose slots are all taken.
    for (std::size_t steps = 0; steps < shape_.capacity; ++steps) {
      const std::uint8_t* slot = block_ + i * stride_;
      const std::uint32_t code = read_code(slot + ks);
      if (code == 0) return;
      EntryOwner owner;
      if (same_bytes(slot, key, ks) && owner_of(code, owner)) visit(owner);
      if (++i == shape_.capacity) i = 0;
    }
  }
  // String layout: visit(owner, stored bytes) for every record equal to `s`.
  template <class F>
  void find(std::uint32_t hash, std::string_view s, F&& visit) const {
    if (shape_.capacity == 0) return;
    const std::uint8_t t = tag_of(hash);
    const std::size_t w = shape_.owner_width;
    std::size_t i = home(hash);
    for (std::size_t steps = 0; steps < shape_.capacity; ++steps) {
      const std::uint8_t* slot = block_ + i * 5;
      if (slot[0] == 0) return;
      if (slot[0] == t) {
        const std::size_t off = get_u32(slot + 1);
        if (off <= records_size_ && records_size_ - off >= w + 2) {
          const std::uint8_t* r = records_ + off;
          const std::size_t len = get_u16(r + w);
          EntryOwner owner;
          if (len == s.size() && records_size_ - off - w - 2 >= len && std::memcmp(r + w + 2, s.data(), len) == 0 &&
              owner_of(read_code(r), owner))
            visit(owner, std::string_view(reinterpret_cast<const char*>(r + w + 2), len));
        }
      }
      if (++i == shape_.capacity) i = 0;
    }
  }
  // visit(key bytes, key size, owner) for every record (fixed: in slot order; string: in
  // storage order, stopping at the first malformed record).
  template <class F>
  void for_each_record(F&& visit) const {
    EntryOwner owner;
    if (shape_.layout == RecordLayout::fixed) {
      for (std::size_t i = 0; i < shape_.capacity; ++i) {
        const std::uint8_t* slot = block_ + i * stride_;
        if (owner_of(read_code(slot + shape_.key_size), owner)) visit(slot, std::size_t{shape_.key_size}, owner);
      }
      return;
    }
    const std::size_t w = shape_.owner_width;
    for (std::size_t at = 0; at + w + 2 <= records_size_;) {
      const std::size_t len = get_u16(records_ + at + w);
      if (at + w + 2 + len > records_size_) return;
      if (owner_of(read_code(records_ + at), owner)) visit(records_ + at + w + 2, len, owner);
      at += w + 2 + len;
    }
  }

 private:
  // Keys are 5..33 bytes: a loop the compiler keeps inline beats a call to memcmp.
  static bool same_bytes(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }
  std::size_t home(std::uint32_t hash) const noexcept {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(hash) * shape_.capacity) >> 32);
  }
  std::uint32_t read_code(const std::uint8_t* p) const noexcept {
    switch (shape_.owner_width) {
      case 1: return p[0];
      case 2: return get_u16(p);
      default: return get_u32(p);
    }
  }
  bool owner_of(std::uint32_t code, EntryOwner& out) const noexcept {
    if (code == 0) return false;
    if (shape_.owner_width == 4) {
      out = code - 1;
      return true;
    }
    if (code > shape_.owners) return false;
    out = get_u32(owners_ + 4 * static_cast<std::size_t>(code - 1));
    return true;
  }

  Shape shape_;
  std::size_t stride_ = 0;  // bytes of a slot
  const std::uint8_t* block_ = nullptr;
  const std::uint8_t* owners_ = nullptr;
  const std::uint8_t* records_ = nullptr;  // string layout
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

// Slots for `count` entries at the steady load factors of frozen tables: 0.8 for fixed slots
// (a record each, so empty slots cost a record's size), 0.7 for the 5-byte string slots.
inline std::size_t frozen_capacity(RecordLayout layout, std::size_t count) noexcept {
  return layout == RecordLayout::fixed ? count + count / 4 + 8 : count + count * 3 / 7 + 8;
}

// Shard bits for a table of `count` records of about `record_bytes` each: shards of at most
// ~1 MiB of records, so rebuilding one during a live update costs a small fraction of the set.
unsigned shard_bits_for(std::size_t count, std::size_t record_bytes) noexcept;

}  // namespace outpost::rules::sets

namespace outpost::rules {

inline const sets::FrozenTable& TermSet::table_for(std::size_t family, std::uint32_t hash) const noexcept {
  const Family& f = families_[family];
  if (f.shards.empty()) return sets::FrozenTable::none();  // before compact(): nothing found
  return *f.shards[sets::shard_of(hash, f.shard_bits)];
}

}  // namespace outpost::rules
