#pragma once
// Options of the sighting/report module, one typed struct with defaults. The CLI maps its
// flags onto it (--window, --sensor-name, --raw-device, --keep-query, ...).

#include <cstddef>
#include <string>

#include "rules/observation.h"

namespace outpost::agent {

struct ReportOptions {
  // Width of a sighting window in microseconds. Windows are aligned to the epoch
  // (window index = floor(ts / width)); one STIX bundle is written per closed window.
  // Must be in (0, kMaxWindowUs].
  rules::TimeUs window_us = 3600LL * 1000000;

  // Open (indicator, device, window) sightings held at once. A match that would open one more
  // is dropped and counted (SightingAggregator::Counters::matches_dropped_open_cap).
  std::size_t max_open_sightings = 1024;

  // Distinct observables (SCOs) kept per sighting; further ones are counted in the sighting's
  // observables_omitted.
  std::size_t max_observables_per_sighting = 16;

  // Report the device's raw MAC / IP address instead of its keyed pseudonym.
  bool raw_device = false;

  // Keep query strings and fragments of reported URLs (stripped by default for privacy).
  bool keep_query = false;

  // Name of the sensor: the STIX identity's name and part of every Outpost id, so a fleet
  // should give each sensor its own name.
  std::string sensor_name = "outpost";

  // Write the extension-definition of the sighting-context extension (and the Outpost
  // identity that created it) into every bundle, as STIX 2.1 §7.3 suggests. The OASIS bundle
  // schema (cti-stix2-json-schemas, common/bundle.json) rejects any extension-definition inside
  // a bundle: not in its list of known types, it matches both core.json and
  // cyber-observable-core.json of the custom-object branch, so its oneOf fails. Turn off for
  // consumers that validate bundles with those schemas; the extension key stays the same.
  bool embed_extension_definition = true;

  static constexpr rules::TimeUs kMaxWindowUs = 366LL * 24 * 3600 * 1000000;
};

}  // namespace outpost::agent
