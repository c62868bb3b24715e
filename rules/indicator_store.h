#pragma once
// Live updates of the indicators while packets keep flowing (rules/README.md, "Live updates").
//
// The packet path matches against an IndicatorSnapshot: an immutable base IndicatorSet (built
// or mapped from a compiled set), an overlay IndicatorSet with the STIX indicators updates
// added or replaced (its records are numbered after the base's), and the base records the
// updates superseded, revoked or expired (hidden). Snapshots are immutable and shared: an
// update builds a new one next to the current one and hands it to the packet thread, which
// swaps one pointer (SnapshotMailbox) — the packet path never waits for an update.
//
// The IndicatorStore (the update side, one thread) keeps the overlay small: past
// StoreOptions' bound it merges the overlay into the base one shard at a time (each step a
// new snapshot sharing every other shard), so an update's extra memory is the overlay plus one
// shard, never a second copy of the base. Records are only appended: a superseded base record
// stays (hidden, 56 bytes) until the set is compiled anew.
//
//   IndicatorStore store(base);                      // update thread
//   SnapshotMailbox mailbox(store.current());
//   mailbox.offer(store.apply(source, indicators));  // a TAXII page
//   while (store.merge_pending()) mailbox.offer(store.merge_step());
//   ...
//   auto current = store.current();                  // packet thread
//   mailbox.take(current);                           // between packets
//   current->match(observation, sink);

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "rules/indicator_set.h"

namespace outpost::rules {

class IndicatorSnapshot {
 public:
  IndicatorSnapshot(std::shared_ptr<const IndicatorSet> base, std::shared_ptr<const IndicatorSet> overlay,
                    std::vector<std::uint64_t> hidden);

  // Hot path: no allocation, no locks, bounded probes (the base's and the overlay's).
  void match(const Observation& observation, MatchSink& sink, MatchContext* context = nullptr) const {
    IndicatorSet::match(layers_, observation, sink, context);
  }
  bool wants(ObservationKind kind) const noexcept { return layers_.wants(kind); }

  const IndicatorSet& base() const noexcept { return *base_; }
  const IndicatorSet* overlay() const noexcept { return overlay_.get(); }
  std::size_t hidden_records() const noexcept;
  // Bytes of every distinct block this snapshot holds (shards, records, id index), adding each
  // block once to `seen`: two snapshots alive at once cost the union of their blocks.
  std::size_t memory_bytes(std::set<const void*>& seen) const;
  std::size_t memory_bytes() const;

 private:
  std::shared_ptr<const IndicatorSet> base_, overlay_;
  std::vector<std::uint64_t> hidden_;
  IndicatorSet::Layers layers_;
};

struct StoreOptions {
  // The overlay is merged into the base when it holds more indicators than this, or when the
  // update side (update_memory_bytes(): the overlay and the objects kept to rebuild it) holds
  // more bytes than overlay_fraction of the base.
  std::size_t max_overlay_indicators = 20000;
  double overlay_fraction = 0.10;
};

struct StoreStats {
  std::uint64_t batches = 0;
  std::uint64_t added = 0;       // ids not known before
  std::uint64_t replaced = 0;    // newer versions of a known id (STIX 2.1 §3.6)
  std::uint64_t revoked = 0;
  std::uint64_t expired = 0;     // hidden or dropped by expire()
  std::uint64_t stale = 0;       // versions not newer than the one held: ignored
  std::uint64_t merges = 0;      // overlays merged into the base
  std::uint64_t shards_rebuilt = 0;
  std::uint64_t merge_failures = 0;  // a shard rebuild refused (memory); the overlay stays
};

class IndicatorStore {
 public:
  explicit IndicatorStore(std::shared_ptr<const IndicatorSet> base, StoreOptions options = {});

  std::shared_ptr<const IndicatorSnapshot> current() const noexcept { return current_; }

  // A batch of STIX indicator objects from one source (a TAXII page, a bundle): new ids are
  // added, newer versions replace older ones (base or overlay), revoked versions remove them,
  // older or equal versions are ignored (stale). Returns the snapshot to publish.
  std::shared_ptr<const IndicatorSnapshot> apply(const IndicatorSource& source,
                                                 std::vector<stix::StixIndicator> batch);
  // Hides/drops every indicator whose valid_until <= now (matching already ignores them by
  // time; this frees the overlay and keeps them from being merged).
  std::shared_ptr<const IndicatorSnapshot> expire(TimeUs now);

