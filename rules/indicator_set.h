#pragma once
// IndicatorSet: the compiled, immutable indicators that observations are matched against, and
// IndicatorSetBuilder, which loads STIX bundles / TAXII envelopes and plain lists into one.
//
//   IndicatorSetBuilder b(options);
//   if (auto st = b.add("domain:/etc/outpost/domains.txt.gz"); !st) die(st.message);
//   if (auto st = b.add("feed.json"); !st) die(st.message);
//   std::unique_ptr<IndicatorSet> set = b.build();
//   set->match(observation, sink);   // hot path: no allocation, no locks, bounded probes
//
// Semantics (rules/README.md): STIX versions resolve to the newest `modified` per id;
// revoked indicators are dropped; validity windows [valid_from, valid_until) are checked
// against Observation::ts at match time (never the wall clock); list domains match their
// subdomains unless ListOptions says exact; CIDRs match every address inside them.

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rules/budget.h"
#include "rules/indicator_value.h"
#include "rules/load_stats.h"
#include "rules/match_context.h"
#include "rules/match.h"
#include "rules/observation.h"
#include "rules/record_table.h"
#include "rules/sets/table.h"
#include "rules/sets/term_set.h"
#include "rules/stix/bundle_reader.h"
#include "rules/stix/pattern.h"
#include "rules/stix/pattern_eval.h"

namespace outpost::rules {

enum class DomainMatch : std::uint8_t {
  suffix = 0,  // "evil.com" matches evil.com and every name below it
  exact,       // "evil.com" matches evil.com only
};

struct ListOptions {
  DomainMatch domain_match = DomainMatch::suffix;  // lists; bundles are exact unless domain_match_set
  bool domain_match_set = false;                   // domain_match was chosen (applies to bundles too)
  int confidence = -1;                    // reported for every entry (-1: none)
  std::vector<std::string> marking_refs;  // reported for every entry (empty: none)
  std::string version;                    // IndicatorSource::version
};

struct LoadOptions {
  std::size_t memory_budget_bytes = 0;  // 0: no limit
  // When set, indicators whose valid_until <= reference_time are counted as expired_at_load
  // (and dropped with drop_expired). Live agents pass "now"; replays leave it unset because
  // validity follows the packets' time.
  std::optional<TimeUs> reference_time;
  bool drop_expired = false;
  std::size_t max_warnings = 1000;
  // Patterns evaluated on every observation of a kind (no prefilter term); more are dropped
  // and counted: they cost every observation of that kind.
  std::size_t max_scan_patterns = 1024;
  stix::BundleLimits bundle_limits;
  stix::PatternLimits pattern_limits;
};

struct LoadStatus {
  bool ok = true;
  std::string message;  // one line naming the input (and the byte offset for JSON errors)
  explicit operator bool() const noexcept { return ok; }
};

class IndicatorSet {
 public:
  ~IndicatorSet();
  IndicatorSet(const IndicatorSet&) = delete;
  IndicatorSet& operator=(const IndicatorSet&) = delete;

  // Calls sink.on_match once per (active indicator, observation) pair that matches. `context`
  // (the caller's, one per thread) holds the history multi-observation patterns need and
  // counts residual evaluations; without one such patterns never match.
  void match(const Observation& observation, MatchSink& sink, MatchContext* context = nullptr) const;

  // What a match looks through: a set alone, or a live store's immutable base plus an overlay
  // of updates whose STIX records are numbered after the base's, hiding the base records the
  // updates superseded (bit i of `hidden` = base record i). rules/indicator_store.h.
  struct Layers {
    const IndicatorSet* base = nullptr;
    const IndicatorSet* overlay = nullptr;
    const std::vector<std::uint64_t>* hidden = nullptr;
    bool resolve(EntryOwner owner, const IndicatorSet*& holder, std::size_t& index) const noexcept;
    bool wants(ObservationKind kind) const noexcept;
  };
  static void match(const Layers& layers, const Observation& observation, MatchSink& sink,
                    MatchContext* context = nullptr);
  // Whether any loaded indicator can match observations of this kind.
  bool wants(ObservationKind kind) const noexcept;
  // Whether a pattern compares a certificate property beyond its SHA-1 (capture may otherwise
  // skip reading certificates' facts).
  bool wants_certificate_facts() const noexcept { return certificate_facts_; }

  // Every live entry (not for the packet path): its type, canonical term, the indicator it
  // belongs to (as a match would report it) and whether it comes from a plain list.
  void for_each_entry(
      const std::function<void(IndicatorType, std::string_view, const MatchedIndicator&, bool)>& visit) const;
  // Every live STIX indicator: id and version time (modified, else created).
  void for_each_indicator(const std::function<void(std::string_view, TimeUs)>& visit) const;

  std::size_t size() const noexcept;  // set entries of all types
  std::size_t size(IndicatorType type) const noexcept;
  std::size_t memory_bytes() const noexcept;
  std::size_t memory_bytes(IndicatorType type) const noexcept;
  // visit(block, bytes) for each block of lookup data (shards, records, id index), which
  // sets derived by a live update share with the set they came from.
  void for_each_block(const std::function<void(const void*, std::size_t)>& visit) const;
  const LoadStats& stats() const noexcept { return stats_; }
  const stix::MarkingDefinition* marking_definition(std::string_view id) const noexcept;

