#include "rules/sets/table.h"

#include <unordered_map>

namespace outpost::rules::sets {

bool FrozenTable::wrap(const Shape& shape, const std::uint8_t* block, std::size_t size, std::shared_ptr<const void> keep,
                       FrozenTable& out) {
  const std::size_t w = shape.owner_width;
  if (w != 1 && w != 2 && w != 4) return false;
  if ((w == 4 && shape.owners != 0) || (w < 4 && shape.count > 0 && shape.owners == 0)) return false;
  if (shape.count > shape.capacity || (shape.capacity == 0 && size != 0 && shape.layout == RecordLayout::fixed)) return false;
  const std::size_t owners_bytes = static_cast<std::size_t>(shape.owners) * 4;
  std::size_t stride = 0;
  if (shape.layout == RecordLayout::fixed) {
    if (shape.key_size == 0 || shape.key_size > 64) return false;
    stride = shape.key_size + w;
    if (static_cast<std::uint64_t>(shape.capacity) * stride + owners_bytes != size) return false;
  } else if (shape.layout == RecordLayout::string && shape.key_size == 0) {
    stride = 5;
    if (static_cast<std::uint64_t>(shape.capacity) * stride + owners_bytes > size) return false;
  } else {
    return false;
  }
  out.shape_ = shape;
  out.stride_ = stride;
  out.block_ = block;
  out.owners_ = block + shape.capacity * stride;
  out.records_ = out.owners_ + owners_bytes;
  out.records_size_ = size - shape.capacity * stride - owners_bytes;
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
  const std::size_t cost = layout_ == RecordLayout::fixed ? rec + rec / 4 + 1 : rec + kIndexBytesPerEntry;
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
  // visit(key, key size, owner) for every record, in insertion order (so codes, and the
  // frozen bytes, depend only on the inputs).
  auto visit_records = [&](auto&& fn) {
    if (layout_ == RecordLayout::fixed) {
      const std::size_t stride = key_size_ + 4;
      for (std::size_t at = 0; at < records_.size(); at += stride) fn(&records_[at], key_size_, get_u32(&records_[at + key_size_]));
    } else {
      for (std::size_t at = 0; at < records_.size();) {
        const std::size_t len = get_u16(&records_[at + 4]);
        fn(&records_[at + 6], len, get_u32(&records_[at]));
        at += 6 + len;
      }
    }
  };
  struct Shard {
    std::unordered_map<EntryOwner, std::uint32_t> codes;  // owner -> index in owners
    std::vector<EntryOwner> owners;
    std::size_t count = 0, key_bytes = 0;
    FrozenTable::Shape shape;
    std::vector<std::uint8_t>* bytes = nullptr;
    std::size_t filled = 0;
  };
  std::vector<Shard> sh(shards);
  visit_records([&](const std::uint8_t* key, std::size_t len, EntryOwner owner) {
    Shard& s = sh[shard_of(hash_(key, len), shard_bits)];
    ++s.count;
    s.key_bytes += len;
    if (s.codes.emplace(owner, static_cast<std::uint32_t>(s.owners.size())).second) s.owners.push_back(owner);
  });
  auto blocks = std::make_shared<std::vector<std::vector<std::uint8_t>>>(shards);
  std::size_t total = 0;
  for (std::size_t i = 0; i < shards; ++i) {
    Shard& s = sh[i];
    FrozenTable::Shape& shape = s.shape;
    shape.layout = layout_;
    shape.key_size = key_size_;
    shape.count = static_cast<std::uint32_t>(s.count);
    shape.capacity = s.count == 0 ? 0 : static_cast<std::uint32_t>(frozen_capacity(layout_, s.count));
    shape.owner_width = s.owners.size() <= 0xff ? 1 : s.owners.size() <= 0xffff ? 2 : 4;
    shape.owners = shape.owner_width == 4 || s.count == 0 ? 0 : static_cast<std::uint32_t>(s.owners.size());
    if (s.count == 0) shape.owner_width = 1;
    const std::size_t w = shape.owner_width;
    std::size_t size = static_cast<std::size_t>(shape.owners) * 4;
    if (layout_ == RecordLayout::fixed) size += shape.capacity * (key_size_ + w);
    else size += shape.capacity * std::size_t{5} + s.count * (w + 2) + s.key_bytes;
    std::vector<std::uint8_t>& b = (*blocks)[i];
    b.assign(size, 0);
    s.bytes = &b;
    const std::size_t stride = layout_ == RecordLayout::fixed ? key_size_ + w : 5;
    for (std::size_t k = 0; k < shape.owners; ++k) put_u32(&b[shape.capacity * stride + 4 * k], s.owners[k]);
    total += size;
  }
  budget_->adjust(charged_, total);
  charged_ = 0;
  // Pass 2: place each record in its shard.
  visit_records([&](const std::uint8_t* key, std::size_t len, EntryOwner owner) {
    const std::uint32_t h = hash_(key, len);
    Shard& s = sh[shard_of(h, shard_bits)];
    const FrozenTable::Shape& shape = s.shape;
    const std::size_t w = shape.owner_width;
    const std::uint32_t code = w == 4 ? owner + 1 : s.codes[owner] + 1;
    std::uint8_t* base = s.bytes->data();
    auto put_code = [&](std::uint8_t* p) {
      if (w == 1) p[0] = static_cast<std::uint8_t>(code);
      else if (w == 2) put_u16(p, static_cast<std::uint16_t>(code));
      else put_u32(p, code);
    };
    std::size_t i = static_cast<std::size_t>((static_cast<std::uint64_t>(h) * shape.capacity) >> 32);
    if (layout_ == RecordLayout::fixed) {
      const std::size_t stride = key_size_ + w;
      // A slot is taken when its code is not 0.
      auto taken = [&](std::size_t j) {
        const std::uint8_t* c = base + j * stride + key_size_;
        for (std::size_t k = 0; k < w; ++k)
          if (c[k] != 0) return true;
        return false;
      };
      while (taken(i)) i = i + 1 == shape.capacity ? 0 : i + 1;
      std::memcpy(base + i * stride, key, len);
      put_code(base + i * stride + key_size_);
      return;
    }
    while (base[i * 5] != 0) i = i + 1 == shape.capacity ? 0 : i + 1;
    const std::size_t records_at = shape.capacity * std::size_t{5} + shape.owners * std::size_t{4};
    base[i * 5] = tag_of(h);
    put_u32(base + i * 5 + 1, static_cast<std::uint32_t>(s.filled));
    std::uint8_t* r = base + records_at + s.filled;
    put_code(r);
    put_u16(r + w, static_cast<std::uint16_t>(len));
    std::memcpy(r + w + 2, key, len);
    s.filled += w + 2 + len;
  });
  out.clear();
  out.resize(shards);
  for (std::size_t i = 0; i < shards; ++i) {
    const std::vector<std::uint8_t>& b = (*blocks)[i];
    FrozenTable::wrap(sh[i].shape, b.data(), b.size(), std::shared_ptr<const void>(blocks, &b), out[i]);
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