  // Whether the overlay is past its bound; then each merge_step() does one step (records,
  // then one shard, then the final swap) and returns the snapshot to publish.
  bool merge_pending() const noexcept { return merging_ || overlay_over_bound(); }
  std::shared_ptr<const IndicatorSnapshot> merge_step();

  const StoreStats& stats() const noexcept { return stats_; }
  std::size_t overlay_indicators() const noexcept { return overlay_.size(); }
  // Memory of the update side beside the snapshots: the overlay's set and the indicator
  // objects kept to rebuild it, with what one rebuild adds while it runs (an estimate).
  std::size_t update_memory_bytes() const noexcept;

 private:
  struct OverlayEntry {
    stix::StixIndicator indicator;
    std::uint32_t source = 0;  // index into sources_
  };
  struct Version {
    TimeUs time = INT64_MIN;
    bool revoked = false;
  };
  bool current_version(const std::string& id, Version& out, std::int64_t& base_record) const;
  void hide(std::size_t base_record);
  std::shared_ptr<const IndicatorSnapshot> rebuild_overlay();
  bool overlay_over_bound() const noexcept;
  std::shared_ptr<const IndicatorSnapshot> publish(std::shared_ptr<const IndicatorSet> base,
                                                   std::shared_ptr<const IndicatorSet> overlay);
  std::unique_ptr<IndicatorSet> clone_base(const IndicatorSet& from) const;
  std::shared_ptr<const IndicatorSnapshot> merge_records();

  StoreOptions options_;
  std::shared_ptr<const IndicatorSet> base_, overlay_set_;
  std::shared_ptr<const IndicatorSnapshot> current_;
  std::vector<std::uint64_t> hidden_;
  std::map<std::string, OverlayEntry> overlay_;  // current overlay versions by id
  std::map<std::string, Version> versions_;      // newest version seen per id updated so far
  std::vector<IndicatorSource> sources_;
  // Merge in progress: the shards still to rebuild, as (type, family, shard).
  bool merging_ = false;
  std::vector<std::array<std::size_t, 3>> merge_todo_;
  StoreStats stats_;
};

// Hands snapshots from the update thread to the packet thread without a lock: offer() stores
// the newest (an older one not yet taken is released), take() returns it once. The packet
// thread should release what it swaps out off its hot path (or accept a free() of it).
// Hands snapshots from the update thread to the packet thread, and makes sure the packet
// thread never frees one: freeing a replaced base (its shards, an overlay of thousands of
// indicators) takes milliseconds, which the packet path cannot spend. Every snapshot offered
// stays retained by the mailbox until the packet thread has moved past it; the update thread
// frees those in offer() and collect(). The packet thread should take at least every few
// hundred milliseconds (between packets, and on its capture timeout when the line is idle):
// until it does, the update thread keeps what it still holds.
class SnapshotMailbox {
 public:
  // `initial`: the snapshot the packet thread starts with (retained like an offered one).
  explicit SnapshotMailbox(std::shared_ptr<const IndicatorSnapshot> initial = nullptr);
  ~SnapshotMailbox();
  SnapshotMailbox(const SnapshotMailbox&) = delete;
  SnapshotMailbox& operator=(const SnapshotMailbox&) = delete;

  // Update thread: publishes `snapshot` (replacing one not taken yet), then collect()s.
  void offer(std::shared_ptr<const IndicatorSnapshot> snapshot);
  // Update thread: frees the snapshots the packet thread has let go of; returns how many
  // are still retained.
  std::size_t collect();
  std::size_t retained() const noexcept { return retained_.size(); }

  // Packet thread: replaces `current` with the newest offered snapshot, if there is one
  // (true then). The snapshot `current` held is released but never freed here: the mailbox
  // still retains it.
  bool take(std::shared_ptr<const IndicatorSnapshot>& current);

 private:
  struct Box {
    std::shared_ptr<const IndicatorSnapshot> snapshot;
    std::uint64_t generation = 0;
  };
  // The newest offered box not taken yet; boxes belong to retained_, so the packet thread
  // neither allocates nor frees anything (a free could wait on the allocator's lock).
  std::atomic<Box*> slot_{nullptr};
  // The packet thread holds no snapshot of an older generation than this.
  std::atomic<std::uint64_t> oldest_held_{0};
  std::uint64_t next_generation_ = 1;            // update thread only
  std::deque<std::unique_ptr<Box>> retained_;    // update thread only, oldest first
};

}  // namespace outpost::rules