  // The id a plain-list entry of `type` with canonical value `term` is reported under:
  // outpost_id("indicator", "<type>:<term>"). Writes 48 bytes at most into buf (no
  // allocation); returns the length.
  static std::size_t list_indicator_id(IndicatorType type, std::string_view term, char* buf) noexcept;

 private:
  friend class IndicatorSetBuilder;
  friend class SetFile;
  friend class IndicatorStore;
  class Visitor;
  void probe(const Observation& o, Visitor& v) const;
  void index_ids();      // id_index_ from records_
  void compute_wants();  // wants_ from the sets present
  IndicatorSet();

  struct ListSource {
    std::uint32_t source = 0;
    DomainMatch domain_match = DomainMatch::suffix;
    std::int16_t confidence = -1;
    std::int32_t markings = -1;
  };

  TermSet* set_for(IndicatorType type);
  // Compiles residual_patterns_ into evaluators (after a set file is loaded); returns an
  // error naming the pattern, or an empty string.
  std::string compile_residuals();
  std::int32_t intern_markings(const std::vector<std::string>& refs);

  MemoryBudget budget_;
  std::array<std::unique_ptr<TermSet>, kIndicatorTypeCount> sets_;
  RecordTable records_;
  std::uint32_t record_base_ = 0;  // owner of records_[0]: 0, or the base's size for an overlay
  sets::FrozenTable id_index_;  // uuid (16 bytes) -> record index, for live updates and diff
  std::vector<ListSource> lists_;
  std::vector<std::unique_ptr<IndicatorSource>> sources_;
  std::vector<std::vector<std::string>> marking_sets_;
  std::vector<stix::MarkingDefinition> marking_definitions_;
  std::vector<std::string> residual_patterns_;  // record.residual -> pattern text
  struct Residual {
    stix::PatternProgram program;
    bool multi = false;  // needs a device's history (not one [ ] or an OR of [ ])
  };
  std::vector<std::shared_ptr<const Residual>> residuals_;
  bool certificate_facts_ = false;  // some residual compares x509-certificate beyond hashes.'SHA-1'  // compiled residual_patterns_ (shared by derived sets)
  // STIX records whose pattern has a [ ] without a prefilter term: evaluated on every
  // observation of these kinds (bounded by LoadOptions::max_scan_patterns).
  std::array<std::vector<EntryOwner>, kObservationKindCount> scan_;
  std::array<bool, kObservationKindCount> wants_{};
  LoadStats stats_;
};

class IndicatorSetBuilder {
 public:
  explicit IndicatorSetBuilder(LoadOptions options = {});
  ~IndicatorSetBuilder();

  // `[KIND:]FILE`: with a known KIND prefix a list of that type; otherwise a compiled set
  // (rules/set_file.h) when the file starts with its magic, a bundle when the file (after
  // gzip) starts with '{', else a list typed line by line.
  LoadStatus add(std::string_view spec, const ListOptions& list_options = {});
  // `options.domain_match` decides whether the bundle's domain comparisons also match the
  // names below them (STIX `=` is exact by default).
  LoadStatus add_bundle_file(const std::string& path, const ListOptions& options = bundle_defaults());
  // Everything of a compiled set: its sources, list entries and STIX indicators (which then
  // take part in version resolution with the other inputs). Slower than loading the set file
  // alone (every entry is added again): use it to combine inputs.
  LoadStatus add_set(const IndicatorSet& set);
  LoadStatus add_bundle_memory(std::string_view name, std::string_view json,
                               const ListOptions& options = bundle_defaults());
  static ListOptions bundle_defaults() {
    ListOptions o;
    o.domain_match = DomainMatch::exact;
    return o;
  }
  LoadStatus add_list_file(const std::string& path, std::optional<IndicatorType> kind,
                           const ListOptions& options = {});
  LoadStatus add_list_memory(std::string_view name, std::string_view text, std::optional<IndicatorType> kind,
                             const ListOptions& options = {});

  // STIX indicators already read (e.g. from a TAXII page), as from a bundle named by `source`.
  LoadStatus add_indicators(const IndicatorSource& source, std::vector<stix::StixIndicator> indicators,
                            const ListOptions& options = bundle_defaults());
  // Numbers this set's STIX records from `base` on (an overlay over a set of `base` records).
  void set_record_base(std::uint32_t base) noexcept;

  // Resolves STIX versions, compiles, compacts; the builder is empty afterwards. A builder
  // whose add_* failed may hold part of that input: discard it rather than build.
  std::unique_ptr<IndicatorSet> build();

  const LoadStats& stats() const noexcept;

 private:
  struct Pending;
  class FileSink;
  void warn(std::string line);
  void merge(std::deque<Pending>& file_pending);
  LoadStatus list(std::string_view name, std::optional<IndicatorType> kind, const ListOptions& options,
                  const std::function<std::string(const std::function<void(std::uint64_t, std::string_view, bool)>&)>& read);
  LoadStatus bundle(std::string_view name, const ListOptions& options,
                    const std::function<stix::ReadStatus(stix::BundleSink&, stix::BundleSummary&)>& read);

  LoadOptions options_;
  std::unique_ptr<IndicatorSet> set_;
  std::deque<Pending> pending_;
  std::unordered_map<std::string, std::uint32_t> pending_by_id_;
  std::int64_t start_ns_ = 0;
};

}  // namespace outpost::rules
