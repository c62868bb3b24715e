#pragma once
// Pattern compilation: how a STIX pattern (STIX 2.1 §9) is matched by a network sensor.
//
// 1. Out of scope. A comparison on a property no network observation carries (process:name,
//    windows-registry-key:key, file:parent_directory_ref, ...: see observed_objects.h for the
//    objects an observation holds) can never be true of what Outpost observes, and it is
//    false, not an error, by the patterning semantics (a missing property makes every
//    comparison false, STIX 2.1 §9.7). The compiler folds such comparisons to false and
//    simplifies: a pattern that becomes false is `out_of_scope`; one that keeps a part is
//    compiled with `partly_out_of_scope` set.
// 2. Exact. A pattern that is (an OR of) `=` / IN comparisons on a property with a per-type
//    set (ipv4-addr/ipv6-addr/domain-name/url :value, file:hashes.MD5/'SHA-1'/'SHA-256',
//    x509-certificate:hashes.'SHA-1', network-traffic:x_ja3 / x_ja3s) becomes set entries only.
// 3. Residual. Anything else is evaluated by the pattern evaluator (pattern_eval.h) on the
//    objects of an observation (observed_objects.h). It is reached through set entries where
//    every [ ] has a prefilter term (its most selective `=` / IN on a set type, or the union
//    of those of an OR), and otherwise through the scan list of the observation kinds that
//    carry its objects (`scan_kinds`). Patterns with observation operators or qualifiers
//    (`multi_observation`) are evaluated over one device's recent observations.
//
// Values are canonicalised before both: hash keys to their STIX names ('SHA-256', 'SHA-1',
// 'MD5'; feeds also write SHA256, sha1, ...), hash and certificate serial literals to
// lowercase, certificate names written in OpenSSL's "/C=US/O=Org/CN=x" form to RFC 4514
// ("CN=x,O=Org,C=US"), which is how capture/ writes them.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/indicator_value.h"
#include "rules/observation.h"
#include "rules/stix/pattern.h"
#include "rules/stix/pattern_eval.h"

namespace outpost::rules::stix {

struct PatternTerm {
  IndicatorType type = IndicatorType::domain;
  std::string value;  // canonical (normalise_indicator_value)
};

enum class CompileStatus : std::uint8_t { compiled = 0, unsupported, invalid, syntax_error, out_of_scope };
std::string_view compile_status_name(CompileStatus s) noexcept;

struct CompiledPattern {
  CompileStatus status = CompileStatus::compiled;
  std::string reason;          // "syntax error at 13: expected ']'", "unsupported: MATCHES needs RE2", ...
  std::size_t position = 0;    // syntax errors: byte offset in the pattern
  // compiled: the set entries (exact: the pattern itself; residual: prefilter terms).
  std::vector<PatternTerm> terms;
  bool host_bits_cleared = false;  // a CIDR literal had host bits set
  // compiled, residual: the canonical pattern the evaluator runs (empty for exact patterns),
  // the observation kinds whose every observation must be evaluated (bit = ObservationKind),
  // and whether a device's history is needed.
  std::string residual;
  std::uint32_t scan_kinds = 0;
  bool multi_observation = false;
  bool partly_out_of_scope = false;
  bool exact() const noexcept { return status == CompileStatus::compiled && residual.empty(); }
};

struct CompileOptions {
  PatternLimits limits;
  // The indicator's spec_version: 2.0 patterns may write START/STOP times as plain strings.
  // (Residual patterns are evaluated with the 2.0 rules, which accept both spellings and
  // differ from 2.1 only in SDO types, which no network observation holds.)
  StixVersion stix_version = StixVersion::v21;
};

CompiledPattern compile_pattern(std::string_view pattern, const CompileOptions& options = {});
inline CompiledPattern compile_pattern(std::string_view pattern, const PatternLimits& limits) {
  CompileOptions o;
  o.limits = limits;
  return compile_pattern(pattern, o);
}

}  // namespace outpost::rules::stix
