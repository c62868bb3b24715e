#include "rules/sets/table.h"

namespace outpost::rules::sets {

bool FrozenTable::wrap(RecordLayout layout, std::uint32_t key_size, std::uint32_t count, std::uint32_t capacity,
                       const std::uint8_t* block, std::size_t size, std::shared_ptr<const void> keep,
                       FrozenTable& out) {
  const std::size_t index_bytes = static_cast<std::size_t>(capacity) * 5;
  if (index_bytes > size || (capacity == 0 && count != 0) || count > capacity) return false;
  if (layout == RecordLayout::fixed) {
    if (key_size == 0 || key_size > 64) return false;
    if ((size - index_bytes) != static_cast<std::size_t>(count) * (key_size + 4)) return false;
  } else if (layout != RecordLayout::string || key_size != 0) {
    return false;
  }
  out.layout_ = layout;
  out.key_size_ = key_size;
  out.count_ = count;
  out.capacity_ = capacity;
  out.tags_ = block;
  out.refs_ = block + capacity;
  out.records_ = block + index_bytes;
  out.records_size_ = size - index_bytes;
  out.block_size_ = size;
  out.keep_ = std::move(keep);
  return true;
}

TableBuilder::TableBuilder(RecordLayout layout, std::uint32_t key_size, KeyHash hash, MemoryBudget& budget)
    : layout_(layout), key_size_(layout == RecordLayout::fixed ? key_size : 0), hash_(hash), budget_(&budget) {}

TableBuilder::~TableBuilder() { budget_->resize(charged_, 0); }

std::size_t TableBuilder::memory_bytes() const noexcept {
  return records_.capacity() + index_.capacity() * sizeof(std::uint32_t);
}

std::uint32_t TableBuilder::record_hash(std::uint32_t ref) const noexcept {
  if (layout_ == RecordLayout::fixed) return hash_(&records_[static_cast<std::size_t>(ref) * (key_size_ + 4)], key_size_);
  const std::uint8_t* r = &records_[ref];
  return hash_(r + 6, get_u16(r + 4));
}

bool TableBuilder::same(std::uint32_t ref, const std::uint8_t* key, std::size_t size, EntryOwner owner) const noexcept {
  if (layout_ == RecordLayout::fixed) {
    const std::uint8_t* r = &records_[static_cast<std::size_t>(ref) * (key_size_ + 4)];
    return std::memcmp(r, key, key_size_) == 0 && get_u32(r + key_size_) == owner;
  }
  const std::uint8_t* r = &records_[ref];
  return get_u16(r + 4) == size && get_u32(r) == owner && std::memcmp(r + 6, key, size) == 0;
}

bool TableBuilder::grow_index(std::size_t capacity) {
  std::vector<std::uint32_t> index(capacity, 0);
  auto place = [&](std::uint32_t ref) {
    const std::uint32_t h = record_hash(ref);
    std::size_t i = static_cast<std::size_t>((static_cast<std::uint64_t>(h) * capacity) >> 32);
    while (index[i] != 0) i = i + 1 == capacity ? 0 : i + 1;
    index[i] = ref + 1;
  };
  if (layout_ == RecordLayout::fixed) {
    for (std::size_t r = 0; r < count_; ++r) place(static_cast<std::uint32_t>(r));
  } else {
    for (std::size_t at = 0; at < records_.size(); at += 6 + get_u16(&records_[at + 4]))
      place(static_cast<std::uint32_t>(at));
  }
  index_.swap(index);
  return true;
}

AddResult TableBuilder::add(const std::uint8_t* key, std::size_t size, EntryOwner owner) {
  if (layout_ == RecordLayout::fixed ? size != key_size_ : (size == 0 || size > 0xffff)) return AddResult::invalid;
  const std::uint32_t h = hash_(key, size);
  const std::size_t cap = index_.size();
  if (cap != 0) {
    for (std::size_t i = static_cast<std::size_t>((static_cast<std::uint64_t>(h) * cap) >> 32); index_[i] != 0;
         i = i + 1 == cap ? 0 : i + 1)
      if (same(index_[i] - 1, key, size, owner)) return AddResult::duplicate;
  }
  const std::size_t rec = layout_ == RecordLayout::fixed ? key_size_ + 4 : 6 + size;
  if (records_.size() + rec > 0xfffffff0u || count_ >= 0x7ffffff0u) return AddResult::budget_exhausted;
  // The budget is charged what the entry will cost once frozen (its record plus its share of
  // a 0.7-full index of 5-byte slots), not the builder's growth slack: the budget bounds the
  // set the agent keeps, and the build's transient is documented beside it.
  const std::size_t cost = rec + kIndexBytesPerEntry;
  if (!budget_->resize(charged_, charged_ + cost)) return AddResult::budget_exhausted;
  charged_ += cost;
  // Load factor <= 0.75 while building.
  if ((count_ + 1) * 4 > cap * 3) grow_index(cap * 2 + 64);
  const std::size_t at = records_.size();
  records_.resize(at + rec);
  std::uint8_t* r = &records_[at];
  if (layout_ == RecordLayout::fixed) {
    std::memcpy(r, key, size);
    put_u32(r + size, owner);
  } else {
    put_u32(r, owner);
    put_u16(r + 4, static_cast<std::uint16_t>(size));
    std::memcpy(r + 6, key, size);
  }
  const std::uint32_t ref = layout_ == RecordLayout::fixed ? static_cast<std::uint32_t>(count_) : static_cast<std::uint32_t>(at);
  const std::size_t c = index_.size();
  std::size_t i = static_cast<std::size_t>((static_cast<std::uint64_t>(h) * c) >> 32);
  while (index_[i] != 0) i = i + 1 == c ? 0 : i + 1;
  index_[i] = ref + 1;
  ++count_;
  return AddResult::added;
}

bool TableBuilder::freeze(unsigned shard_bits, std::vector<FrozenTable>& out) {
  const std::size_t shards = std::size_t{1} << shard_bits;
  // Pass 1: records and bytes per shard.
  std::vector<std::size_t> counts(shards, 0), bytes(shards, 0);
  auto visit_records = [&](auto&& fn) {
    if (layout_ == RecordLayout::fixed) {
      const std::size_t stride = key_size_ + 4;
      for (std::size_t at = 0; at < records_.size(); at += stride) fn(&records_[at], key_size_, stride);
    } else {
      for (std::size_t at = 0; at < records_.size();) {
        const std::size_t len = get_u16(&records_[at + 4]);
        fn(&records_[at + 6], len, 6 + len);
        at += 6 + len;
      }
    }
  };
  visit_records([&](const std::uint8_t* key, std::size_t len, std::size_t rec) {
    const std::size_t s = shard_of(hash_(key, len), shard_bits);
    ++counts[s];
    bytes[s] += rec;
  });
  struct Block {
    std::vector<std::uint8_t> bytes;
    std::size_t capacity = 0, filled = 0, count = 0;
  };
  std::vector<std::shared_ptr<Block>> blocks(shards);
  std::size_t total = 0;
  for (std::size_t s = 0; s < shards; ++s) {
    auto b = std::make_shared<Block>();
    b->capacity = counts[s] == 0 ? 0 : frozen_capacity(counts[s]);
    const std::size_t size = b->capacity * 5 + bytes[s];
    total += size;
    blocks[s] = std::move(b);
    blocks[s]->bytes.reserve(size);
    blocks[s]->bytes.assign(size, 0);
  }
  budget_->adjust(charged_, total);
  charged_ = 0;
  // Pass 2: place each record in its shard.
  visit_records([&](const std::uint8_t* key, std::size_t len, std::size_t rec) {
    const std::uint32_t h = hash_(key, len);
    Block& b = *blocks[shard_of(h, shard_bits)];
    std::uint8_t* base = b.bytes.data();
    const std::size_t at = b.capacity * 5 + b.filled;
    std::memcpy(base + at, key - (layout_ == RecordLayout::fixed ? 0 : 6), rec);
    const std::uint32_t ref = layout_ == RecordLayout::fixed ? static_cast<std::uint32_t>(b.count)
                                                             : static_cast<std::uint32_t>(b.filled);
    std::size_t i = static_cast<std::size_t>((static_cast<std::uint64_t>(h) * b.capacity) >> 32);
    while (base[i] != 0) i = i + 1 == b.capacity ? 0 : i + 1;
    base[i] = tag_of(h);
    put_u32(base + b.capacity + 4 * i, ref);
    b.filled += rec;
    ++b.count;
  });
  out.clear();
  out.resize(shards);
  for (std::size_t s = 0; s < shards; ++s) {
    const auto& b = blocks[s];
    FrozenTable::wrap(layout_, key_size_, static_cast<std::uint32_t>(b->count), static_cast<std::uint32_t>(b->capacity),
                      b->bytes.data(), b->bytes.size(), std::shared_ptr<const void>(b, b.get()), out[s]);
  }
  std::vector<std::uint8_t>().swap(records_);
  std::vector<std::uint32_t>().swap(index_);
  count_ = 0;
  return true;
}

unsigned shard_bits_for(std::size_t count, std::size_t record_bytes) noexcept {
  const std::size_t bytes = count * (record_bytes + 8);
  unsigned bits = 0;
  while (bits < 8 && (bytes >> bits) > (std::size_t{1} << 20)) ++bits;
  return bits;
}

}  // namespace outpost::rules::sets
