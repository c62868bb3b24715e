#pragma once
// The canonical spelling of a parsed STIX pattern (STIX 2.1 §9), for logs, deduplication and
// round-trip tests: parse_pattern(format_pattern(p)) gives p's tree again.
//
//   - single spaces around operators and after commas, none inside brackets and parentheses:
//     [a:b = 1 AND a:c IN ('x', 'y')] OR ([d:e > 2.5] FOLLOWEDBY [f:g NOT LIKE 'h%'])
//   - keywords upper case; NOT before the operator; EXISTS and NOT EXISTS before the path
//   - object paths as ObjectPath::text(): keys quoted only when they are not plain
//     identifiers (or are keywords)
//   - strings quoted with ' and \ escaped; integers in decimal without '+'; floats as written
//     without '+'; hex digits lower case; timestamps and base64 as written
//   - qualifiers as WITHIN n SECONDS, REPEATS n TIMES, START t'..' STOP t'..' (a plain
//     string stays a plain string: the STIX 2.0 spelling)
//   - parentheses only where the tree needs them: around a lower-precedence operand, around
//     the right operand of a left-associative operator of the same precedence, and around a
//     qualified [ ] that gets the same qualifier again (the validator refuses
//     "[..] WITHIN 1 SECONDS WITHIN 2 SECONDS" but accepts "([..] WITHIN 1 SECONDS) WITHIN 2
//     SECONDS"). Comments and redundant parentheses of the input are dropped.

#include <string>

#include "rules/stix/pattern.h"

namespace outpost::rules::stix {

std::string format_pattern(const Pattern& pattern);

// A literal as format_pattern writes it ('..', 42, t'..', h'..', ...).
std::string format_literal(const PatternLiteral& literal);

// Whether two parsed patterns have the same tree: node kinds and operators, paths, and
// literals of the same kind with the same canonical spelling (positions are ignored).
bool same_pattern(const Pattern& a, const Pattern& b);

}  // namespace outpost::rules::stix
