#pragma once
// Sensor: wires the modules for one run of `outpost` (offline replay or live capture):
//
//   PacketSource -> capture::TrafficObserver -> Observation -> ObservationLog (--observations)
//                                                           -> rules::IndicatorSet::match
//                                                           -> SightingAggregator -> bundles
//
// It owns the inputs and outputs named by Options and produces the end-of-run summary
// (stderr text and --stats JSON). Errors of a whole input (unreadable file, bundle that is not
// JSON, bad option value) throw UsageError, which the CLI turns into exit code 2.

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "agent/options.h"
#include "rules/observation.h"

namespace outpost::agent {

class Sensor {
 public:
  // Loads indicators, opens outputs and the pseudonym key. Throws UsageError.
  explicit Sensor(const Options& options, std::FILE* log = stderr);
  ~Sensor();
  Sensor(const Sensor&) = delete;
  Sensor& operator=(const Sensor&) = delete;

  // Replays every --pcap file in order (one flow table across them). Opens them all first,
  // so a missing file fails before any output. Throws UsageError.
  void replay();
  // Captures on --interface until stop() (SIGINT/SIGTERM). Throws UsageError.
  void capture_live();
  static void stop() noexcept;

  // Flushes flows and open sightings, closes outputs, writes --stats and prints the summary.
  // Returns false if an output could not be written completely.
  bool finish();

  // The summary as JSON (what --stats writes).
  std::string stats_json() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Creates `dir` and its parents (mode 0700 for what it creates). Throws UsageError naming it.
void make_state_dir(const std::string& dir);
// The state folder when --state-dir is not given.
std::string default_state_dir();

}  // namespace outpost::agent
