#include "rules/indicator_store.h"

#include <cstring>
#include <functional>

#include "rules/sets/table.h"
#include "rules/stix/stix_id.h"

namespace outpost::rules {

// ---------------------------------------------------------------------------------------
// IndicatorSnapshot

IndicatorSnapshot::IndicatorSnapshot(std::shared_ptr<const IndicatorSet> base, std::shared_ptr<const IndicatorSet> overlay,
                                     std::vector<std::uint64_t> hidden)
    : base_(std::move(base)), overlay_(std::move(overlay)), hidden_(std::move(hidden)) {
  layers_.base = base_.get();
  layers_.overlay = overlay_.get();
  layers_.hidden = hidden_.empty() ? nullptr : &hidden_;
}

std::size_t IndicatorSnapshot::hidden_records() const noexcept {
  std::size_t n = 0;
  for (std::uint64_t w : hidden_)
    for (; w != 0; w &= w - 1) ++n;
  return n;
}

std::size_t IndicatorSnapshot::memory_bytes(std::set<const void*>& seen) const {
  std::size_t n = hidden_.capacity() * sizeof(std::uint64_t);
  for (const IndicatorSet* set : {base_.get(), overlay_.get()}) {
    if (set == nullptr) continue;
    set->for_each_block([&](const void* block, std::size_t bytes) {
      if (block != nullptr && seen.insert(block).second) n += bytes;
    });
  }
  return n;
}

std::size_t IndicatorSnapshot::memory_bytes() const {
  std::set<const void*> seen;
  return memory_bytes(seen);
}

// ---------------------------------------------------------------------------------------
// IndicatorStore

IndicatorStore::IndicatorStore(std::shared_ptr<const IndicatorSet> base, StoreOptions options)
    : options_(options), base_(std::move(base)) {
  current_ = std::make_shared<IndicatorSnapshot>(base_, nullptr, std::vector<std::uint64_t>{});
}

bool IndicatorStore::current_version(const std::string& id, Version& out, std::int64_t& base_record) const {
  base_record = -1;
  Uuid u;
  const std::size_t dash = id.find("--");
  if (dash != std::string::npos && parse_uuid(std::string_view(id).substr(dash + 2), u)) {
    const std::uint32_t h = sets::hash_bytes(u.bytes, 16);
    base_->id_index_.find(h, u.bytes, [&](EntryOwner rec) {
      if (rec < base_->records_.size() && !base_->records_.dead(rec)) base_record = rec;
    });
  }
  const auto v = versions_.find(id);
  if (v != versions_.end()) {
    out = v->second;
    return true;
  }
  if (base_record >= 0) {
    out.time = base_->records_.get(static_cast<std::size_t>(base_record)).version;
    out.revoked = false;
    return true;
  }
  return false;
}

void IndicatorStore::hide(std::size_t record) {
  if (hidden_.size() <= record / 64) hidden_.resize(record / 64 + 1, 0);
  hidden_[record / 64] |= std::uint64_t{1} << (record % 64);
}

std::shared_ptr<const IndicatorSnapshot> IndicatorStore::publish(std::shared_ptr<const IndicatorSet> base,
                                                                 std::shared_ptr<const IndicatorSet> overlay) {
  current_ = std::make_shared<IndicatorSnapshot>(std::move(base), std::move(overlay), hidden_);
  return current_;
}

std::shared_ptr<const IndicatorSnapshot> IndicatorStore::apply(const IndicatorSource& source,
                                                               std::vector<stix::StixIndicator> batch) {
  ++stats_.batches;
  std::uint32_t src = 0;
  while (src < sources_.size() && (sources_[src].name != source.name || sources_[src].kind != source.kind)) ++src;
  if (src == sources_.size()) sources_.push_back(source);
  else sources_[src].version = source.version;
  for (stix::StixIndicator& in : batch) {
    // STIX 2.1 §3.6: the version with the latest `modified` is current; a revoked version at
    // the same time wins (revocation is final).
    const TimeUs version = in.modified != stix::kNoTime ? in.modified : in.created;
    Version cur;
    std::int64_t base_record = -1;
    const bool known = current_version(in.id, cur, base_record);
    if (known && (version < cur.time || (version == cur.time && (!in.revoked || cur.revoked)))) {
      ++stats_.stale;
      continue;
    }
    versions_[in.id] = Version{version, in.revoked};
    if (base_record >= 0) hide(static_cast<std::size_t>(base_record));
    if (in.revoked) {
      overlay_.erase(in.id);
      ++stats_.revoked;
      continue;
    }
    ++(known ? stats_.replaced : stats_.added);
    const std::string id = in.id;
    overlay_[id] = OverlayEntry{std::move(in), src};
  }
  return rebuild_overlay();
}

std::shared_ptr<const IndicatorSnapshot> IndicatorStore::expire(TimeUs now) {
  for (std::size_t i = 0; i < base_->records_.size(); ++i) {
    if (base_->records_.dead(i)) continue;
    if (i / 64 < hidden_.size() && (hidden_[i / 64] >> (i % 64) & 1) != 0) continue;
    const IndicatorRecord r = base_->records_.get(i);
    if (r.valid_until == stix::kNoTime || r.valid_until > now) continue;
    char id[48];
    versions_[std::string(id, base_->records_.format_id(i, id))] = Version{r.version, false};
    hide(i);
    ++stats_.expired;
  }
  for (auto it = overlay_.begin(); it != overlay_.end();) {
    const TimeUs until = it->second.indicator.valid_until;
    if (until != stix::kNoTime && until <= now) {
      it = overlay_.erase(it);
      ++stats_.expired;
    } else {
      ++it;
    }
  }
  return rebuild_overlay();
}

std::shared_ptr<const IndicatorSnapshot> IndicatorStore::rebuild_overlay() {
  if (overlay_.empty()) {
    overlay_set_.reset();
    return publish(base_, nullptr);
  }
  IndicatorSetBuilder b;
  b.set_record_base(static_cast<std::uint32_t>(base_->records_.size()));
  std::vector<std::vector<stix::StixIndicator>> by_source(sources_.size());
  for (const auto& [id, e] : overlay_) by_source[e.source].push_back(e.indicator);
  for (std::size_t i = 0; i < by_source.size(); ++i)
    if (!by_source[i].empty()) b.add_indicators(sources_[i], std::move(by_source[i]));
  overlay_set_ = b.build();
  return publish(base_, overlay_set_);
}

namespace {

std::size_t heap_bytes(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }

// What one overlay indicator costs the update side: the map node with the object kept for
// the next rebuild, and during a rebuild its copy handed to the builder and the builder's
// compiled version of it (measured with heaptrack in tests/bench "engine update": about 2.4
// KB per indicator of the bench's, most of it that transient).
std::size_t update_bytes(const stix::StixIndicator& in) {
  std::size_t b = sizeof(stix::StixIndicator) + heap_bytes(in.id) + heap_bytes(in.spec_version) +
                  heap_bytes(in.pattern) + heap_bytes(in.pattern_type) + heap_bytes(in.name) +
                  heap_bytes(in.created_by_ref);
  for (const auto& v : {std::cref(in.indicator_types), std::cref(in.object_marking_refs)})
    for (const auto& t : v.get()) b += sizeof(std::string) + heap_bytes(t);
  constexpr std::size_t kMapNode = 96;      // node, key string and allocator overhead
  constexpr std::size_t kCompiled = 640;    // the builder's pending version: compiled terms, id
  return kMapNode + heap_bytes(in.id) + 2 * b + kCompiled;
}

}  // namespace

std::size_t IndicatorStore::update_memory_bytes() const noexcept {
  std::size_t b = overlay_set_ ? overlay_set_->memory_bytes() : 0;
  for (const auto& [id, e] : overlay_) b += update_bytes(e.indicator);
  return b;
}

bool IndicatorStore::overlay_over_bound() const noexcept {
  if (!overlay_set_) return false;
  if (overlay_.size() > options_.max_overlay_indicators) return true;
  // Bounded by what the update side really holds and what a rebuild of the overlay costs,
  // not only by the overlay's compact set: the objects kept for rebuilds dominate.
  return static_cast<double>(update_memory_bytes()) >
         options_.overlay_fraction * static_cast<double>(base_->memory_bytes());
}

std::unique_ptr<IndicatorSet> IndicatorStore::clone_base(const IndicatorSet& from) const {
  std::unique_ptr<IndicatorSet> c(new IndicatorSet);
  for (std::size_t t = 0; t < kIndicatorTypeCount; ++t)
    if (from.sets_[t]) c->sets_[t] = from.sets_[t]->clone(c->budget_);
  c->records_ = from.records_;
  c->id_index_ = from.id_index_;
  c->lists_ = from.lists_;
  for (const auto& s : from.sources_) c->sources_.push_back(std::make_unique<IndicatorSource>(*s));
  c->marking_sets_ = from.marking_sets_;
  c->marking_definitions_ = from.marking_definitions_;
  c->residual_patterns_ = from.residual_patterns_;
  c->residuals_ = from.residuals_;
  c->certificate_facts_ = from.certificate_facts_;
  c->scan_ = from.scan_;
  c->wants_ = from.wants_;
  c->stats_ = from.stats_;
  return c;
}

// Merge step 1: the overlay's records join the base's (same numbers, so the overlay's entries
// now resolve to base records), hidden base records become dead, and the shards the overlay's
// entries fall into are listed for rebuilding.
std::shared_ptr<const IndicatorSnapshot> IndicatorStore::merge_records() {
  std::unique_ptr<IndicatorSet> b = clone_base(*base_);
  const IndicatorSet& o = *overlay_set_;
  std::vector<std::uint32_t> source_map;
  for (const auto& s : o.sources_) {
    source_map.push_back(static_cast<std::uint32_t>(b->sources_.size()));
    b->sources_.push_back(std::make_unique<IndicatorSource>(*s));
  }
  for (std::size_t i = 0; i < o.records_.size(); ++i) {
    IndicatorRecord r = o.records_.get(i);
    r.source = source_map[r.source];
    if (r.markings >= 0) r.markings = b->intern_markings(o.marking_sets_[static_cast<std::size_t>(r.markings)]);
    if (r.residual >= 0) {
      b->residual_patterns_.push_back(o.residual_patterns_[static_cast<std::size_t>(r.residual)]);
      r.residual = static_cast<std::int32_t>(b->residual_patterns_.size() - 1);
    }
    b->records_.append(r);
  }
  for (std::size_t w = 0; w < hidden_.size(); ++w)
    for (std::uint64_t bits = hidden_[w]; bits != 0; bits &= bits - 1) {
      std::size_t bit = 0;
      while ((bits >> bit & 1) == 0) ++bit;
      b->records_.set_dead(w * 64 + bit);
    }
  for (std::size_t k = 0; k < kObservationKindCount; ++k)
    b->scan_[k].insert(b->scan_[k].end(), o.scan_[k].begin(), o.scan_[k].end());
  hidden_.clear();
  b->index_ids();
  b->compile_residuals();
  b->compute_wants();
  merge_todo_.clear();
  std::set<std::array<std::size_t, 3>> todo;
  for (std::size_t t = 0; t < kIndicatorTypeCount; ++t) {
    const TermSet* ot = o.sets_[t].get();
    if (ot == nullptr || ot->size() == 0) continue;
    const TermSet* bt = b->sets_[t].get();
    if (bt == nullptr) {
      todo.insert({t, SIZE_MAX, SIZE_MAX});  // a type the base does not have: built whole
      continue;
    }
    ot->for_each_entry([&](std::string_view term, EntryOwner) {
      std::size_t family = 0, shard = 0;
      if (bt->locate(term, family, shard)) todo.insert({t, family, shard});
    });
  }
  merge_todo_.assign(todo.begin(), todo.end());
  merging_ = true;
  base_ = std::move(b);
  return publish(base_, overlay_set_);
}

std::shared_ptr<const IndicatorSnapshot> IndicatorStore::merge_step() {
  if (!merging_) {
    if (!overlay_over_bound()) return current_;
    return merge_records();
  }
  if (!merge_todo_.empty()) {
    const auto [t, family, shard] = merge_todo_.back();
    merge_todo_.pop_back();
    std::vector<std::pair<std::string, EntryOwner>> extra;
    overlay_set_->sets_[t]->for_each_entry(
        [&](std::string_view term, EntryOwner owner) { extra.emplace_back(std::string(term), owner); });
    std::unique_ptr<IndicatorSet> b = clone_base(*base_);
    const auto type = static_cast<IndicatorType>(t);
    if (family == SIZE_MAX) {
      auto ts = make_term_set(type, b->budget_);
      for (const auto& [term, owner] : extra) ts->add(term, owner);
      ts->compact();
      b->sets_[t] = std::move(ts);
    } else {
      const IndicatorSet& cur = *b;
      auto keep = [&cur](EntryOwner owner) {
        return (owner & kListOwner) != 0 || (owner < cur.records_.size() && !cur.records_.dead(owner));
      };
      sets::FrozenTable table;
      if (!b->sets_[t]->rebuild_shard(family, shard, keep, extra, b->budget_, table)) {
        // The overlay keeps matching what this shard lacks; nothing is lost.
        ++stats_.merge_failures;
        merge_todo_.clear();
        merging_ = false;
        return current_;
      }
      b->sets_[t]->replace_shard(family, shard, table);
    }
    ++stats_.shards_rebuilt;
    b->compute_wants();
    for (std::size_t i = 0; i < kIndicatorTypeCount; ++i) {
      b->stats_.types[i].entries = b->size(static_cast<IndicatorType>(i));
      b->stats_.types[i].bytes = b->memory_bytes(static_cast<IndicatorType>(i));
    }
    b->stats_.stix_indicators = b->records_.size();
    b->stats_.memory_bytes = b->memory_bytes();
    base_ = std::move(b);
    return publish(base_, overlay_set_);
  }
  // Every shard holds the overlay's entries now: drop the overlay. Revocations stay known
  // (a re-sent older version must not come back); other versions live in the base's records.
  for (auto it = versions_.begin(); it != versions_.end();) it = it->second.revoked ? std::next(it) : versions_.erase(it);
  overlay_.clear();
  overlay_set_.reset();
  merging_ = false;
  ++stats_.merges;
  return publish(base_, nullptr);
}

// ---------------------------------------------------------------------------------------
// SnapshotMailbox

SnapshotMailbox::SnapshotMailbox(std::shared_ptr<const IndicatorSnapshot> initial) {
  if (initial) retained_.push_back(std::make_unique<Box>(Box{std::move(initial), 0}));
}

SnapshotMailbox::~SnapshotMailbox() = default;

void SnapshotMailbox::offer(std::shared_ptr<const IndicatorSnapshot> snapshot) {
  retained_.push_back(std::make_unique<Box>(Box{std::move(snapshot), next_generation_++}));
  // A box not taken is simply passed over: the packet thread never saw it.
  slot_.store(retained_.back().get(), std::memory_order_release);
  collect();
}

std::size_t SnapshotMailbox::collect() {
  // Never the slot's box: it is newer than anything the packet thread took.
  const std::uint64_t oldest = oldest_held_.load(std::memory_order_acquire);
  while (!retained_.empty() && retained_.front()->generation < oldest) retained_.pop_front();
  return retained_.size();
}

bool SnapshotMailbox::take(std::shared_ptr<const IndicatorSnapshot>& current) {
  if (slot_.load(std::memory_order_relaxed) == nullptr) return false;
  const Box* box = slot_.exchange(nullptr, std::memory_order_acq_rel);
  if (box == nullptr) return false;
  // A copy (a reference count), and the one released is still retained: nothing is freed.
  current = box->snapshot;
  // Only now, with the old one released, may the update thread free what is older.
  oldest_held_.store(box->generation, std::memory_order_release);
  return true;
}

}  // namespace outpost::rules
