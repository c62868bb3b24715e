// libFuzzer target: the STIX pattern parser and compiler (rules/stix/pattern.h,
// rules/stix/pattern_compile.h).
//
// Invariants: a syntax error lies within the pattern; a compiled pattern is either exact
// (set entries only) or has a residual that is reached somehow — through prefilter terms,
// scan lists of observation kinds, or a device's history; its terms' canonical values are
// fixed points of normalisation, and once added to a set each term is found again by a
// lookup of its own value; the residual, the canonical form, parses again.
//
// Seeds: the "pattern" of every line of ../shared/corpus/stix/patterns/*.jsonl, one per file.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "rules/sets/term_set.h"
#include "rules/stix/pattern.h"
#include "rules/stix/pattern_compile.h"

namespace {

using namespace outpost::rules;

struct Found : TermVisitor {
  std::string want;
  bool found = false;
  void on_hit(EntryOwner, std::string_view term, bool whole) override { found = found || (whole && term == want); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  stix::Pattern p;
  stix::PatternError e;
  const bool parsed = stix::parse_pattern(text, p, e);
  if (!parsed && e.position > text.size()) std::abort();
  if (parsed && (p.root >= p.nodes.size() || p.nodes.empty())) std::abort();

  const stix::CompiledPattern c = stix::compile_pattern(text);
  if ((c.status == stix::CompileStatus::syntax_error) == parsed) std::abort();
  if (c.exact() && c.terms.empty()) std::abort();
  // A residual without prefilter terms must be reached another way (or it would never run).
  if (c.status == stix::CompileStatus::compiled && !c.exact() && c.terms.empty() && c.scan_kinds == 0 &&
      !c.multi_observation)
    std::abort();
  if (c.status != stix::CompileStatus::compiled && !c.terms.empty()) std::abort();
  if (!c.residual.empty()) {
    stix::Pattern again;
    if (!stix::parse_pattern(c.residual, again, e)) std::abort();
  }
  MemoryBudget budget;
  for (const auto& t : c.terms) {
    std::string again;
    if (normalise_indicator_value(t.type, t.value, again) != ValueError::none || again != t.value) std::abort();
    auto set = make_term_set(t.type, budget);
    if (set->add(t.value, 1) != AddResult::added) std::abort();
    set->compact();
    Found f;
    f.want = t.value;
    std::string observed = t.value;
    if ((t.type == IndicatorType::ipv4 || t.type == IndicatorType::ipv6) && observed.find('/') != std::string::npos)
      observed.resize(observed.find('/'));
    set->lookup(observed, f);
    if (!f.found) std::abort();
  }
  return 0;
}
