#pragma once
// What loading indicators did, per source and in total, for the CLI to print (to_text) or
// write (to_json). Every indicator or line read ends up in exactly one bucket: loaded,
// skipped (malformed, by reason), unsupported (by reason), superseded, revoked, or dropped by
// the memory budget. expired_at_load and host_bits_cleared are notes on loaded ones.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rules/indicator_value.h"
#include "rules/match.h"

namespace outpost::rules {

// Counts by reason, at most kMaxReasons distinct reasons (later ones count as "other").
class ReasonCounts {
 public:
  static constexpr std::size_t kMaxReasons = 48;
  static constexpr std::size_t kMaxReasonLength = 120;
  void add(std::string_view reason, std::uint64_t n = 1);
  std::uint64_t get(std::string_view reason) const noexcept;
  std::uint64_t total() const noexcept;
  const std::vector<std::pair<std::string, std::uint64_t>>& items() const noexcept { return items_; }

 private:
  std::vector<std::pair<std::string, std::uint64_t>> items_;
};

struct SourceStats {
  std::string name;                                   // file path or given name
  IndicatorSource::Kind kind = IndicatorSource::Kind::bundle;
  std::string format;                                 // "bundle", "envelope", "object", "list", "list:domain"...
  std::uint64_t objects = 0;        // bundles: objects read
  std::uint64_t indicators = 0;     // bundles: indicator objects read (well-formed)
  std::uint64_t lines = 0;          // lists: lines read
  std::uint64_t loaded = 0;         // indicators (bundles) or entries (lists) now matchable
  std::uint64_t terms = 0;          // set entries added (a STIX pattern may add several)
  std::uint64_t duplicates = 0;     // entries already present for the same indicator/list
  std::uint64_t superseded = 0;     // older versions of an indicator id (STIX 2.1 §3.6)
  std::uint64_t revoked = 0;
  std::uint64_t expired_at_load = 0;   // valid_until <= LoadOptions::reference_time
  std::uint64_t host_bits_cleared = 0; // CIDRs with host bits set, loaded as their network
  std::uint64_t budget_dropped = 0;    // refused by the memory budget
  // How the loaded STIX indicators are matched (rules/stix/pattern_compile.h): set entries
  // only, or evaluated beyond them (residual; scan: some [ ] without a prefilter term;
  // multi_observation: over a device's history), and those with a part that no network
  // observation can match, dropped. out_of_scope: not loaded, nothing of them can match.
  std::uint64_t exact = 0;
  std::uint64_t residual = 0;
  std::uint64_t scan = 0;
  std::uint64_t multi_observation = 0;
  std::uint64_t partly_out_of_scope = 0;
  std::uint64_t out_of_scope = 0;
  ReasonCounts skipped;                // malformed objects, syntax errors, invalid values/lines
  ReasonCounts unsupported;            // valid STIX this cut does not compile
  std::array<std::uint64_t, kIndicatorTypeCount> per_type{};  // entries added per type
};

struct TypeStats {
  std::uint64_t entries = 0;
  std::uint64_t bytes = 0;
};

struct LoadStats {
  std::vector<SourceStats> sources;
  std::vector<std::string> warnings;    // "<file>: object 12 (indicator--...): reason", bounded
  std::uint64_t warnings_dropped = 0;   // warnings beyond LoadOptions::max_warnings
  std::array<TypeStats, kIndicatorTypeCount> types{};
  std::uint64_t stix_indicators = 0;    // STIX indicators in the set
  std::uint64_t memory_bytes = 0;       // everything the set allocated
  std::uint64_t budget_bytes = 0;       // the budget (0 = none)
  double load_seconds = 0;              // building the set, or loading its compiled file
  std::string set_file;                 // the compiled set file it was loaded from, if any
  std::uint64_t set_file_bytes = 0;
  std::uint32_t set_file_version = 0;

  std::uint64_t entries() const noexcept;
  std::string to_json() const;
  std::string to_text() const;  // human-readable, several lines
};

}  // namespace outpost::rules
