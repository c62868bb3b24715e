// libFuzzer target: the STIX pattern evaluator (rules/stix/pattern_eval.h), the canonical
// form (pattern_format.h) and ObjectTree::add_json.
//
// Input: a pattern on the first line; the rest is a JSON array of observations, each
//   {"t": [first, last], "n": number_observed, "objects": {"<id>": {"type": ..., ...}, ...}}
// with times in seconds (swapped when reversed) and n clamped to 1..4. Missing fields take
// defaults; an unreadable rest means no observations.
//
// Invariants (abort() when broken), for STIX 2.1 and 2.0 rules:
//   - a pattern that parses formats to text that parses to the same tree, and formatting is
//     idempotent;
//   - compile() fails with a message, or gives leaf_count() >= 1;
//   - evaluate() ends within the step budget; a match reports ascending observations in
//     range; an error has a message;
//   - the LeafOracle overload, fed with leaf_matches() of every (observation, leaf), gives
//     the same status and binding as evaluate() over the tree (when neither hit an error).
//
// Seeds: tests/data/fuzz/pattern_eval/ (hand-written); the patterns of
// ../shared/corpus/stix/patterns/*.jsonl followed by "\n[]" also work.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "rules/stix/object_tree.h"
#include "rules/stix/pattern.h"
#include "rules/stix/pattern_eval.h"
#include "rules/stix/pattern_format.h"

namespace {

using namespace outpost::rules;
using namespace outpost::rules::stix;

constexpr std::uint64_t kSteps = 20000;
constexpr std::size_t kMaxObservations = 8;

struct Table : LeafOracle {
  std::vector<std::vector<bool>> rows;
  bool satisfies(std::size_t o, std::size_t leaf) const override { return rows[o][leaf]; }
};

void check_format(const std::string& text) {
  PatternLimits lax;
  lax.reject_repeated_qualifiers = false;
  Pattern a, b;
  PatternError e;
  if (!parse_pattern(text, a, e, lax)) {
    if (e.position > text.size() || e.message.empty()) std::abort();
    return;
  }
  const std::string canonical = format_pattern(a);
  if (!parse_pattern(canonical, b, e, lax)) std::abort();
  if (!same_pattern(a, b)) std::abort();
  if (format_pattern(b) != canonical) std::abort();
}

void check_result(const EvalResult& r, std::size_t n, const EvalBudget& budget) {
  if (budget.steps > budget.max_steps + 1024) std::abort();
  if (r.status == EvalStatus::match) {
    if (r.bound_count == 0 || r.bound_total < r.bound_count) std::abort();
    for (std::size_t i = 0; i < r.bound_count; ++i) {
      if (r.bound[i] >= n) std::abort();
      if (i > 0 && r.bound[i] <= r.bound[i - 1]) std::abort();
    }
  } else if (r.status == EvalStatus::error) {
    if (r.message().empty()) std::abort();
  } else if (r.status != EvalStatus::no_match) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::size_t nl = input.find('\n');
  const std::string pattern = input.substr(0, nl);
  const std::string json = nl == std::string::npos ? std::string("[]") : input.substr(nl + 1);

  check_format(pattern);

  ObjectTree tree;
  std::vector<std::vector<PoolObject>> pools;
  std::vector<ObservedData> obs;
  const NodeId root = tree.add_json(kNone, {}, json);
  if (root != kNone && tree.node(root).kind == ValueKind::list) {
    for (NodeId o = tree.node(root).first_child; o != kNone && obs.size() < kMaxObservations;
         o = tree.node(o).next_sibling) {
      ObservedData d;
      const NodeId t = tree.child(o, "t");
      if (t != kNone && tree.node(t).kind == ValueKind::list && tree.node(t).child_count == 2) {
        const auto& f = tree.node(tree.element(t, 0));
        const auto& l = tree.node(tree.element(t, 1));
        if (f.kind == ValueKind::integer && l.kind == ValueKind::integer) {
          const std::int64_t a = f.integer % 4000000000LL, b = l.integer % 4000000000LL;
          d.first_observed = std::min(a, b) * 1000000;
          d.last_observed = std::max(a, b) * 1000000;
        }
      }
      const NodeId n = tree.child(o, "n");
      if (n != kNone && tree.node(n).kind == ValueKind::integer)
        d.number_observed = static_cast<std::uint64_t>(1 + (tree.node(n).integer % 4 + 4) % 4);
      std::vector<PoolObject> pool;
      const NodeId objects = tree.child(o, "objects");
      if (objects != kNone && tree.node(objects).kind == ValueKind::object)
        for (NodeId x = tree.node(objects).first_child; x != kNone; x = tree.node(x).next_sibling)
          pool.push_back(PoolObject{x, tree.node(x).key});
      pools.push_back(std::move(pool));
      obs.push_back(d);
    }
  }
  for (std::size_t i = 0; i < obs.size(); ++i) {
    obs[i].objects = pools[i].data();
    obs[i].object_count = pools[i].size();
  }

  for (StixVersion version : {StixVersion::v21, StixVersion::v20}) {
    ProgramOptions options;
    options.version = version;
    PatternProgram program;
    const ProgramResult c = compile_pattern_program(pattern, program, options);
    if (!c.ok()) {
      if (c.message.empty() || program.compiled()) std::abort();
      continue;
    }
    if (!program.compiled() || program.leaf_count() == 0) std::abort();

    EvalBudget budget;
    budget.max_steps = kSteps;
    const EvalResult direct = program.evaluate(tree, obs.data(), obs.size(), budget);
    check_result(direct, obs.size(), budget);

    Table table;
    bool leaf_error = false;
    EvalBudget leaf_budget;
    leaf_budget.max_steps = kSteps;
    std::vector<Interval> intervals;
    for (const ObservedData& d : obs) {
      intervals.push_back(Interval{d.first_observed, d.last_observed, d.number_observed});
      table.rows.emplace_back();
      for (std::size_t leaf = 0; leaf < program.leaf_count(); ++leaf) {
        bool out = false;
        const EvalStatus s = program.leaf_matches(leaf, tree, d, out, leaf_budget);
        if (s == EvalStatus::error) leaf_error = true;
        if ((s == EvalStatus::match) != out) std::abort();
        table.rows.back().push_back(out);
      }
    }
    EvalBudget oracle_budget;
    oracle_budget.max_steps = kSteps;
    const EvalResult via_oracle = program.evaluate(intervals.data(), intervals.size(), table, oracle_budget);
    check_result(via_oracle, obs.size(), oracle_budget);
    if (leaf_error || direct.status == EvalStatus::error || via_oracle.status == EvalStatus::error) continue;
    if (direct.status != via_oracle.status) std::abort();
    if (direct.status == EvalStatus::match &&
        (direct.bound_count != via_oracle.bound_count ||
         std::memcmp(direct.bound, via_oracle.bound, sizeof(std::uint32_t) * direct.bound_count) != 0))
      std::abort();
  }
  return 0;
}
