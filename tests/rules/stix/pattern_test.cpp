#include "rules/rapidjson.h"  // first: see the header
#include "rules/stix/pattern.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "rules/observed_objects.h"
#include "rules/stix/pattern_compile.h"
#include "support/corpus.h"

namespace outpost::rules::stix {
namespace {

struct Row {
  std::string pattern;
  std::string spec_version;
};

std::vector<Row> read_patterns(const std::string& rel) {
  std::vector<Row> rows;
  std::ifstream in(test::corpus_path(rel));
  std::string line;
  while (std::getline(in, line)) {
    rapidjson::Document d;
    d.Parse(line.c_str(), line.size());
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("pattern")) continue;
    Row r;
    r.pattern = d["pattern"].GetString();
    if (d.HasMember("spec_version")) r.spec_version = d["spec_version"].GetString();
    rows.push_back(std::move(r));
  }
  return rows;
}

TEST(PatternParser, AcceptsEveryPatternTheReferenceValidatorAccepts) {
  OUTPOST_REQUIRE_CORPUS();
  const auto rows = read_patterns("stix/patterns/valid.jsonl");
  ASSERT_EQ(rows.size(), 77u);
  for (const auto& r : rows) {
    Pattern p;
    PatternError e;
    EXPECT_TRUE(parse_pattern(r.pattern, p, e)) << r.pattern << "\n  at " << e.position << ": " << e.message;
  }
}

TEST(PatternParser, RejectsEveryPatternTheReferenceValidatorRejects) {
  OUTPOST_REQUIRE_CORPUS();
  const auto rows = read_patterns("stix/patterns/invalid.jsonl");
  ASSERT_EQ(rows.size(), 27u);
  for (const auto& r : rows) {
    // The validator also checks hash values against their algorithm: that is `invalid` in
    // compilation, never `compiled`.
    const CompiledPattern c = compile_pattern(r.pattern);
    EXPECT_TRUE(c.status == CompileStatus::syntax_error || c.status == CompileStatus::invalid)
        << r.pattern << " -> " << compile_status_name(c.status);
  }
}

TEST(PatternParser, NamesThePositionOfASyntaxError) {
  Pattern p;
  PatternError e;
  EXPECT_FALSE(parse_pattern("[file:size = ]", p, e));
  EXPECT_EQ(e.position, 13u);
  EXPECT_NE(e.message.find("literal"), std::string::npos) << e.message;
  EXPECT_FALSE(parse_pattern("[domain-name:value = 'a.com'", p, e));
  EXPECT_EQ(e.position, 28u);
  const CompiledPattern c = compile_pattern("file:size = 1280");
  EXPECT_EQ(c.status, CompileStatus::syntax_error);
  EXPECT_EQ(c.position, 0u);
  EXPECT_NE(c.reason.find("at 0"), std::string::npos) << c.reason;
}

TEST(PatternParser, BuildsTheTreeWithQualifiersAndPaths) {
  Pattern p;
  PatternError e;
  ASSERT_TRUE(parse_pattern("([a:b = 1] AND [c:'d-e'.f[*] IN ('x', 'y')]) WITHIN 5 SECONDS FOLLOWEDBY [g:h NOT LIKE 'z']",
                            p, e))
      << e.message;
  const PatternNode& root = p.nodes[p.root];
  EXPECT_EQ(root.kind, NodeKind::followed_by);
  EXPECT_EQ(p.nodes[root.lhs].kind, NodeKind::within);
  EXPECT_EQ(p.nodes[p.nodes[root.lhs].lhs].kind, NodeKind::observation_and);
  ASSERT_EQ(p.paths.size(), 3u);
  EXPECT_EQ(p.paths[1].text(), "c:'d-e'.f[*]");
  const PatternNode& last = p.nodes[p.nodes[root.rhs].lhs];
  EXPECT_EQ(last.op, PatternOp::like);
  EXPECT_TRUE(last.negated);
}

TEST(PatternParser, KeepsWhetherStartStopWasWrittenWithTimestampsOrPlainStrings) {
  Pattern p;
  PatternError e;
  ASSERT_TRUE(parse_pattern("[a:b = 1] START t'2016-06-01T01:30:00Z' STOP t'2016-06-01T02:20:00Z'", p, e)) << e.message;
  const PatternNode& q = p.nodes[p.root];
  ASSERT_EQ(q.kind, NodeKind::start_stop);
  EXPECT_EQ(p.literals[q.first].kind, LiteralKind::timestamp);
  EXPECT_EQ(p.literals[q.first + 1].text, "2016-06-01T02:20:00Z");
  // The STIX 2.0 spelling: the evaluator needs to know it was a plain string.
  ASSERT_TRUE(parse_pattern("[a:b = 1] START '2016-06-01T01:30:00Z' STOP '2016-06-01T02:20:00Z'", p, e)) << e.message;
  EXPECT_EQ(p.literals[p.nodes[p.root].first].kind, LiteralKind::string);
  EXPECT_EQ(p.literals[p.nodes[p.root].first + 1].kind, LiteralKind::string);
}

TEST(PatternParser, AcceptsTheSameQualifierTwiceOnABracketOnlyWhenNotRejectingRepeatedQualifiers) {
  const std::string twice = "[a:b = 1] REPEATS 2 TIMES REPEATS 3 TIMES";
  Pattern p;
  PatternError e;
  EXPECT_FALSE(parse_pattern(twice, p, e));  // the validator's rule
  EXPECT_EQ(e.message, "duplicate qualifier");
  PatternLimits lax;
  lax.reject_repeated_qualifiers = false;  // the grammar's (and the reference matcher's) rule
  ASSERT_TRUE(parse_pattern(twice, p, e, lax)) << e.message;
  EXPECT_EQ(p.nodes[p.root].kind, NodeKind::repeats);
  EXPECT_EQ(p.nodes[p.nodes[p.root].lhs].kind, NodeKind::repeats);
  EXPECT_TRUE(parse_pattern("([a:b = 1] REPEATS 2 TIMES) REPEATS 3 TIMES", p, e)) << e.message;
}

TEST(PatternParser, QuotesPathKeysThatWouldLexAsKeywords) {
  Pattern p;
  PatternError e;
  ASSERT_TRUE(parse_pattern("[x-y:'AND'.'true'.plain.'has space'[0] = 1]", p, e)) << e.message;
  const std::string text = p.paths[0].text();
  EXPECT_EQ(text, "x-y:'AND'.'true'.plain.'has space'[0]");
  EXPECT_TRUE(parse_pattern("[" + text + " = 1]", p, e)) << e.message;
}

TEST(PatternParser, BoundsNestingDepth) {
  std::string deep(200, '(');
  deep += "[a:b = 1]";
  deep += std::string(200, ')');
  Pattern p;
  PatternError e;
  EXPECT_FALSE(parse_pattern(deep, p, e));
  EXPECT_NE(e.message.find("deeper"), std::string::npos) << e.message;
}

TEST(PatternCompiler, CompilesComparisonsAndOrsOfSupportedProperties) {
  const CompiledPattern c = compile_pattern(
      "[domain-name:value = 'Evil.COM' OR url:value = 'HTTP://evil.com:80/a'] OR "
      "[ipv4-addr:value IN ('198.51.100.7', '203.0.113.9/24')] OR [file:hashes.'SHA-256' = '" +
      std::string(64, 'A') + "']");
  ASSERT_EQ(c.status, CompileStatus::compiled) << c.reason;
  ASSERT_EQ(c.terms.size(), 5u);
  EXPECT_EQ(c.terms[0].value, "evil.com");
  EXPECT_EQ(c.terms[1].value, "http://evil.com/a");
  EXPECT_EQ(c.terms[3].value, "203.0.113.0/24");
  EXPECT_TRUE(c.host_bits_cleared);
  EXPECT_EQ(c.terms[4].type, IndicatorType::sha256);
}

TEST(PatternCompiler, AcceptsTheHashSpellingsFeedsUse) {
  const std::string md5(32, 'a'), sha1(40, 'b'), sha256(64, 'c');
  for (const auto& [pattern, type] : std::vector<std::pair<std::string, IndicatorType>>{
           {"[file:hashes.MD5 = '" + md5 + "']", IndicatorType::md5},
           {"[file:hashes.md5 = '" + md5 + "']", IndicatorType::md5},
           {"[file:hashes.SHA1 = '" + sha1 + "']", IndicatorType::sha1},
           {"[file:hashes.'SHA-1' = '" + sha1 + "']", IndicatorType::sha1},
           {"[file:hashes.SHA256 = '" + sha256 + "']", IndicatorType::sha256},
           {"[x509-certificate:hashes.'SHA-1' = '" + sha1 + "']", IndicatorType::x509_sha1},
       }) {
    const CompiledPattern c = compile_pattern(pattern);
    ASSERT_EQ(c.status, CompileStatus::compiled) << pattern << ": " << c.reason;
    EXPECT_EQ(c.terms.at(0).type, type) << pattern;
  }
}

TEST(PatternCompiler, EvaluatesWhatSetEntriesCannotDecideBehindItsMostSelectiveTerm) {
  struct Case {
    std::string pattern;
    std::vector<std::string> terms;  // prefilter terms
    std::uint32_t scan;              // kinds scanned
    bool multi;
  };
  const std::string sha(64, 'a');
  const std::vector<Case> cases = {
      // AND: the more selective side is the prefilter (a hash beats an address).
      {"[file:hashes.'SHA-256' = '" + sha + "' AND file:size > 100]", {sha}, 0, false},
      {"[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]", {"198.51.100.7"}, 0, false},
      // No = / IN on a set type: scanned on the kinds that carry the objects.
      {"[domain-name:value LIKE '%.evil.example']", {}, kind_bit(ObservationKind::dns_query), false},
      {"[file:name = 'invoice.exe']", {}, kind_bit(ObservationKind::http_file_sha256), false},
      {"[network-traffic:dst_port = 4444]", {}, kind_bit(ObservationKind::ip_port), false},
      {"[domain-name:value NOT = 'a.example']", {}, kind_bit(ObservationKind::tls_sni), false},
      // Observation operators and qualifiers: a device's history.
      {"[domain-name:value = 'a.example'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.7'] WITHIN 60 SECONDS",
       {"a.example", "198.51.100.7"}, 0, true},
      {"[url:value = 'http://a.example/x'] REPEATS 3 TIMES", {"http://a.example/x"}, 0, true},
  };
  for (const Case& k : cases) {
    const CompiledPattern c = compile_pattern(k.pattern);
    ASSERT_EQ(c.status, CompileStatus::compiled) << k.pattern << ": " << c.reason;
    EXPECT_FALSE(c.residual.empty()) << k.pattern;
    std::vector<std::string> terms;
    for (const auto& t : c.terms) terms.push_back(t.value);
    EXPECT_EQ(terms, k.terms) << k.pattern;
    EXPECT_EQ(c.scan_kinds & k.scan, k.scan) << k.pattern;
    EXPECT_EQ(c.scan_kinds != 0, k.scan != 0) << k.pattern;
    EXPECT_EQ(c.multi_observation, k.multi) << k.pattern;
  }
}

TEST(PatternCompiler, FoldsComparisonsNoNetworkObservationCanMatch) {
  const CompiledPattern none = compile_pattern("[process:name = 'evil.exe' AND process:pid = 4]");
  EXPECT_EQ(none.status, CompileStatus::out_of_scope);
  EXPECT_TRUE(none.terms.empty());
  // An OR keeps its observable side, exact again; an AND with an unobservable side is false.
  const CompiledPattern part =
      compile_pattern("[file:hashes.MD5 = '" + std::string(32, 'a') + "' OR windows-registry-key:key = 'HKLM\\\\x']");
  ASSERT_EQ(part.status, CompileStatus::compiled) << part.reason;
  EXPECT_TRUE(part.exact());
  EXPECT_TRUE(part.partly_out_of_scope);
  EXPECT_EQ(compile_pattern("[domain-name:value = 'a.example'] AND [process:name = 'x']").status,
            CompileStatus::out_of_scope);
  // One [ ] is about one object: an AND across two object types can never match.
  EXPECT_EQ(compile_pattern("[domain-name:value = 'a.example' AND url:value = 'http://a.example/']").status,
            CompileStatus::out_of_scope);
}

TEST(PatternCompiler, CanonicalisesHashKeysSerialsAndCertificateNames) {
  const CompiledPattern c = compile_pattern(
      "[x509-certificate:subject = '/C=US/O=Example Inc/CN=x.example' AND x509-certificate:serial_number = '0C:AB:01' "
      "AND x509-certificate:hashes.sha256 = '" + std::string(64, 'A') + "']");
  ASSERT_EQ(c.status, CompileStatus::compiled) << c.reason;
  EXPECT_NE(c.residual.find("subject = 'CN=x.example,O=Example Inc,C=US'"), std::string::npos) << c.residual;
  EXPECT_NE(c.residual.find("serial_number = '0c:ab:01'"), std::string::npos) << c.residual;
  EXPECT_NE(c.residual.find("hashes.'SHA-256' = '" + std::string(64, 'a') + "'"), std::string::npos) << c.residual;
}

TEST(PatternCompiler, RefusesPatternsTheEvaluatorCannotRun) {
  EXPECT_EQ(compile_pattern("[domain-name:value = 'a.example'] REPEATS 0 TIMES").status, CompileStatus::invalid);
  EXPECT_EQ(compile_pattern("[domain-name:value = 'a.example'] REPEATS 100 TIMES").status, CompileStatus::unsupported);
}

TEST(PatternCompiler, RefusesInvalidLiteralsOfSupportedProperties) {
  for (const char* p : {"[file:hashes.'SHA-256' = 'f00']", "[ipv4-addr:value = '2001:db8::1']",
                        "[domain-name:value = 'not a name']", "[ipv4-addr:value = 5]", "[url:value IN ()]"}) {
    const CompiledPattern c = compile_pattern(p);
    EXPECT_EQ(c.status, CompileStatus::invalid) << p << ": " << c.reason;
  }
}

// Every real pattern (Unit 42 playbooks in STIX 2.0, OASIS examples in 2.1) is one of: exact
// set entries, a residual (behind a prefilter term, scanned, or over a device's history), out
// of scope for a network sensor, or refused with a reason. The shares are in rules/README.md.
TEST(PatternCompiler, SortsEveryRealBundlePatternIntoHowItIsMatched) {
  OUTPOST_REQUIRE_CORPUS();
  const auto rows = read_patterns("stix/patterns/bundle_indicators.jsonl");
  ASSERT_EQ(rows.size(), 8741u);
  std::size_t exact = 0, residual = 0, scan = 0, multi = 0, partly = 0, out_of_scope = 0, parsed = 0;
  std::map<std::string, std::size_t> refused;
  for (const auto& r : rows) {
    Pattern p;
    PatternError e;
    if (parse_pattern(r.pattern, p, e)) ++parsed;
    CompileOptions o;
    o.stix_version = r.spec_version == "2.0" ? StixVersion::v20 : StixVersion::v21;
    const CompiledPattern c = compile_pattern(r.pattern, o);
    switch (c.status) {
      case CompileStatus::compiled:
        ++(c.exact() ? exact : residual);
        scan += c.scan_kinds != 0;
        multi += c.multi_observation;
        partly += c.partly_out_of_scope;
        break;
      case CompileStatus::out_of_scope: ++out_of_scope; break;
      default: ++refused[std::string(compile_status_name(c.status)) + ": " + c.reason.substr(0, 50)];
    }
  }
  std::size_t refused_total = 0;
  for (const auto& [reason, n] : refused) {
    refused_total += n;
    std::printf("[ patterns ]   refused %4zu %s\n", n, reason.c_str());
  }
  std::printf("[ patterns ] %zu real patterns, %zu parse: exact %zu, residual %zu (scanned %zu, multi-observation %zu), "
              "with a part out of scope %zu, out of scope %zu, refused %zu\n",
              rows.size(), parsed, exact, residual, scan, multi, partly, out_of_scope, refused_total);
  EXPECT_EQ(parsed, rows.size());  // every one passed the reference validator
  EXPECT_EQ(exact + residual + out_of_scope + refused_total, rows.size());
  // The only refusals: literals that are no value at all (a shell command as a URL).
  EXPECT_LT(refused_total, 5u);
  EXPECT_GT(exact, 7000u);
  EXPECT_GT(out_of_scope, 300u);  // process, registry and mutex patterns
}

}  // namespace
}  // namespace outpost::rules::stix
