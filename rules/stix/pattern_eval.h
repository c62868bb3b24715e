#pragma once
// PatternProgram: a STIX 2.1 pattern (STIX 2.1 §9, Patterning) compiled from the parsed tree
// (pattern.h) and evaluated against observations (object_tree.h), with the semantics of the
// OASIS reference matcher (oasis-open/cti-pattern-matcher); rules/stix/README.md lists them
// and where Outpost differs.
//
// Compilation decodes every literal once (numbers, strings, booleans, t'..' timestamps to
// microseconds, b'..' / h'..' to bytes), compiles regular expressions once (RE2, linear time)
// and checks what the grammar cannot (IN sets of one type, REPEATS / WITHIN above 0, calendar
// dates).
//
// Evaluation is a backtracking search for one binding of observations to the pattern's
// observation expressions ("leaves"): continuation-passing, with symmetry breaking (the
// instances of one observed-data are interchangeable; REPEATS bindings are tried in
// increasing order) and a step budget, so a pattern never hangs an agent. It throws nothing
// and allocates nothing: working state lives in fixed arrays on the stack (about 10 KB, plus
// about 250 bytes per search frame; compile() bounds the frames to 8 x max_binding, so the
// deepest search admitted by default fits a 128 KiB thread stack, ASan builds need ~512 KiB). The
// only allocations after compile() are RE2's lazily built DFA states inside each compiled
// regex (at most 1 MiB per regex; matching a warmed regex does not allocate).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rules/observation.h"
#include "rules/stix/object_tree.h"
#include "rules/stix/pattern.h"

namespace outpost::rules::stix {

// One observed-data object (STIX 2.1 §4.14): number_observed observations over
// [first_observed, last_observed], whose cyber-observables are `objects`. Times are
// microseconds since the epoch (rules/time.h); first_observed <= last_observed.
struct ObservedData {
  TimeUs first_observed = 0;
  TimeUs last_observed = 0;
  std::uint64_t number_observed = 1;  // >= 1
  const PoolObject* objects = nullptr;
  std::size_t object_count = 0;
};

// An observation reduced to what the observation operators and qualifiers need.
struct Interval {
  TimeUs first_observed = 0;
  TimeUs last_observed = 0;
  std::uint64_t number_observed = 1;
};

enum class StixVersion : std::uint8_t { v20 = 0, v21 };

struct ProgramOptions {
  // 2.1: SDO types (identity, indicator, observed-data, ...) never match an observation
  // expression, and START/STOP take t'..' literals. 2.0: neither rule; START/STOP may also
  // take plain strings (the STIX 2.0 spelling), parsed as timestamps.
  StixVersion version = StixVersion::v21;
  // Largest number of observation instances one binding may need (REPEATS multiplies). It
  // bounds the search's fixed arrays and recursion depth; larger patterns are `unsupported`.
  std::size_t max_binding = 64;
};

enum class ProgramStatus : std::uint8_t { ok = 0, invalid, unsupported };
std::string_view program_status_name(ProgramStatus s) noexcept;

struct ProgramResult {
  ProgramStatus status = ProgramStatus::ok;
  std::uint32_t position = 0;  // byte offset in the pattern of the node at fault
  std::string message;         // "REPEATS 0", "unsupported: MATCHES needs RE2", ...
  bool ok() const noexcept { return status == ProgramStatus::ok; }
};

inline constexpr std::uint64_t kDefaultEvalSteps = 1000000;

// Steps are the unit of evaluation work (one value compared, one observation tried). A budget
// may be shared by several evaluations; when it runs out, evaluation stops with an error.
struct EvalBudget {
  std::uint64_t max_steps = kDefaultEvalSteps;
  std::uint64_t steps = 0;  // used so far

  bool exhausted() const noexcept { return steps >= max_steps; }
  // The last error an evaluation reported through this budget.
  std::string_view error() const noexcept { return std::string_view(error_text, error_length); }

  char error_text[160] = {};
  std::uint8_t error_length = 0;
};

enum class EvalStatus : std::uint8_t { match = 0, no_match, error };
std::string_view eval_status_name(EvalStatus s) noexcept;

struct EvalResult {
  static constexpr std::size_t kMaxBound = 16;

  EvalStatus status = EvalStatus::no_match;
  // match: the distinct observations (indexes into the caller's array, ascending) of the
  // binding found, at most kMaxBound of them (bound_total counts them all).
  std::uint32_t bound[kMaxBound] = {};
  std::uint8_t bound_count = 0;
  std::uint32_t bound_total = 0;
  std::uint64_t steps = 0;  // steps this evaluation used

  char message_text[160] = {};
  std::uint8_t message_length = 0;
  std::string_view message() const noexcept { return std::string_view(message_text, message_length); }
  bool matched() const noexcept { return status == EvalStatus::match; }
};

// Says whether past observation `observation` satisfied leaf `leaf` (the comparison
// expression of one [ ... ], in pattern order), for callers that keep per-device history
// instead of the observed objects.
class LeafOracle {
 public:
  virtual ~LeafOracle() = default;
  virtual bool satisfies(std::size_t observation, std::size_t leaf) const = 0;
};

namespace eval_detail {
struct Program;
}

// Compiled once, evaluated many times; evaluate() and leaf_matches() are const and keep no
// state in the program (RE2 objects are thread-safe), so threads may share one program.
class PatternProgram {
 public:
  PatternProgram();
  ~PatternProgram();
  PatternProgram(PatternProgram&&) noexcept;
  PatternProgram& operator=(PatternProgram&&) noexcept;

  // Compiles a parsed pattern; on failure the program is empty (evaluate reports an error).
  ProgramResult compile(const Pattern& pattern, const ProgramOptions& options = {});
  bool compiled() const noexcept;

  // The [ ... ] observation expressions, in pattern order.
  std::size_t leaf_count() const noexcept;
  // The whole pattern is one [ ... ] without a qualifier: one observation decides it.
  bool single_observation() const noexcept;

  // Is there a binding of the observations to the pattern? `objects` of each observation are
  // roots of `tree`.
  EvalResult evaluate(const ObjectTree& tree, const ObservedData* observations, std::size_t n,
                      EvalBudget& budget) const;
  // The same over a history: oracle.satisfies(i, j) for observation i and leaf j.
  EvalResult evaluate(const Interval* intervals, std::size_t n, const LeafOracle& oracle, EvalBudget& budget) const;

  // One leaf's comparison expression against one observation: `out` is whether some object
  // of it satisfies the expression. Returns match / no_match (as `out`) or error (message in
  // budget.error()).
  EvalStatus leaf_matches(std::size_t leaf, const ObjectTree& tree, const ObservedData& observation, bool& out,
                          EvalBudget& budget) const;

 private:
  std::unique_ptr<eval_detail::Program> p_;
};

// Parses `text` (as the reference matcher: repeated qualifiers allowed) and compiles it.
ProgramResult compile_pattern_program(std::string_view text, PatternProgram& out, const ProgramOptions& options = {});

}  // namespace outpost::rules::stix
