#include "rules/stix/pattern_eval.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "allocation_counter.h"
#include "rules/rapidjson.h"
#include "rules/time.h"
#include "support/corpus.h"

namespace outpost::rules::stix {
namespace {

constexpr TimeUs kBase = 1577836800LL * 1000000;  // 2020-01-01T00:00:00Z

// Observations for a test: each holds the objects of a JSON dictionary (key = id, as STIX
// 2.0 embeds them) over [first, last] seconds after kBase.
class Scene {
 public:
  Scene& observe(const std::string& objects, double first = 0, double last = -1, std::uint64_t count = 1) {
    std::string error;
    const NodeId dict = tree_.add_json(kNone, {}, objects, &error);
    EXPECT_NE(dict, kNone) << error << " in " << objects;
    std::vector<PoolObject> pool;
    if (dict != kNone)
      for (NodeId c = tree_.node(dict).first_child; c != kNone; c = tree_.node(c).next_sibling)
        pool.push_back(PoolObject{c, tree_.node(c).key});
    pools_.push_back(std::move(pool));
    ObservedData d;
    d.first_observed = kBase + static_cast<TimeUs>(first * 1e6);
    d.last_observed = kBase + static_cast<TimeUs>((last < 0 ? first : last) * 1e6);
    d.number_observed = count;
    data_.push_back(d);
    return *this;
  }

  // The result of `pattern`; a pattern that does not compile gives an error.
  EvalResult eval(const std::string& pattern, ProgramOptions options = {}) {
    for (std::size_t i = 0; i < data_.size(); ++i) {
      data_[i].objects = pools_[i].data();
      data_[i].object_count = pools_[i].size();
    }
    PatternProgram program;
    const ProgramResult c = compile_pattern_program(pattern, program, options);
    EvalResult r;
    if (!c.ok()) {
      r.status = EvalStatus::error;
      compile_message = c.message;
      return r;
    }
    EvalBudget b = budget;
    return program.evaluate(tree_, data_.data(), data_.size(), b);
  }
  EvalStatus status(const std::string& pattern, ProgramOptions options = {}) { return eval(pattern, options).status; }

  EvalBudget budget;
  std::string compile_message;

