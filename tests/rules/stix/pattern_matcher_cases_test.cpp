// The OASIS reference matcher's test vectors (../shared/corpus/stix/matcher/cases.jsonl,
// stix2-matcher 73c1cb9) against PatternProgram: every row is built as the corpus README
// describes and must give the recorded result, except the rows listed in kUnsupported.
#include "rules/rapidjson.h"  // first: see the header
#include "rules/stix/pattern_eval.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "rules/time.h"
#include "support/corpus.h"

namespace outpost::rules::stix {
namespace {

struct Unsupported {
  const char* test;     // upstream test function
  const char* pattern;  // the row's pattern
  const char* why;
};

// Rows this evaluator does not reproduce, and why. The test fails if one of them starts
// passing, so the list stays honest. (Built with -DOUTPOST_WITH_RE2=OFF, the rows using
// MATCHES do not compile and are counted apart as "MATCHES without RE2".)
//
// Unicode normalisation: the reference NFC-normalises both sides of LIKE and MATCHES. Outpost
// has no Unicode normaliser in the library (ICU is too large for a router), so canonically
// equivalent spellings that differ in code points do not match.
constexpr const char* kNfc = "no NFC normalisation for LIKE / MATCHES (the reference normalises both sides)";
const Unsupported kUnsupported[] = {
    {"test_unicode_normalization_like_match", "[test:ddots.nfc LIKE 'd\u0323\u0307']", kNfc},
    {"test_unicode_normalization_like_match", "[test:ddots.nfc LIKE '\u1e0b\u0323']", kNfc},
    {"test_unicode_normalization_like_match", "[test:ddots.nfd LIKE '\u1e0d\u0307']", kNfc},
    {"test_unicode_normalization_like_match", "[test:ddots.nfd LIKE '\u1e0b\u0323']", kNfc},
    {"test_unicode_normalization_like_match", "[test:ddots.alt1 LIKE '\u1e0d\u0307']", kNfc},
    {"test_unicode_normalization_like_match", "[test:ddots.alt1 LIKE 'd\u0323\u0307']", kNfc},
    {"test_unicode_normalization_regex_match", "[test:ddots.nfc MATCHES '^d\u0323\u0307$']", kNfc},
    {"test_unicode_normalization_regex_match", "[test:ddots.nfc MATCHES '^\u1e0b\u0323$']", kNfc},
    {"test_unicode_normalization_regex_match", "[test:ddots.nfd MATCHES '^\u1e0d\u0307$']", kNfc},
    {"test_unicode_normalization_regex_match", "[test:ddots.nfd MATCHES '^\u1e0b\u0323$']", kNfc},
    {"test_unicode_normalization_regex_match", "[test:ddots.alt1 MATCHES '^\u1e0d\u0307$']", kNfc},
    {"test_unicode_normalization_regex_match", "[test:ddots.alt1 MATCHES '^d\u0323\u0307$']", kNfc},
};

struct Row {
  std::size_t line = 0;
  std::string pattern, expect, source, version, error_type;
  std::string observations;  // JSON text
  std::vector<std::string> matched_ids;
  int matched_count = -1;
};

std::vector<Row> read_rows() {
  std::vector<Row> rows;
  std::ifstream in(test::corpus_path("stix/matcher/cases.jsonl"));
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    rapidjson::Document d;
    d.Parse(line.c_str(), line.size());
    if (d.HasParseError() || !d.IsObject()) {
      ADD_FAILURE() << "cases.jsonl line " << n << " is not a JSON object";
      continue;
    }
    Row r;
    r.line = n;
    r.pattern = d["pattern"].GetString();
    r.expect = d["expect"].GetString();
    r.source = d["source"].GetString();
    r.version = d["stix_version"].GetString();
    if (d.HasMember("error_type")) r.error_type = d["error_type"].GetString();
    if (d.HasMember("matched_ids"))
      for (const auto& v : d["matched_ids"].GetArray()) r.matched_ids.emplace_back(v.GetString());
    if (d.HasMember("matched_count")) r.matched_count = d["matched_count"].GetInt();
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    d["observations"].Accept(w);
    r.observations.assign(buf.GetString(), buf.GetSize());
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string test_name(const std::string& source) { return source.substr(source.rfind(':') + 1); }
std::string upstream_file(const std::string& source) {
  const std::size_t colon = source.rfind(':');
  const std::size_t slash = source.rfind('/', colon);
  return source.substr(slash + 1, colon - slash - 1);
}

std::string_view text_of(const ObjectTree& t, NodeId object, std::string_view key) {
  const NodeId c = t.child(object, key);
  return c != kNone && t.node(c).kind == ValueKind::string ? t.node(c).text : std::string_view();
}

// The observations of a row, as the reference matcher reads them (corpus README).
struct Observations {
  ObjectTree tree;
  std::vector<std::vector<PoolObject>> pools;
  std::vector<ObservedData> data;
  std::vector<std::string> ids;  // observed-data ids
  std::string error;             // the reference would raise while reading them
};

bool read_observed_data(const ObjectTree& t, NodeId od, ObservedData& out, std::string& error) {
  const NodeId n = t.child(od, "number_observed");
  const std::string_view first = text_of(t, od, "first_observed"), last = text_of(t, od, "last_observed");
  if (n == kNone || t.node(n).kind != ValueKind::integer || first.empty() || last.empty()) {
    error = "observed-data without number_observed, first_observed and last_observed";
    return false;
  }
  if (t.node(n).integer < 1) {
    error = "number_observed below 1";
    return false;
  }
  out.number_observed = static_cast<std::uint64_t>(t.node(n).integer);
  if (!parse_timestamp(first, out.first_observed) || !parse_timestamp(last, out.last_observed)) {
    error = "bad first_observed / last_observed";
    return false;
  }
  return true;
}

void load(const Row& row, Observations& o) {
  std::string error;
  const NodeId root = o.tree.add_json(kNone, {}, row.observations, &error);
  ASSERT_NE(root, kNone) << error;
  const ObjectTree& t = o.tree;
  if (row.version == "2.1") {
    // One pool of all bundles' objects; each observed-data is an observation whose objects
    // are the pool objects its object_refs name (the last object of an id wins).
    std::map<std::string_view, NodeId> by_id;
    std::vector<NodeId> observed;
    for (NodeId b = t.node(root).first_child; b != kNone; b = t.node(b).next_sibling) {
      const NodeId objects = t.child(b, "objects");
      if (objects == kNone) {
        o.error = "bundle without objects";
        return;
      }
      for (NodeId x = t.node(objects).first_child; x != kNone; x = t.node(x).next_sibling) {
        if (text_of(t, x, "type") == "observed-data") observed.push_back(x);
        else by_id[text_of(t, x, "id")] = x;
      }
    }
    for (NodeId od : observed) {
      ObservedData d;
      if (!read_observed_data(t, od, d, o.error)) return;
      const NodeId refs = t.child(od, "object_refs");
      if (refs == kNone) {
        o.error = "observed-data without object_refs";
        return;
      }
      std::vector<PoolObject> pool;
      for (NodeId r = t.node(refs).first_child; r != kNone; r = t.node(r).next_sibling) {
        const auto it = by_id.find(t.node(r).text);
        if (it != by_id.end()) pool.push_back(PoolObject{it->second, it->first});
      }
      o.pools.push_back(std::move(pool));
      o.data.push_back(d);
      o.ids.emplace_back(text_of(t, od, "id"));
    }
  } else {
    // STIX 2.0: observed-data with an embedded objects dictionary; its keys are the ids.
    for (NodeId od = t.node(root).first_child; od != kNone; od = t.node(od).next_sibling) {
      ObservedData d;
      if (!read_observed_data(t, od, d, o.error)) return;
      std::vector<PoolObject> pool;
      const NodeId objects = t.child(od, "objects");
      if (objects != kNone)
        for (NodeId x = t.node(objects).first_child; x != kNone; x = t.node(x).next_sibling)
          pool.push_back(PoolObject{x, t.node(x).key});
      o.pools.push_back(std::move(pool));
      o.data.push_back(d);
      o.ids.emplace_back(text_of(t, od, "id"));
    }
  }
  for (std::size_t i = 0; i < o.data.size(); ++i) {
    o.data[i].objects = o.pools[i].data();
    o.data[i].object_count = o.pools[i].size();
  }
}

// "match", "nomatch" or "error", and why.
std::string run(const Row& row, std::string& detail) {
  Observations o;
  load(row, o);
  if (!o.error.empty()) {
    detail = o.error;
    return "error";
  }
  ProgramOptions options;
  options.version = row.version == "2.0" ? StixVersion::v20 : StixVersion::v21;
  PatternProgram program;
  const ProgramResult c = compile_pattern_program(row.pattern, program, options);
  if (!c.ok()) {
    detail = c.message;
    if (!OUTPOST_WITH_RE2 && c.message.find("MATCHES needs RE2") != std::string::npos) return "unsupported";
    return "error";
  }
  EvalBudget budget;
  const EvalResult r = program.evaluate(o.tree, o.data.data(), o.data.size(), budget);
  if (r.status == EvalStatus::error) {
    detail = std::string(r.message());
    return "error";
  }
  if (r.status == EvalStatus::no_match) return "nomatch";
  // The reference returns the observed-data of its first binding. Where the row records
  // them, ours must be the same set (or as many).
  std::set<std::string> ids;
  for (std::size_t i = 0; i < r.bound_count; ++i) ids.insert(o.ids[r.bound[i]]);
  if (!row.matched_ids.empty() && ids != std::set<std::string>(row.matched_ids.begin(), row.matched_ids.end())) {
    detail = "matched other observed-data";
    return "match (other binding)";
  }
  if (row.matched_count >= 0 && static_cast<int>(r.bound_total) != row.matched_count) {
    detail = "matched " + std::to_string(r.bound_total) + " observed-data";
    return "match (other binding)";
  }
  return "match";
}

const Unsupported* unsupported(const Row& row) {
  for (const Unsupported& u : kUnsupported)
    if (test_name(row.source) == u.test && row.pattern == u.pattern) return &u;
  return nullptr;
}

TEST(PatternMatcherCases, EveryReferenceVectorGivesTheRecordedResultOrIsListedAsUnsupported) {
  OUTPOST_REQUIRE_CORPUS();
  const std::vector<Row> rows = read_rows();
  ASSERT_EQ(rows.size(), 423u);
  struct Tally {
    std::size_t rows = 0, passed = 0, unsupported = 0, without_re2 = 0;
  };
  std::map<std::string, Tally> by_file;
  std::set<const Unsupported*> listed_seen;
  for (const Row& row : rows) {
    std::string detail;
    const std::string got = run(row, detail);
    const bool pass = got == row.expect;
    Tally& t = by_file[upstream_file(row.source)];
    ++t.rows;
    const Unsupported* u = unsupported(row);
    if (u) {
      listed_seen.insert(u);
      ++t.unsupported;
      EXPECT_FALSE(pass) << "line " << row.line << " is listed as unsupported (" << u->why
                         << ") but now passes; remove it from kUnsupported: " << row.pattern;
      continue;
    }
    if (got == "unsupported") {  // built without RE2: MATCHES does not compile
      ++t.without_re2;
      continue;
    }
    if (pass) ++t.passed;
    EXPECT_TRUE(pass) << "line " << row.line << " " << test_name(row.source) << " (STIX " << row.version
                      << "): " << row.pattern << "\n  expected " << row.expect << ", got " << got
                      << (detail.empty() ? "" : ": ") << detail;
  }
  EXPECT_EQ(listed_seen.size(), sizeof kUnsupported / sizeof kUnsupported[0]) << "a listed row is not in the corpus";
  Tally total;
  for (const auto& [file, t] : by_file) {
    std::printf("[ matcher  ] %-32s %3zu rows: %3zu pass, %2zu listed unsupported, %2zu MATCHES without RE2\n",
                file.c_str(), t.rows, t.passed, t.unsupported, t.without_re2);
    total.rows += t.rows;
    total.passed += t.passed;
    total.unsupported += t.unsupported;
    total.without_re2 += t.without_re2;
  }
  std::printf("[ matcher  ] %-32s %3zu rows: %3zu pass, %2zu listed unsupported, %2zu MATCHES without RE2\n", "total",
              total.rows, total.passed, total.unsupported, total.without_re2);
  if (OUTPOST_WITH_RE2) {
    EXPECT_EQ(total.without_re2, 0u);
  }
}

TEST(PatternMatcherCases, EveryParseExceptionRowIsRejectedByTheParser) {
  OUTPOST_REQUIRE_CORPUS();
  std::size_t n = 0;
  for (const Row& row : read_rows()) {
    if (row.error_type != "ParseException") continue;
    ++n;
    Pattern p;
    PatternError e;
    EXPECT_FALSE(parse_pattern(row.pattern, p, e)) << "line " << row.line << ": " << row.pattern;
    PatternLimits lax;
    lax.reject_repeated_qualifiers = false;
    EXPECT_FALSE(parse_pattern(row.pattern, p, e, lax)) << "line " << row.line << ": " << row.pattern;
  }
  EXPECT_EQ(n, 20u);
}

}  // namespace
}  // namespace outpost::rules::stix
