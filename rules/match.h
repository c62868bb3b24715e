#pragma once
// The rules -> agent boundary: what a match tells the sighting side. The indicator engine
// calls MatchSink::on_match once per (active indicator, observation) pair that matches.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/observation.h"

namespace outpost::rules {

// Where an indicator came from; sightings carry it in their context extension.
struct IndicatorSource {
  enum class Kind : std::uint8_t { bundle = 0, list, collection };
  Kind kind = Kind::bundle;
  std::string name;     // file path / collection URL
  std::string version;  // e.g. content digest or TAXII added-last date
};
std::string_view indicator_source_kind_name(IndicatorSource::Kind k) noexcept;

// A matched indicator. Views are valid only during the on_match callback.
struct MatchedIndicator {
  // "indicator--<uuid>". A plain-list entry has no stored id: its id is derived from the entry
  // (outpost_id("indicator", "<type>:<term>"), a UUIDv5 whose SHA-1 costs more than the whole
  // lookup) the first time it is asked for, so a consumer that filters matches first pays it
  // only for those it reports.
  std::string_view id() const noexcept;
  const IndicatorSource* source = nullptr;   // never null
  int confidence = -1;                       // STIX confidence 0..100, -1 when absent
  const std::vector<std::string>* marking_refs = nullptr;  // object_marking_refs, may be null
  std::string_view matched_term;             // the indicator value that matched (e.g. a CIDR)

  // Set by the engine: the stored id of a STIX indicator, or (list entries) the type whose
  // name prefixes the derived id.
  std::string_view stored_id;
  std::string_view list_type;

 private:
  mutable char derived_[48] = {};
  mutable std::uint8_t derived_size_ = 0;
};

class MatchSink {
 public:
  virtual ~MatchSink() = default;
  virtual void on_match(const MatchedIndicator& indicator, const Observation& observation) = 0;
};

}  // namespace outpost::rules
