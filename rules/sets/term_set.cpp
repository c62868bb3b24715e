#include "rules/sets/term_set.h"

#include "rules/sets/modules.h"
#include "rules/sets/table.h"

namespace outpost::rules {

using sets::FrozenTable;
using sets::TableBuilder;

TermSet::TermSet(IndicatorType type, MemoryBudget& budget, std::vector<FamilySpec> families)
    : type_(type), budget_(&budget) {
  for (const FamilySpec& spec : families) {
    Family f{spec, std::make_unique<TableBuilder>(spec.layout, spec.key_size, spec.hash, budget), 0, {}};
    families_.push_back(std::move(f));
  }
}

TermSet::~TermSet() = default;

AddResult TermSet::add(std::string_view canonical, EntryOwner owner) {
  std::uint8_t key[kMaxKey];
  std::size_t size = 0, family = 0;
  if (!encode(canonical, key, size, family) || family >= families_.size()) return AddResult::invalid;
  TableBuilder* b = families_[family].builder.get();
  if (b == nullptr) return AddResult::invalid;  // frozen
  const AddResult r = b->add(key, size, owner);
  if (r == AddResult::added) {
    ++entries_;
    on_added(family, key, size);
  }
  return r;
}

void TermSet::compact() {
  for (Family& f : families_) {
    if (!f.builder) continue;
    // About the bytes of one record; string records are estimated from the builder's size.
    const std::size_t n = f.builder->count();
    const std::size_t record = n == 0 ? 8 : f.builder->memory_bytes() / n;
    f.shard_bits = sets::shard_bits_for(n, record);
    std::vector<FrozenTable> tables;
    if (!f.builder->freeze(f.shard_bits, tables)) {
      // The budget refused the frozen copy: keep an empty set rather than a half one.
      f.shard_bits = 0;
      tables.assign(1, FrozenTable());
      entries_ = 0;
    }
    f.shards.clear();
    for (auto& t : tables) f.shards.push_back(std::make_shared<const FrozenTable>(std::move(t)));
    f.builder.reset();
  }
}

unsigned TermSet::shard_bits(std::size_t family) const noexcept { return families_[family].shard_bits; }

const FrozenTable& TermSet::shard(std::size_t family, std::size_t index) const noexcept {
  return *families_[family].shards[index];
}

std::size_t TermSet::size() const noexcept { return entries_; }

std::size_t TermSet::memory_bytes() const noexcept {
  std::size_t n = 0;
  for (const Family& f : families_) {
    if (f.builder) n += f.builder->memory_bytes();
    for (const auto& s : f.shards) n += s->block_size();
  }
  return n;
}

void TermSet::for_each_entry(const std::function<void(std::string_view, EntryOwner)>& visit) const {
  char text[kMaxKey + 8];
  for (std::size_t fi = 0; fi < families_.size(); ++fi)
    for (const auto& s : families_[fi].shards)
      s->for_each_record([&](const std::uint8_t* key, std::size_t size, EntryOwner owner) {
        visit(std::string_view(text, format(fi, key, size, text)), owner);
      });
}

void TermSet::for_each_key(const std::function<void(std::size_t, const std::uint8_t*, std::size_t)>& visit) const {
  for (std::size_t fi = 0; fi < families_.size(); ++fi)
    for (const auto& s : families_[fi].shards)
      s->for_each_record([&](const std::uint8_t* key, std::size_t size, EntryOwner) { visit(fi, key, size); });
}

bool TermSet::locate(std::string_view canonical, std::size_t& family, std::size_t& index) const {
  std::uint8_t key[kMaxKey];
  std::size_t size = 0;
  if (!encode(canonical, key, size, family) || family >= families_.size()) return false;
  index = sets::shard_of(families_[family].spec.hash(key, size), families_[family].shard_bits);
  return true;
}

bool TermSet::rebuild_shard(std::size_t family, std::size_t index, const std::function<bool(EntryOwner)>& keep,
                            const std::vector<std::pair<std::string, EntryOwner>>& extra, MemoryBudget& budget,
                            FrozenTable& out) const {
  const Family& f = families_[family];
  TableBuilder b(f.spec.layout, f.spec.key_size, f.spec.hash, budget);
  bool ok = true;
  f.shards[index]->for_each_record([&](const std::uint8_t* key, std::size_t size, EntryOwner owner) {
    if (ok && keep(owner) && b.add(key, size, owner) == AddResult::budget_exhausted) ok = false;
  });
  std::uint8_t key[kMaxKey];
  for (const auto& [canonical, owner] : extra) {
    std::size_t size = 0, fam = 0;
    if (!encode(canonical, key, size, fam) || fam != family) continue;
    if (sets::shard_of(f.spec.hash(key, size), f.shard_bits) != index) continue;
    if (b.add(key, size, owner) == AddResult::budget_exhausted) ok = false;
  }
  if (!ok) return false;
  // One table, placed as shard `index` of 2^shard_bits: freeze with no shard bits.
  std::vector<FrozenTable> tables;
  if (!b.freeze(0, tables)) return false;
  out = tables[0];
  return true;
}

void TermSet::for_each_block(const std::function<void(const void*, std::size_t)>& visit) const {
  for (const Family& f : families_)
    for (const auto& s : f.shards) visit(s->block(), s->block_size());
}

std::unique_ptr<TermSet> TermSet::clone(MemoryBudget& budget) const {
  std::unique_ptr<TermSet> c = make_empty(budget);
  c->entries_ = entries_;
  c->meta_ = meta_;
  c->copy_derived_state(*this);
  for (std::size_t i = 0; i < families_.size(); ++i) {
    c->families_[i].builder.reset();
    c->families_[i].shard_bits = families_[i].shard_bits;
    c->families_[i].shards = families_[i].shards;
  }
  return c;
}

void TermSet::replace_shard(std::size_t family, std::size_t index, const FrozenTable& table) {
  Family& f = families_[family];
  entries_ = entries_ - f.shards[index]->count() + table.count();
  table.for_each_record([&](const std::uint8_t* key, std::size_t size, EntryOwner) { on_added(family, key, size); });
  f.shards[index] = std::make_shared<const FrozenTable>(table);
}

bool TermSet::adopt(std::vector<std::vector<FrozenTable>> shards, const std::array<std::uint64_t, 4>& meta) {
  if (shards.size() != families_.size()) return false;
  std::size_t entries = 0;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const std::size_t n = shards[i].size();
    if (n == 0 || (n & (n - 1)) != 0 || n > 256) return false;
    for (const FrozenTable& t : shards[i]) {
      if (t.layout() != families_[i].spec.layout || (t.layout() == sets::RecordLayout::fixed &&
                                                     t.key_size() != families_[i].spec.key_size))
        return false;
      entries += t.count();
    }
  }
  for (std::size_t i = 0; i < shards.size(); ++i) {
    Family& f = families_[i];
    f.builder.reset();
    f.shard_bits = 0;
    while ((std::size_t{1} << f.shard_bits) < shards[i].size()) ++f.shard_bits;
    f.shards.clear();
    for (auto& t : shards[i]) f.shards.push_back(std::make_shared<const FrozenTable>(std::move(t)));
  }
  entries_ = entries;
  meta_ = meta;
  on_adopted();
  return true;
}

std::unique_ptr<TermSet> make_term_set(IndicatorType type, MemoryBudget& budget) {
  switch (type) {
    case IndicatorType::domain: return sets::make_domain_set(budget);
    case IndicatorType::url: return sets::make_url_set(budget);
    case IndicatorType::ipv4:
    case IndicatorType::ipv6: return sets::make_address_set(type, budget);
    case IndicatorType::ip_port: return sets::make_ip_port_set(budget);
    case IndicatorType::md5:
    case IndicatorType::sha1:
    case IndicatorType::sha256:
    case IndicatorType::ja3:
    case IndicatorType::ja3s:
    case IndicatorType::x509_sha1: return sets::make_digest_set(type, budget);
    case IndicatorType::count_: break;
  }
  return nullptr;
}

}  // namespace outpost::rules
