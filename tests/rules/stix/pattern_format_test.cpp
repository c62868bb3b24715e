#include "rules/rapidjson.h"  // first: see the header
#include "rules/stix/pattern_format.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "support/corpus.h"

namespace outpost::rules::stix {
namespace {

std::vector<std::string> corpus_patterns(const std::string& rel) {
  std::vector<std::string> out;
  std::ifstream in(test::corpus_path(rel));
  std::string line;
  while (std::getline(in, line)) {
    rapidjson::Document d;
    d.Parse(line.c_str(), line.size());
    if (!d.HasParseError() && d.IsObject() && d.HasMember("pattern") && d["pattern"].IsString())
      out.emplace_back(d["pattern"].GetString());
  }
  return out;
}

// parse(text) -> format -> parse gives the same tree, and formatting is idempotent.
::testing::AssertionResult round_trips(const std::string& text, const PatternLimits& limits = {}) {
  Pattern a, b;
  PatternError e;
  if (!parse_pattern(text, a, e, limits)) return ::testing::AssertionFailure() << "does not parse: " << text;
  const std::string canonical = format_pattern(a);
  if (!parse_pattern(canonical, b, e))
    return ::testing::AssertionFailure() << "canonical form does not parse (" << e.message << "): " << canonical
                                         << "\n  from " << text;
  if (!same_pattern(a, b))
    return ::testing::AssertionFailure() << "canonical form has another tree: " << canonical << "\n  from " << text;
  if (format_pattern(b) != canonical)
    return ::testing::AssertionFailure() << "not idempotent: " << canonical << " -> " << format_pattern(b);
  return ::testing::AssertionSuccess();
}

std::string canonical(const std::string& text) {
  Pattern p;
  PatternError e;
  PatternLimits lax;
  lax.reject_repeated_qualifiers = false;
  EXPECT_TRUE(parse_pattern(text, p, e, lax)) << text << ": " << e.message;
  return format_pattern(p);
}

TEST(PatternFormat, RoundTripsEveryValidAndRealBundlePattern) {
  OUTPOST_REQUIRE_CORPUS();
  std::size_t n = 0;
  for (const char* file : {"stix/patterns/valid.jsonl", "stix/patterns/bundle_indicators.jsonl"})
    for (const std::string& p : corpus_patterns(file)) {
      EXPECT_TRUE(round_trips(p));
      ++n;
    }
  EXPECT_EQ(n, 77u + 8741u);
}

TEST(PatternFormat, RoundTripsTheMatcherVectorsParsedAsTheMatcherDoes) {
  OUTPOST_REQUIRE_CORPUS();
  PatternLimits lax;
  lax.reject_repeated_qualifiers = false;
  std::size_t n = 0;
  for (const std::string& p : corpus_patterns("stix/matcher/cases.jsonl")) {
    Pattern tree;
    PatternError e;
    if (!parse_pattern(p, tree, e, lax)) continue;  // the ParseException rows
    EXPECT_TRUE(round_trips(p, lax));
    ++n;
  }
  EXPECT_EQ(n, 403u);
}

TEST(PatternFormat, WritesOneCanonicalSpelling) {
  EXPECT_EQ(canonical("[a:b=1]"), "[a:b = 1]");
  EXPECT_EQ(canonical("[ a:b == +5 ]AND[c:d<>'it\\'s \\\\']"), "[a:b = 5] AND [c:d != 'it\\'s \\\\']");
  EXPECT_EQ(canonical("/* note */ [a:'b'.c[*] NOT IN (1,2.50,+.5)] // end"), "[a:b.c[*] NOT IN (1, 2.50, .5)]");
  EXPECT_EQ(canonical("[a:x IN ( )]"), "[a:x IN ()]");
  EXPECT_EQ(canonical("[a:h = h'ABcd' OR a:t > t'2020-01-01T00:00:00.5Z' OR a:b = b'AQ==']"),
            "[a:h = h'abcd' OR a:t > t'2020-01-01T00:00:00.5Z' OR a:b = b'AQ==']");
  EXPECT_EQ(canonical("[NOT EXISTS a:b] REPEATS +2 TIMES WITHIN 1.5 SECONDS"),
            "[NOT EXISTS a:b] REPEATS 2 TIMES WITHIN 1.5 SECONDS");
  EXPECT_EQ(canonical("[a:b = 1] START '2020-01-01T00:00:00Z' STOP t'2020-01-02T00:00:00Z'"),
            "[a:b = 1] START '2020-01-01T00:00:00Z' STOP t'2020-01-02T00:00:00Z'");
}

TEST(PatternFormat, KeepsOnlyTheParenthesesTheTreeNeeds) {
  EXPECT_EQ(canonical("(([a:b = 1] OR [c:d = 2]))"), "[a:b = 1] OR [c:d = 2]");
  EXPECT_EQ(canonical("[a:b = 1] OR ([c:d = 2] OR [e:f = 3])"), "[a:b = 1] OR ([c:d = 2] OR [e:f = 3])");
  EXPECT_EQ(canonical("([a:b = 1] OR [c:d = 2]) OR [e:f = 3]"), "[a:b = 1] OR [c:d = 2] OR [e:f = 3]");
  EXPECT_EQ(canonical("([a:b = 1] AND [c:d = 2]) OR [e:f = 3] FOLLOWEDBY [g:h = 4]"),
            "[a:b = 1] AND [c:d = 2] OR [e:f = 3] FOLLOWEDBY [g:h = 4]");
  EXPECT_EQ(canonical("[a:b = 1] AND ([c:d = 2] OR [e:f = 3])"), "[a:b = 1] AND ([c:d = 2] OR [e:f = 3])");
  EXPECT_EQ(canonical("([a:b = 1] OR [c:d = 2]) WITHIN 5 SECONDS"), "([a:b = 1] OR [c:d = 2]) WITHIN 5 SECONDS");
  EXPECT_EQ(canonical("[(a:b = 1 OR a:c = 2) AND a:d = 3]"), "[(a:b = 1 OR a:c = 2) AND a:d = 3]");
  EXPECT_EQ(canonical("[a:b = 1 OR (a:c = 2 AND a:d = 3)]"), "[a:b = 1 OR a:c = 2 AND a:d = 3]");
  // The same qualifier twice on one [ ]: parenthesised so that the validator's rule accepts it.
  EXPECT_EQ(canonical("[a:b = 1] REPEATS 2 TIMES REPEATS 3 TIMES"), "([a:b = 1] REPEATS 2 TIMES) REPEATS 3 TIMES");
  EXPECT_EQ(canonical("([a:b = 1] WITHIN 1 SECONDS) WITHIN 2 SECONDS"), "([a:b = 1] WITHIN 1 SECONDS) WITHIN 2 SECONDS");
  EXPECT_TRUE(round_trips("(([a:b = 1] WITHIN 1 SECONDS REPEATS 2 TIMES) WITHIN 3 SECONDS) REPEATS 4 TIMES"));
}

TEST(PatternFormat, TellsTreesApartByStructureAndLiteralValue) {
  Pattern a, b, c;
  PatternError e;
  ASSERT_TRUE(parse_pattern("[a:b = +1] AND [c:d = h'AA']", a, e));
  ASSERT_TRUE(parse_pattern("[a:b = 1]  AND [c:d = h'aa']", b, e));
  EXPECT_TRUE(same_pattern(a, b));
  ASSERT_TRUE(parse_pattern("[a:b = 1] AND [c:d = b'qg==']", c, e));
  EXPECT_FALSE(same_pattern(a, c)) << "hex and base64 literals are different literals";
  ASSERT_TRUE(parse_pattern("[a:b = 1] OR [c:d = h'aa']", c, e));
  EXPECT_FALSE(same_pattern(a, c));
  ASSERT_TRUE(parse_pattern("[a:b = 1] AND [c:e = h'aa']", c, e));
  EXPECT_FALSE(same_pattern(a, c));
}

}  // namespace
}  // namespace outpost::rules::stix
