#pragma once
// STIX 2.1 Patterning (§9) parser: the whole grammar of the OASIS STIXPattern.g4 (observation
// expressions with AND / OR / FOLLOWEDBY and WITHIN / REPEATS / START-STOP qualifiers,
// comparison expressions with every operator, all literal kinds, object paths with quoted
// components and [n]/[*] indexes, comments), checked for syntax only: object types and
// property names are not validated. The result is a small tree in flat vectors.
//
// Which trees Outpost can match is decided separately (pattern_compile.h), so a pattern
// Outpost does not support is told apart from a broken one.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace outpost::rules::stix {

enum class PatternOp : std::uint8_t { eq = 0, neq, gt, lt, ge, le, in, like, matches, issubset, issuperset, exists };
std::string_view pattern_op_name(PatternOp op) noexcept;  // "=", "!=", ..., "IN", "EXISTS"

enum class LiteralKind : std::uint8_t { string = 0, integer, floating, boolean, timestamp, binary, hex };

struct PatternLiteral {
  LiteralKind kind = LiteralKind::string;
  std::string text;  // strings unescaped; timestamps/binary/hex without t'' b'' h''; numbers as written
};

struct PathStep {
  enum class Kind : std::uint8_t { key = 0, index, any_index };
  Kind kind = Kind::key;
  std::string key;          // for keys (identifier or unescaped quoted string)
  std::int64_t index = 0;   // for index
};

struct ObjectPath {
  std::string object_type;
  std::vector<PathStep> steps;  // at least one (the first component is a key)
  // "type:a.'b-c'[*]" as STIX writes it (keys quoted when they are not plain identifiers).
  std::string text() const;
};

enum class NodeKind : std::uint8_t {
  comparison = 0,     // path (paths[path]) op literals[first, first+count); `negated` for NOT
  comparison_and,     // lhs AND rhs inside [ ]
  comparison_or,      // lhs OR rhs inside [ ]
  observation,        // [ lhs ]
  observation_and,    // lhs AND rhs
  observation_or,     // lhs OR rhs
  followed_by,        // lhs FOLLOWEDBY rhs
  within,             // lhs WITHIN literals[first] SECONDS
  repeats,            // lhs REPEATS literals[first] TIMES
  start_stop,         // lhs START literals[first] STOP literals[first+1] (timestamps; plain
                      // strings where the pattern used the STIX 2.0 spelling START '..' STOP '..')
};
std::string_view node_kind_name(NodeKind k) noexcept;

struct PatternNode {
  NodeKind kind = NodeKind::comparison;
  PatternOp op = PatternOp::eq;
  bool negated = false;
  std::uint32_t lhs = 0, rhs = 0;  // child nodes
  std::uint32_t path = 0;          // comparison: index into paths
  std::uint32_t first = 0, count = 0;  // literals
  std::uint32_t position = 0;      // byte offset in the pattern where the node starts
};

struct Pattern {
  std::vector<PatternNode> nodes;
  std::vector<ObjectPath> paths;
  std::vector<PatternLiteral> literals;
  std::uint32_t root = 0;
};

struct PatternLimits {
  std::size_t max_length = 16 << 10;  // bytes of pattern text
  std::size_t max_depth = 32;         // nested parentheses / brackets
  std::size_t max_nodes = 2048;       // tree nodes (comparisons + operators + qualifiers)
  // The reference validator refuses the same qualifier twice directly on a bracketed
  // expression ("[a:b = 1] REPEATS 2 TIMES REPEATS 3 TIMES"); the grammar itself, and so the
  // reference matcher, accepts it. false parses such patterns as the grammar does.
  bool reject_repeated_qualifiers = true;
};

struct PatternError {
  std::size_t position = 0;  // byte offset in the pattern
  std::string message;       // "expected ']'", ...
};

// Parses `text`; on failure `error` names the byte offset and what was expected.
bool parse_pattern(std::string_view text, Pattern& out, PatternError& error, const PatternLimits& limits = {});

}  // namespace outpost::rules::stix
