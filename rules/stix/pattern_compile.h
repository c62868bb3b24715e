#pragma once
// The first cut of pattern compilation: which STIX patterns become set entries. Supported: a
// comparison, or an OR of comparisons (inside one [ ] or across [ ] OR [ ]), each `=` or
// `IN (...)` on one of
//   ipv4-addr:value, ipv6-addr:value   (an address or a CIDR)
//   domain-name:value, url:value
//   file:hashes.'SHA-256' / 'SHA-1' / MD5 (also unquoted SHA256, SHA1, MD5; any case)
//   x509-certificate:hashes.'SHA-1'
// Anything else that is valid STIX (AND, NOT, other operators, other properties, qualifiers,
// FOLLOWEDBY) is `unsupported` with a reason; a pattern that does not parse is `syntax_error`
// with its position; a supported comparison whose literal is not a valid value (a 3-digit
// SHA-256, a domain with spaces) is `invalid`.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/indicator_value.h"
#include "rules/stix/pattern.h"

namespace outpost::rules::stix {

struct PatternTerm {
  IndicatorType type = IndicatorType::domain;
  std::string value;  // canonical (normalise_indicator_value)
};

enum class CompileStatus : std::uint8_t { compiled = 0, unsupported, invalid, syntax_error };
std::string_view compile_status_name(CompileStatus s) noexcept;

struct CompiledPattern {
  CompileStatus status = CompileStatus::compiled;
  std::string reason;          // "unsupported property file:name", "syntax error at 13: expected ']'..."
  std::size_t position = 0;    // syntax errors: byte offset in the pattern
  std::vector<PatternTerm> terms;  // compiled: one per distinct comparison value
  bool host_bits_cleared = false;  // a CIDR literal had host bits set
};

CompiledPattern compile_pattern(std::string_view pattern, const PatternLimits& limits = {});

}  // namespace outpost::rules::stix
