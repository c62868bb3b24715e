#pragma once
// MatchContext: the packet thread's mutable state for matching (an IndicatorSet is immutable
// and may be shared): scratch space to build an observation's objects for residual patterns,
// and the bounded per-device history that patterns with observation operators or qualifiers
// (FOLLOWEDBY, AND / OR of observations, REPEATS, WITHIN, START/STOP) are evaluated over.
//
// History: per (indicator, device), the times of the last `entries_per_key` observations that
// satisfied one of the indicator's [ ] and which ones they satisfied. STIX 2.1 §9.6 evaluates
// observation operators over a set of observations; Outpost's set is one device's recent
// observations, so a pattern whose parts come from several devices does not match (documented
// in rules/README.md). Keys beyond `max_keys` evict the least recently used key (counted);
// entries beyond `entries_per_key` drop the oldest of that key (counted).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "rules/observed_objects.h"

namespace outpost::rules {

struct MatchContextStats {
  std::uint64_t residual_evaluations = 0;  // patterns evaluated beyond their set entries
  std::uint64_t residual_matches = 0;
  std::uint64_t residual_errors = 0;        // evaluation errors (bad data, step budget): no match
  std::uint64_t history_records = 0;        // observations kept for multi-observation patterns
  std::uint64_t history_key_evictions = 0;  // (indicator, device) keys dropped for new ones
  std::uint64_t history_entry_drops = 0;    // oldest observations of a key dropped for newer
};

class MatchContext {
 public:
  static constexpr std::size_t kMaxEntriesPerKey = 64;
  struct Entry {
    TimeUs ts = 0;
    std::uint64_t leaves = 0;  // bit j: satisfied leaf j
  };

  explicit MatchContext(std::size_t max_keys = 1024, std::size_t entries_per_key = 16);

  ObservedObjects& objects() noexcept { return objects_; }
  const MatchContextStats& stats() const noexcept { return stats_; }
  MatchContextStats& mutable_stats() noexcept { return stats_; }

  // Adds an observation to the history of (indicator uuid, device) and returns that history,
  // oldest first (valid until the next call). No allocation: the table is sized at start.
  const Entry* record(const std::uint8_t uuid[16], const Device& device, TimeUs ts, std::uint64_t leaves,
                      std::size_t& count);
  std::size_t memory_bytes() const noexcept;

 private:
  struct Key {
    std::uint8_t uuid[16] = {};
    std::uint64_t device = 0;
    std::uint64_t last_use = 0;
    std::uint32_t count = 0;  // entries held (0: slot free)
  };
  ObservedObjects objects_;
  std::size_t max_keys_, per_key_;
  std::vector<Key> keys_;
  std::vector<Entry> entries_;  // max_keys_ x per_key_, oldest first within a key
  std::uint64_t clock_ = 0;
  MatchContextStats stats_;
};

}  // namespace outpost::rules