 private:
  ObjectTree tree_;
  std::deque<std::vector<PoolObject>> pools_;
  std::vector<ObservedData> data_;
};

constexpr EvalStatus kMatch = EvalStatus::match;
constexpr EvalStatus kNoMatch = EvalStatus::no_match;
constexpr EvalStatus kError = EvalStatus::error;

ProgramResult compile(const std::string& pattern, ProgramOptions options = {}) {
  PatternProgram p;
  return compile_pattern_program(pattern, p, options);
}

Scene one(const std::string& object) {
  Scene s;
  s.observe("{\"o\": " + object + "}");
  return s;
}

// --- = and != ---------------------------------------------------------------------------------

TEST(PatternEvalEquality, ComparesIntegersAndFloatsByExactValue) {
  Scene s = one(R"({"type": "x", "i": 5, "f": 5.0, "big": 9007199254740993})");
  EXPECT_EQ(s.status("[x:i = 5]"), kMatch);
  EXPECT_EQ(s.status("[x:i = 5.0]"), kMatch);
  EXPECT_EQ(s.status("[x:f = 5]"), kMatch);
  EXPECT_EQ(s.status("[x:i = 5.5]"), kNoMatch);
  EXPECT_EQ(s.status("[x:i != 6]"), kMatch);
  EXPECT_EQ(s.status("[x:big = 9007199254740992.0]"), kNoMatch) << "no rounding of the integer to a double";
}

TEST(PatternEvalEquality, TreatsBooleansAsTheirOwnType) {
  Scene s = one(R"({"type": "x", "b": true, "i": 1})");
  EXPECT_EQ(s.status("[x:b = true]"), kMatch);
  EXPECT_EQ(s.status("[x:b = 1]"), kNoMatch);
  EXPECT_EQ(s.status("[x:i = true]"), kNoMatch);
  EXPECT_EQ(s.status("[x:b != 1]"), kMatch) << "values of different types are unequal";
}

TEST(PatternEvalEquality, ComparesStringsCodePointForCodePoint) {
  Scene s = one(R"({"type": "x", "s": "caf\u00e9"})");
  EXPECT_EQ(s.status("[x:s = 'caf\u00e9']"), kMatch);
  EXPECT_EQ(s.status("[x:s = 'cafe\u0301']"), kNoMatch) << "no normalisation for =";
  EXPECT_EQ(s.status("[x:s = 'CAF\u00c9']"), kNoMatch);
}

TEST(PatternEvalEquality, ComparesBinaryWithTheLatin1BytesOfAString) {
  Scene s = one(R"({"type": "x", "name_hex": "616c696365", "s": "\u00e9", "u": "\u0103"})");
  EXPECT_EQ(s.status("[x:name_hex = 'alice']"), kMatch);
  EXPECT_EQ(s.status("[x:name_hex = h'616C696365']"), kMatch);
  EXPECT_EQ(s.status("[x:name_hex = b'YWxpY2U=']"), kMatch);
  EXPECT_EQ(s.status("[x:s = h'e9']"), kMatch) << "U+00E9 is the byte e9";
  EXPECT_EQ(s.status("[x:u = h'03']"), kNoMatch) << "U+0103 has no Latin-1 byte";
  EXPECT_EQ(s.status("[x:u != h'03']"), kMatch);
}

TEST(PatternEvalEquality, MakesEveryComparisonOfAMissingPropertyFalseEvenUnderNot) {
  Scene s = one(R"({"type": "x", "present": 1})");
  for (const char* p : {"[x:missing = 1]", "[x:missing != 1]", "[x:missing NOT = 1]", "[x:missing NOT IN (1)]",
                        "[x:missing NOT LIKE 'a']", "[x:missing NOT > 1]", "[x:missing NOT ISSUBSET '1.0.0.0/8']",
                        "[y:present != 2]"})
    EXPECT_EQ(s.status(p), kNoMatch) << p;
}

TEST(PatternEvalEquality, ReadsAJsonStringComparedWithATimestampAsATimestamp) {
  Scene s = one(R"({"type": "x", "t": "2020-01-01T00:00:00.5Z", "n": 5, "bad": "2020-01-01 00:00:00"})");
  EXPECT_EQ(s.status("[x:t = t'2020-01-01T00:00:00.500Z']"), kMatch);
  EXPECT_EQ(s.status("[x:t > t'2019-12-31T23:59:59Z']"), kMatch);
  EXPECT_EQ(s.status("[x:t IN (t'2000-01-01T00:00:00Z', t'2020-01-01T00:00:00.5Z')]"), kMatch);
  EXPECT_EQ(s.status("[x:n = t'2020-01-01T00:00:00Z']"), kNoMatch) << "a number is no timestamp";
  EXPECT_EQ(s.status("[x:n != t'2020-01-01T00:00:00Z']"), kMatch);
  const EvalResult r = s.eval("[x:bad = t'2020-01-01T00:00:00Z']");
  EXPECT_EQ(r.status, kError);
  EXPECT_NE(r.message().find("invalid timestamp in JSON"), std::string_view::npos) << r.message();
}

TEST(PatternEvalEquality, RefusesTimestampLiteralsThatAreNotCalendarDates) {
  EXPECT_TRUE(compile("[x:t = t'2024-02-29T12:00:00Z']").ok());
  for (const char* p : {"[x:t = t'2023-02-29T12:00:00Z']", "[x:t = t'2024-04-31T12:00:00Z']",
                        "[x:t = t'2024-01-01T12:00:60Z']", "[x:t = t'0000-01-01T00:00:00Z']"}) {
    const ProgramResult r = compile(p);
    EXPECT_EQ(r.status, ProgramStatus::invalid) << p;
    EXPECT_NE(r.message.find("invalid timestamp"), std::string::npos) << r.message;
  }
}

// --- < > <= >= ----------------------------------------------------------------------------------

TEST(PatternEvalOrdering, OrdersIntegersAndFloatsTogether) {
  Scene s = one(R"({"type": "x", "i": 5, "f": 5.5})");
  EXPECT_EQ(s.status("[x:i > 4.5]"), kMatch);
  EXPECT_EQ(s.status("[x:i <= 5]"), kMatch);
  EXPECT_EQ(s.status("[x:f < 6]"), kMatch);
  EXPECT_EQ(s.status("[x:f >= 5.5]"), kMatch);
  EXPECT_EQ(s.status("[x:f NOT > 5]"), kNoMatch);
}

TEST(PatternEvalOrdering, IsFalseForIncomparableTypesEvenUnderNot) {
  Scene s = one(R"({"type": "x", "s": "a", "b": true, "l": [1]})");
  EXPECT_EQ(s.status("[x:s > 5]"), kNoMatch);
  EXPECT_EQ(s.status("[x:s NOT > 5]"), kNoMatch);
  EXPECT_EQ(s.status("[x:b NOT < 2]"), kNoMatch);
  EXPECT_EQ(s.status("[x:l NOT < 2]"), kNoMatch);
}

TEST(PatternEvalOrdering, OrdersStringsByCodePointAndBinaryByByte) {
  Scene s = one(R"({"type": "x", "s": "a", "u": "\u00e9", "b_hex": "61", "w": "\u0103"})");
  EXPECT_EQ(s.status("[x:s > 'Z']"), kMatch);
  EXPECT_EQ(s.status("[x:s < 'ab']"), kMatch);
  EXPECT_EQ(s.status("[x:u > 'z']"), kMatch) << "U+00E9 sorts after z";
  EXPECT_EQ(s.status("[x:b_hex < 'b']"), kMatch);
  EXPECT_EQ(s.status("[x:b_hex >= h'61']"), kMatch);
  // A string with a code point >= 256 cannot be compared with binary: false, then NOT.
  EXPECT_EQ(s.status("[x:b_hex < '\u0103']"), kNoMatch);
  EXPECT_EQ(s.status("[x:b_hex NOT < '\u0103']"), kMatch);
  EXPECT_EQ(s.status("[x:w > h'00']"), kNoMatch);
}

// --- IN ------------------------------------------------------------------------------------------

TEST(PatternEvalSet, TestsMembershipWithPythonEquality) {
  Scene s = one(R"({"type": "x", "t": true, "one": 1, "f": 2.0, "s": "b", "b_hex": "62"})");
  EXPECT_EQ(s.status("[x:t IN (1, 2)]"), kMatch) << "in Python True == 1";
  EXPECT_EQ(s.status("[x:one IN (true, false)]"), kMatch);
  EXPECT_EQ(s.status("[x:f IN (1, 2)]"), kMatch);
  EXPECT_EQ(s.status("[x:s IN ('a', 'b')]"), kMatch);
  EXPECT_EQ(s.status("[x:s NOT IN ('a', 'c')]"), kMatch);
  EXPECT_EQ(s.status("[x:b_hex IN ('b')]"), kNoMatch) << "bytes are never equal to a string in a set";
  EXPECT_EQ(s.status("[x:b_hex IN (h'62')]"), kMatch);
  EXPECT_EQ(s.status("[x:s NOT IN ()]"), kMatch);
  EXPECT_EQ(s.status("[x:s IN ()]"), kNoMatch);
}

TEST(PatternEvalSet, RefusesASetOfMixedTypesButLetsIntegersAndFloatsMix) {
  EXPECT_TRUE(compile("[x:n IN (1, 2.5, -3)]").ok());
  EXPECT_TRUE(compile("[x:n IN (h'01', b'AQ==')]").ok()) << "hex and base64 are both binary";
  for (const char* p : {"[x:n IN (1, 'a')]", "[x:n IN (1, true)]", "[x:n IN ('a', h'61')]",
                        "[x:n IN (t'2020-01-01T00:00:00Z', 'x')]"}) {
    const ProgramResult r = compile(p);
    EXPECT_EQ(r.status, ProgramStatus::invalid) << p;
  }
}

// --- LIKE ---------------------------------------------------------------------------------------

TEST(PatternEvalLike, MatchesTheWholeStringWithPercentForAnyRunAndUnderscoreForOneCodePoint) {
  Scene s = one(R"({"type": "x", "s": "h\u00e9llo", "nl": "a\nb", "empty": ""})");
  for (const char* p : {"h%", "h_llo", "%llo", "%l%", "%", "h\u00e9llo", "_\u00e9%o", "h%l%o"})
    EXPECT_EQ(s.status(std::string("[x:s LIKE '") + p + "']"), kMatch) << p;
  for (const char* p : {"hell", "h__llo", "", "%x%", "H%", "h\u00e9ll", "_"})
    EXPECT_EQ(s.status(std::string("[x:s LIKE '") + p + "']"), kNoMatch) << p;
  EXPECT_EQ(s.status("[x:nl LIKE 'a%b']"), kMatch) << "% crosses newlines";
  EXPECT_EQ(s.status("[x:empty LIKE '%']"), kMatch);
  EXPECT_EQ(s.status("[x:empty LIKE '_']"), kNoMatch);
}

TEST(PatternEvalLike, ReadsBinaryValuesAsUtf8) {
  Scene s = one(R"({"type": "x", "b_hex": "68c3a96c6c6f", "raw_hex": "ff"})");
  EXPECT_EQ(s.status("[x:b_hex LIKE 'h_llo']"), kMatch);
  EXPECT_EQ(s.status("[x:b_hex NOT LIKE '%\u0103%']"), kMatch) << "a pattern beyond Latin-1 never matches binary";
  EXPECT_EQ(s.status("[x:raw_hex LIKE '%']"), kError) << "the reference fails on bytes that are not UTF-8";
}

TEST(PatternEvalLike, StaysFastOnAdversarialPatterns) {
  Scene s = one("{\"type\": \"x\", \"s\": \"" + std::string(20000, 'a') + "\"}");
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(s.status("[x:s LIKE '%a%a%a%a%a%a%a%a%a%a%a%a%b']"), kNoMatch);
  EXPECT_EQ(s.status("[x:s LIKE '%a%a%a%a%a%a%a%a%a%a%a%a%']"), kMatch);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

// --- MATCHES ------------------------------------------------------------------------------------

#if OUTPOST_WITH_RE2
TEST(PatternEvalMatches, SearchesAnywhereInTheStringLikePythonReSearch) {
  Scene s = one(R"({"type": "x", "s": "hello", "n": 5})");
  EXPECT_EQ(s.status("[x:s MATCHES 'l+']"), kMatch);
  EXPECT_EQ(s.status("[x:s MATCHES 'ell']"), kMatch);
  EXPECT_EQ(s.status("[x:s MATCHES '^ell']"), kNoMatch);
  EXPECT_EQ(s.status("[x:s MATCHES '(?i)HELLO$']"), kMatch);
  EXPECT_EQ(s.status("[x:s MATCHES '']"), kMatch);
  EXPECT_EQ(s.status("[x:n MATCHES '5']"), kNoMatch) << "only strings and binary match";
  EXPECT_EQ(s.status("[x:n NOT MATCHES '5']"), kMatch);
}

TEST(PatternEvalMatches, MatchesBinaryValuesByteForByteInLatin1) {
  Scene s = one(R"({"type": "x", "b_hex": "0102ff41"})");
  EXPECT_EQ(s.status("[x:b_hex MATCHES '\\\\xffA$']"), kMatch);
  EXPECT_EQ(s.status("[x:b_hex MATCHES '^\\\\x01.\u00ff']"), kMatch) << "a literal U+00FF is the byte ff";
  EXPECT_EQ(s.status("[x:b_hex MATCHES '\u0103']"), kNoMatch) << "beyond Latin-1: binary never matches";
}

TEST(PatternEvalMatches, RunsInLinearTimeOnCatastrophicRegexes) {
  Scene s = one("{\"type\": \"x\", \"s\": \"" + std::string(5000, 'a') + "!\"}");
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(s.status("[x:s MATCHES '^(a+)+$']"), kNoMatch);
  EXPECT_EQ(s.status("[x:s MATCHES '^(a|aa)*$']"), kNoMatch);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST(PatternEvalMatches, RefusesRegexesThatRe2CannotCompile) {
  EXPECT_EQ(compile("[x:s MATCHES '(']").status, ProgramStatus::invalid);
  const ProgramResult r = compile("[x:s MATCHES 'a(?=b)']");
  EXPECT_EQ(r.status, ProgramStatus::unsupported) << r.message;
}
#else
TEST(PatternEvalMatches, IsUnsupportedWithoutRe2) {
  const ProgramResult r = compile("[x:s MATCHES 'a+']");
  EXPECT_EQ(r.status, ProgramStatus::unsupported);
  EXPECT_NE(r.message.find("unsupported: MATCHES needs RE2"), std::string::npos) << r.message;
  EXPECT_TRUE(compile("[x:s LIKE 'a%']").ok());
}
#endif

// --- ISSUBSET / ISSUPERSET ------------------------------------------------------------------------

TEST(PatternEvalSubnet, TestsIpv4AndIpv6Containment) {
  Scene s = one(R"({"type": "x", "ip": "10.1.2.3", "net": "10.0.0.0/8", "ip6": "2001:db8::1", "net6": "2001:db8::/32"})");
  EXPECT_EQ(s.status("[x:ip ISSUBSET '10.0.0.0/8']"), kMatch);
  EXPECT_EQ(s.status("[x:ip ISSUBSET '10.1.2.0/24']"), kMatch);
  EXPECT_EQ(s.status("[x:ip ISSUBSET '10.1.2.99/24']"), kMatch) << "host bits of the network are ignored";
  EXPECT_EQ(s.status("[x:ip ISSUBSET '11.0.0.0/8']"), kNoMatch);
  EXPECT_EQ(s.status("[x:net ISSUPERSET '10.1.2.3']"), kMatch);
  EXPECT_EQ(s.status("[x:net ISSUPERSET '10.1.0.0/16']"), kMatch);
  EXPECT_EQ(s.status("[x:net ISSUPERSET '0.0.0.0/1']"), kNoMatch);
  EXPECT_EQ(s.status("[x:net NOT ISSUPERSET '11.1.0.0/16']"), kMatch);
  EXPECT_EQ(s.status("[x:ip6 ISSUBSET '2001:db8::/32']"), kMatch);
  EXPECT_EQ(s.status("[x:net6 ISSUPERSET '2001:db8:0:1::/64']"), kMatch);
  EXPECT_EQ(s.status("[x:ip6 ISSUBSET '10.0.0.0/8']"), kNoMatch) << "families never contain each other";
}

TEST(PatternEvalSubnet, ReportsAnInvalidAddressOrNetworkWhenAStringMeetsIt) {
  Scene s = one(R"({"type": "x", "ip": "10.1.2.3", "junk": "not an address", "n": 7})");
  EXPECT_EQ(s.status("[x:junk ISSUBSET '10.0.0.0/8']"), kError);
  EXPECT_EQ(s.status("[x:ip ISSUBSET 'bogus/8']"), kError);
  EXPECT_EQ(s.status("[x:ip ISSUBSET '10.0.0.1']"), kError) << "the container must be a network";
  EXPECT_EQ(s.status("[x:ip ISSUBSET '10.0.0.0/0']"), kError);
  EXPECT_EQ(s.status("[x:ip ISSUPERSET '10.1.2.3']"), kError) << "the value must be a network";
  // The literal is only read against a string, as in the reference.
  EXPECT_EQ(s.status("[x:n NOT ISSUBSET 'bogus']"), kMatch);
}

// --- object paths ---------------------------------------------------------------------------------

TEST(PatternEvalPaths, SelectsListElementsByIndexOrStar) {
  Scene s = one(R"({"type": "x", "l": [1, 2, 3], "d": {"a-b": {"c.d": [{"k": "v"}]}}})");
  EXPECT_EQ(s.status("[x:l[1] = 2]"), kMatch);
  EXPECT_EQ(s.status("[x:l[*] = 3]"), kMatch);
  EXPECT_EQ(s.status("[x:l[3] = 3]"), kNoMatch);
  EXPECT_EQ(s.status("[x:l[-1] = 3]"), kNoMatch) << "negative indexes select nothing, as in the reference";
  EXPECT_EQ(s.status("[x:l[*] NOT = 1]"), kMatch) << "some element is not 1";
  EXPECT_EQ(s.status("[x:d.'a-b'.'c.d'[0].k = 'v']"), kMatch);
  EXPECT_EQ(s.status("[x:l.k = 1]"), kNoMatch);
}

TEST(PatternEvalPaths, DereferencesRefsWithinTheSameObservationOnly) {
  Scene s;
  s.observe(R"({"p1": {"type": "person", "name": "ann", "friend_ref": "p2", "friends_refs": ["p2", "zz", "p3"],
                "far_ref": "q1"},
               "p2": {"type": "person", "name": "bob"}, "p3": {"type": "person", "name": "cy"}})");
  s.observe(R"({"q1": {"type": "person", "name": "zed"}})");
  EXPECT_EQ(s.status("[person:friend_ref.name = 'bob']"), kMatch);
  EXPECT_EQ(s.status("[person:friends_refs[*].name = 'cy']"), kMatch);
  EXPECT_EQ(s.status("[person:friends_refs[1].name = 'cy']"), kMatch) << "indexes count resolved references";
  EXPECT_EQ(s.status("[person:friend_ref = 'p2']"), kNoMatch) << "the reference is replaced by its object";
  EXPECT_EQ(s.status("[person:far_ref.name = 'zed']"), kNoMatch);
  EXPECT_EQ(s.status("[person:friends_refs[*].name = 'ann' AND person:name = 'ann']"), kNoMatch);
}

TEST(PatternEvalPaths, ReportsReferencesThatAreNotStringsOrListsOfStrings) {
  Scene a = one(R"({"type": "x", "bad_ref": 5, "bad_refs": "p", "mixed_refs": ["p", 1]})");
  EXPECT_EQ(a.status("[x:bad_ref.name = 'a']"), kError);
  EXPECT_EQ(a.status("[x:bad_refs[*].name = 'a']"), kError);
  EXPECT_EQ(a.status("[x:mixed_refs[*].name = 'a']"), kError);
}

TEST(PatternEvalPaths, ComparesHexAndBinPropertiesAsBinary) {
  Scene s = one(R"({"type": "x", "payload_bin": "aGVsbG8=", "broken_hex": "abc", "num_hex": 7})");
  EXPECT_EQ(s.status("[x:payload_bin = 'hello']"), kMatch);
  EXPECT_EQ(s.status("[x:payload_bin = h'68656c6c6f']"), kMatch);
  EXPECT_EQ(s.status("[x:payload_bin = 'aGVsbG8=']"), kNoMatch);
  EXPECT_EQ(s.status("[x:broken_hex = 'a']"), kError);
  EXPECT_EQ(s.status("[x:num_hex = 7]"), kError) << "the reference fails on a number it must decode";
  EXPECT_EQ(s.status("[x:payload_bin = 'hello' OR x:broken_hex = 'a']"), kMatch) << "not reached, no error";
}

TEST(PatternEvalPaths, RootsAllComparisonsOfOneBracketAtOneObject) {
  Scene s;
  s.observe(R"({"a": {"type": "x", "p": 1}, "b": {"type": "x", "q": 2}, "c": {"type": "y", "r": 3}})");
  EXPECT_EQ(s.status("[x:p = 1 AND x:q = 2]"), kNoMatch) << "no single object has both";
  EXPECT_EQ(s.status("[x:p = 1 OR x:q = 2]"), kMatch);
  EXPECT_EQ(s.status("[x:p = 1 AND y:r = 3]"), kNoMatch) << "one object has one type";
  EXPECT_EQ(s.status("[x:p = 9 OR y:r = 3]"), kMatch);
  EXPECT_EQ(s.status("[x:p = 1] AND [x:q = 2]"), kNoMatch) << "two observation expressions need two observations";
  s.observe(R"({"a": {"type": "x", "p": 1, "q": 2}})");
  EXPECT_EQ(s.status("[x:p = 1 AND x:q = 2]"), kMatch);
  EXPECT_EQ(s.status("[x:p = 1] AND [x:q = 2]"), kMatch);
}

TEST(PatternEvalPaths, NeverMatchesSdoTypesInStix21ButDoesInStix20) {
  Scene s = one(R"({"type": "identity", "name": "acme"})");
  EXPECT_EQ(s.status("[identity:name = 'acme']"), kNoMatch);
  ProgramOptions v20;
  v20.version = StixVersion::v20;
  EXPECT_EQ(s.status("[identity:name = 'acme']", v20), kMatch);
}

TEST(PatternEvalPaths, TestsExistenceOfAPropertyOnAnObjectOfTheType) {
  Scene s = one(R"({"type": "x", "a": {"b": null}})");
  EXPECT_EQ(s.status("[EXISTS x:a.b]"), kMatch);
  EXPECT_EQ(s.status("[EXISTS x:a.c]"), kNoMatch);
  EXPECT_EQ(s.status("[NOT EXISTS x:a.c]"), kMatch);
  EXPECT_EQ(s.status("[NOT EXISTS y:a.c]"), kNoMatch) << "no object of type y";
}

// --- observation operators ------------------------------------------------------------------------

TEST(PatternEvalObservations, BindsDisjointObservationsForAndAndCountsNumberObserved) {
  Scene s;
  s.observe(R"({"o": {"type": "x", "v": 1}})");
  EXPECT_EQ(s.status("[x:v = 1] AND [x:v = 1]"), kNoMatch);
  Scene twice;
  twice.observe(R"({"o": {"type": "x", "v": 1}})", 0, 0, 2);
  EXPECT_EQ(twice.status("[x:v = 1] AND [x:v = 1]"), kMatch) << "number_observed 2 is two observations";
  EXPECT_EQ(twice.status("[x:v = 1] AND [x:v = 1] AND [x:v = 1]"), kNoMatch);
}

TEST(PatternEvalObservations, SatisfiesOrWithEitherSide) {
  Scene s = one(R"({"type": "x", "v": 1})");
  EXPECT_EQ(s.status("[x:v = 9] OR [x:v = 1]"), kMatch);
  EXPECT_EQ(s.status("[x:v = 9] OR [x:v = 8]"), kNoMatch);
}

TEST(PatternEvalObservations, OrdersFollowedByByFirstAndLastObserved) {
  Scene s;
  s.observe(R"({"o": {"type": "a"}})", 0, 5);
  s.observe(R"({"o": {"type": "b"}})", 5, 5);
  s.observe(R"({"o": {"type": "c"}})", 20, 30);
  EXPECT_EQ(s.status("[a:type = 'a'] FOLLOWEDBY [c:type = 'c']"), kMatch);
  EXPECT_EQ(s.status("[c:type = 'c'] FOLLOWEDBY [a:type = 'a']"), kNoMatch);
  EXPECT_EQ(s.status("[b:type = 'b'] FOLLOWEDBY [a:type = 'a']"), kMatch) << "b starts when a ends: touching counts";
  EXPECT_EQ(s.status("[a:type = 'a'] FOLLOWEDBY [b:type = 'b'] FOLLOWEDBY [c:type = 'c']"), kMatch);
  EXPECT_EQ(s.status("[c:type = 'c'] FOLLOWEDBY [a:type = 'a'] FOLLOWEDBY [b:type = 'b']"), kNoMatch);
}

TEST(PatternEvalObservations, ReportsTheObservationsOfTheBindingFound) {
  Scene s;
  s.observe(R"({"o": {"type": "x", "v": 0}})");
  s.observe(R"({"o": {"type": "x", "v": 1}})");
  s.observe(R"({"o": {"type": "x", "v": 2}})");
  const EvalResult r = s.eval("[x:v = 2] AND [x:v = 1]");
  ASSERT_EQ(r.status, kMatch);
  ASSERT_EQ(r.bound_count, 2);
  EXPECT_EQ(r.bound[0], 1u);
  EXPECT_EQ(r.bound[1], 2u);
  const EvalResult single = s.eval("[x:v = 1]");
  ASSERT_EQ(single.bound_count, 1);
  EXPECT_EQ(single.bound[0], 1u);
}

// --- qualifiers -----------------------------------------------------------------------------------

TEST(PatternEvalQualifiers, WithinNeedsAWindowTouchingEveryBoundInterval) {
  Scene s;
  s.observe(R"({"o": {"type": "a"}})", 0, 10);
  s.observe(R"({"o": {"type": "b"}})", 14, 14);
  EXPECT_EQ(s.status("([a:type = 'a'] AND [b:type = 'b']) WITHIN 4 SECONDS"), kMatch);
  EXPECT_EQ(s.status("([a:type = 'a'] AND [b:type = 'b']) WITHIN 3.999999 SECONDS"), kNoMatch);
  EXPECT_EQ(s.status("[a:type = 'a'] AND [b:type = 'b'] WITHIN 1 SECONDS"), kMatch) << "WITHIN binds to [b] only";
}

TEST(PatternEvalQualifiers, RepeatsNeedsThatManyDisjointBindings) {
  Scene s;
  for (int i = 0; i < 3; ++i) s.observe(R"({"o": {"type": "x", "v": 1}})", i);
  EXPECT_EQ(s.status("[x:v = 1] REPEATS 3 TIMES"), kMatch);
  EXPECT_EQ(s.status("[x:v = 1] REPEATS 4 TIMES"), kNoMatch);
  EXPECT_EQ(s.status("([x:v = 1] AND [x:v = 1]) REPEATS 2 TIMES"), kNoMatch);
  s.observe(R"({"o": {"type": "x", "v": 1}})", 9, 9, 5);
  EXPECT_EQ(s.status("([x:v = 1] AND [x:v = 1]) REPEATS 4 TIMES"), kMatch);
  EXPECT_EQ(s.status("[x:v = 1] REPEATS 2 TIMES REPEATS 4 TIMES"), kMatch);
  EXPECT_EQ(s.status("[x:v = 1] REPEATS 3 TIMES REPEATS 3 TIMES"), kNoMatch);
}

TEST(PatternEvalQualifiers, StartStopNeedsEveryIntervalToOverlapTheHalfOpenRange) {
  Scene s;
  s.observe(R"({"o": {"type": "x"}})", 10, 20);
  auto at = [](int seconds) { return "t'" + format_timestamp(kBase + seconds * 1000000LL) + "'"; };
  auto status = [&](int start, int stop) {
    return s.status("[x:type = 'x'] START " + at(start) + " STOP " + at(stop));
  };
  EXPECT_EQ(status(15, 16), kMatch);
  EXPECT_EQ(status(20, 30), kMatch) << "last_observed touching START counts";
  EXPECT_EQ(status(0, 10), kNoMatch) << "first_observed touching STOP does not";
  EXPECT_EQ(status(21, 30), kNoMatch);
  EXPECT_EQ(status(15, 15), kNoMatch);
  EXPECT_EQ(status(16, 15), kNoMatch);
}

TEST(PatternEvalQualifiers, AcceptsPlainStringStartStopOnlyForStix20) {
  const std::string p = "[x:type = 'x'] START '2020-01-01T00:00:00Z' STOP '2020-01-02T00:00:00Z'";
  EXPECT_EQ(compile(p).status, ProgramStatus::invalid);
  ProgramOptions v20;
  v20.version = StixVersion::v20;
  EXPECT_TRUE(compile(p, v20).ok());
  EXPECT_FALSE(compile("[x:type = 'x'] START 'soon' STOP '2020-01-02T00:00:00Z'", v20).ok());
}

TEST(PatternEvalQualifiers, RefusesZeroRepeatsAndAZeroWindow) {
  for (const char* p : {"[x:v = 1] REPEATS 0 TIMES", "[x:v = 1] WITHIN 0 SECONDS", "[x:v = 1] WITHIN 0.0 SECONDS"}) {
    const ProgramResult r = compile(p);
    EXPECT_EQ(r.status, ProgramStatus::invalid) << p;
    EXPECT_NE(r.position, 0u) << "the position of the qualifier";
  }
}

// --- budget and limits ----------------------------------------------------------------------------

TEST(PatternEvalBudget, EndsQuicklyWhenRepeatsAsksForMoreObservationsThanExist) {
  Scene s;
  for (int i = 0; i < 25; ++i) s.observe(R"({"o": {"type": "a", "x": 1}})", i);
  const EvalResult r = s.eval("[a:x = 1] REPEATS 30 TIMES");
  EXPECT_NE(r.status, kMatch);
  EXPECT_LT(r.steps, 10000u);
  EXPECT_EQ(s.status("[a:x = 1] REPEATS 25 TIMES"), kMatch);
}

TEST(PatternEvalBudget, StopsWithAnErrorWhenTheStepBudgetRunsOut) {
  Scene s;
  for (int i = 0; i < 30; ++i) s.observe(R"({"o": {"type": "a", "x": 1}})", i);
  // Twelve observations within 10 s of each other do not exist; AND operands are not
  // interchangeable, so the search would try permutations for a very long time.
  std::string p = "(";
  for (int i = 0; i < 12; ++i) p += std::string(i ? " AND " : "") + "[a:x = 1]";
  p += ") WITHIN 10 SECONDS";
  s.budget.max_steps = 200000;
  const auto t0 = std::chrono::steady_clock::now();
  const EvalResult r = s.eval(p);
  EXPECT_EQ(r.status, kError);
  EXPECT_NE(r.message().find("budget"), std::string_view::npos) << r.message();
  EXPECT_LE(r.steps, 200001u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(PatternEvalBudget, TriesOnlyOneInstanceOfAnObservationAtATime) {
  Scene s;
  s.observe(R"({"o": {"type": "a", "x": 1}})", 0, 0, 1000000);
  const EvalResult r = s.eval("([a:x = 1] AND [a:x = 1]) REPEATS 30 TIMES");
  EXPECT_EQ(r.status, kMatch);
  EXPECT_LT(r.steps, 1000u);
  Scene few;
  few.observe(R"({"o": {"type": "a", "x": 1}})", 0, 0, 59);
  const EvalResult n = few.eval("([a:x = 1] AND [a:x = 1]) REPEATS 30 TIMES");
  EXPECT_EQ(n.status, kNoMatch);
  EXPECT_LT(n.steps, 1000u);
}

TEST(PatternEvalBudget, RefusesPatternsBindingMoreObservationsThanTheLimit) {
  EXPECT_TRUE(compile("[a:x = 1] REPEATS 64 TIMES").ok());
  const ProgramResult r = compile("[a:x = 1] REPEATS 65 TIMES");
  EXPECT_EQ(r.status, ProgramStatus::unsupported) << r.message;
  EXPECT_EQ(compile("[a:x = 1] REPEATS 999999999 TIMES REPEATS 999999999 TIMES").status, ProgramStatus::unsupported);
  ProgramOptions big;
  big.max_binding = 200;
  EXPECT_TRUE(compile("[a:x = 1] REPEATS 65 TIMES", big).ok());
}

#if defined(__SANITIZE_ADDRESS__)
constexpr std::size_t kSearchStack = 1 << 20;  // ASan frames are several times larger
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr std::size_t kSearchStack = 1 << 20;
#elif defined(__s390x__)
// The s390x ABI gives every frame a 160-byte register save area: the same search needs more.
constexpr std::size_t kSearchStack = 192 << 10;
#else
constexpr std::size_t kSearchStack = 128 << 10;
#endif
#elif defined(__s390x__)
// The s390x ABI gives every frame a 160-byte register save area: the same search needs more.
constexpr std::size_t kSearchStack = 192 << 10;
#else
constexpr std::size_t kSearchStack = 128 << 10;
#endif

// The deepest search compile() admits with the default options: 22 repetitions of ten nested
// qualifiers. It must fit a small thread stack (musl gives threads 128 KiB by default).
TEST(PatternEvalBudget, RunsTheDeepestAdmittedSearchOnA128KibThreadStack) {
  std::string inner = "[a:x = 1]";
  for (int i = 0; i < 10; ++i) inner = "(" + inner + " WITHIN " + std::to_string(5 + i) + " SECONDS)";
  EXPECT_EQ(compile(inner + " REPEATS 23 TIMES").status, ProgramStatus::unsupported);
  struct Job {
    std::string pattern;
    EvalStatus status = EvalStatus::error;
  } job{inner + " REPEATS 22 TIMES"};
  auto body = [](void* p) -> void* {
    Job& j = *static_cast<Job*>(p);
    Scene s;
    s.observe(R"({"o": {"type": "a", "x": 1}})", 0, 0, 1000);
    j.status = s.status(j.pattern);
    return nullptr;
  };
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kSearchStack);
  pthread_t thread;
  ASSERT_EQ(pthread_create(&thread, &attr, body, &job), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_EQ(job.status, kMatch);
}

TEST(PatternEvalBudget, RefusesObservationsWithoutInstancesOrWithReversedIntervals) {
  Scene zero;
  zero.observe(R"({"o": {"type": "a"}})", 0, 0, 0);
  EXPECT_EQ(zero.status("[a:type = 'a']"), kError);
  Scene reversed;
  reversed.observe(R"({"o": {"type": "a"}})", 5, 1);
  EXPECT_EQ(reversed.status("[a:type = 'a']"), kError);
}

// --- API for the indicator engine ------------------------------------------------------------------

TEST(PatternEvalApi, CountsLeavesInPatternOrderAndTellsSingleObservationPatterns) {
  PatternProgram p;
  ASSERT_TRUE(compile_pattern_program("[a:x = 1]", p).ok());
  EXPECT_EQ(p.leaf_count(), 1u);
  EXPECT_TRUE(p.single_observation());
  ASSERT_TRUE(compile_pattern_program("([a:x = 1] OR [b:y = 2]) FOLLOWEDBY [c:z = 3] WITHIN 5 SECONDS", p).ok());
  EXPECT_EQ(p.leaf_count(), 3u);
  EXPECT_FALSE(p.single_observation());
  ASSERT_TRUE(compile_pattern_program("[a:x = 1] REPEATS 2 TIMES", p).ok());
  EXPECT_FALSE(p.single_observation()) << "a qualifier makes it a multi-observation pattern";
}

TEST(PatternEvalApi, TestsOneLeafAgainstOneObservation) {
  PatternProgram p;
  ASSERT_TRUE(compile_pattern_program("[a:x = 1] FOLLOWEDBY [b:y = 2]", p).ok());
  ObjectTree t;
  const NodeId o = t.add_object(kNone, {});
  t.add_string(o, "type", "b");
  t.add_integer(o, "y", 2);
  const PoolObject pool[] = {{o, "b--1"}};
  ObservedData d;
  d.objects = pool;
  d.object_count = 1;
  EvalBudget budget;
  bool out = true;
  EXPECT_EQ(p.leaf_matches(0, t, d, out, budget), EvalStatus::no_match);
  EXPECT_FALSE(out);
  EXPECT_EQ(p.leaf_matches(1, t, d, out, budget), EvalStatus::match);
  EXPECT_TRUE(out);
  EXPECT_EQ(p.leaf_matches(2, t, d, out, budget), EvalStatus::error);
}

TEST(PatternEvalApi, EvaluatesAHistoryThroughALeafOracle) {
  PatternProgram p;
  ASSERT_TRUE(compile_pattern_program("([a:x = 1] FOLLOWEDBY [b:y = 2]) WITHIN 60 SECONDS", p).ok());
  struct Table : LeafOracle {
    std::vector<std::vector<bool>> rows;  // [observation][leaf]
    bool satisfies(std::size_t o, std::size_t leaf) const override { return rows[o][leaf]; }
  } table;
  table.rows = {{false, true}, {true, false}, {false, true}};
  const Interval history[] = {{kBase, kBase, 1}, {kBase + 10000000, kBase + 10000000, 1}, {kBase + 100000000, kBase + 100000000, 1}};
  EvalBudget budget;
  EXPECT_EQ(p.evaluate(history, 3, table, budget).status, kNoMatch) << "b at 0 s is before a; b at 100 s is too late";
  table.rows[2] = {false, false};
  table.rows.push_back({false, true});
  const Interval later[] = {history[0], history[1], history[2], {kBase + 50000000, kBase + 50000000, 1}};
  const EvalResult r = p.evaluate(later, 4, table, budget);
  EXPECT_EQ(r.status, kMatch);
  ASSERT_EQ(r.bound_count, 2);
  EXPECT_EQ(r.bound[0], 1u);
  EXPECT_EQ(r.bound[1], 3u);
}

TEST(PatternEvalApi, DoesNotAllocateWhenEvaluatingAWarmTree) {
  PatternProgram single, multi, regex;
  ASSERT_TRUE(compile_pattern_program("[domain-name:value = 'evil.example' OR domain-name:value LIKE '%.evil.%']", single).ok());
  ASSERT_TRUE(compile_pattern_program("([domain-name:value = 'a.example'] FOLLOWEDBY [ipv4-addr:value ISSUBSET "
                                      "'198.51.100.0/24']) WITHIN 300 SECONDS REPEATS 2 TIMES",
                                      multi)
                  .ok());
#if OUTPOST_WITH_RE2
  ASSERT_TRUE(compile_pattern_program("[domain-name:value MATCHES '^[a-z]+\\\\.evil\\\\.']", regex).ok());
#endif
  ObjectTree tree;
  std::vector<PoolObject> pools[4];
  ObservedData data[4];
  auto build = [&] {
    tree.clear();
    for (int i = 0; i < 4; ++i) {
      pools[i].clear();
      const NodeId d = tree.add_object(kNone, {});
      tree.add_string(d, "type", "domain-name");
      tree.add_string(d, "value", i % 2 ? "a.example" : "www.evil.example");
      const NodeId a = tree.add_object(kNone, {});
      tree.add_string(a, "type", "ipv4-addr");
      tree.add_string(a, "value", "198.51.100.7");
      pools[i].push_back(PoolObject{d, "domain-name--1"});
      pools[i].push_back(PoolObject{a, "ipv4-addr--1"});
      data[i].first_observed = data[i].last_observed = kBase + i * 1000000LL;
      data[i].number_observed = 2;
      data[i].objects = pools[i].data();
      data[i].object_count = pools[i].size();
    }
  };
  auto run = [&] {
    EvalBudget budget;
    build();
    EXPECT_EQ(single.evaluate(tree, data, 4, budget).status, kMatch);
    EXPECT_EQ(multi.evaluate(tree, data, 4, budget).status, kMatch);
    if (regex.compiled()) {
      EXPECT_EQ(regex.evaluate(tree, data, 4, budget).status, kMatch);
    }
  };
  run();
  const std::size_t before = test::allocation_count();
  run();
  EXPECT_EQ(test::allocation_count(), before);
}

// --- the corpus patterns ---------------------------------------------------------------------------

TEST(PatternEvalCorpus, CompilesEveryRealBundlePatternAndEveryValidOneWithARealDate) {
  OUTPOST_REQUIRE_CORPUS();
  std::map<std::string, std::size_t> failures;
  std::size_t n = 0;
  for (const char* file : {"stix/patterns/valid.jsonl", "stix/patterns/bundle_indicators.jsonl"}) {
    std::ifstream in(test::corpus_path(file));
    std::string line;
    while (std::getline(in, line)) {
      rapidjson::Document d;
      d.Parse(line.c_str(), line.size());
      ASSERT_FALSE(d.HasParseError());
      const std::string pattern = d["pattern"].GetString();
      const bool v20 = d.HasMember("spec_version") && std::string(d["spec_version"].GetString()) == "2.0";
      ProgramOptions options;
      options.version = v20 ? StixVersion::v20 : StixVersion::v21;
      PatternProgram p;
      const ProgramResult r = compile_pattern_program(pattern, p, options);
      ++n;
      if (r.ok()) continue;
      ++failures[r.message.substr(0, r.message.find(" '"))];
      if (!OUTPOST_WITH_RE2 && r.message.find("MATCHES needs RE2") != std::string::npos) continue;
      // valid.jsonl holds calendar-invalid dates on purpose (the grammar checks digits only);
      // the reference matcher refuses them when it reads the literal, and so does compile().
      EXPECT_NE(r.message.find("invalid timestamp"), std::string::npos) << pattern << ": " << r.message;
    }
  }
  EXPECT_EQ(n, 77u + 8741u);
  for (const auto& [why, count] : failures) std::printf("[ compile  ] %zu refused: %s\n", count, why.c_str());
}

}  // namespace
}  // namespace outpost::rules::stix
