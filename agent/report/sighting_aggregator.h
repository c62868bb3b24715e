#pragma once
// SightingAggregator: turns the indicator engine's matches into sightings, one per
// (indicator id, device, window), and hands each closed window to an output callback.
//
// Time is the observations' time (packet time in replay, capture time live); no clock is
// read. Windows are aligned to the epoch: window = floor(ts / window_us). A window closes
// when advance(now) is called with now >= its end; on_match calls advance(ts) itself, and the
// caller should call advance() for every observation or packet (matching or not) so windows
// close on time, and flush() at the end of input.
//
// Bounded: at most options.max_open_sightings open sightings (a match that would open one
// more is dropped and counted) and options.max_observables_per_sighting observables per
// sighting (further ones counted on the sighting). Per match: one hash lookup and small
// updates; only the first match of a sighting and each new distinct observable allocate.
//
// Not thread-safe; runs on the packet thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "agent/report/report_options.h"
#include "agent/report/sighting.h"
#include "rules/match.h"

namespace outpost::agent {

class SightingAggregator final : public rules::MatchSink {
 public:
  // Receives each closed window, in window order. Called from on_match/advance/flush.
  using WindowSink = std::function<void(ClosedWindow&&)>;

  struct Counters {
    std::uint64_t matches = 0;                   // on_match calls
    std::uint64_t sightings_opened = 0;
    std::uint64_t matches_dropped_open_cap = 0;  // dropped: max_open_sightings reached
    std::uint64_t observables_omitted = 0;       // observable occurrences not kept (all sightings)
    std::uint64_t windows_closed = 0;
    std::uint64_t sightings_closed = 0;
  };

  // Throws std::invalid_argument when options.window_us is out of (0, kMaxWindowUs] or a
  // bound is zero.
  SightingAggregator(ReportOptions options, WindowSink sink);
  ~SightingAggregator() override;
  SightingAggregator(const SightingAggregator&) = delete;
  SightingAggregator& operator=(const SightingAggregator&) = delete;

  void on_match(const rules::MatchedIndicator& indicator,
                const rules::Observation& observation) override;

  // Closes every open window whose end is <= now. Time may go backwards (inputs replayed out
  // of order): windows that `now` has not passed stay open.
  void advance(rules::TimeUs now);

  // Closes every open window (end of input). A window whose end lies after the latest time
  // seen is closed at that time.
  void flush();

  std::size_t open_sightings() const noexcept { return open_.size(); }
  const Counters& counters() const noexcept { return counters_; }
  const ReportOptions& options() const noexcept { return options_; }

 private:
  struct Open;
  struct Candidate;

  std::int64_t window_index(rules::TimeUs ts) const noexcept;
  Open* find(std::uint64_t hash, std::string_view id, const rules::Device& device,
             std::int64_t window) const;
  Open& open(std::uint64_t hash, const rules::MatchedIndicator& indicator,
             const rules::Observation& observation, std::int64_t window);
  void record(Sighting& s, const rules::Observation& observation, rules::TimeUs ts);
  void record_observables(Sighting& s, const rules::Observation& observation);
  bool keep_observable(Sighting& s, const Candidate& c);
  void close_windows(std::int64_t last_window, bool at_flush);

  ReportOptions options_;
  WindowSink sink_;
  std::unordered_multimap<std::uint64_t, std::unique_ptr<Open>> open_;
  std::int64_t earliest_window_ = 0;  // smallest window index among open sightings
  bool clock_set_ = false;
  rules::TimeUs clock_ = 0;           // latest time seen
  Counters counters_;
  std::string scratch_[4];            // normalised copies of candidate values (per candidate)
};

}  // namespace outpost::agent
