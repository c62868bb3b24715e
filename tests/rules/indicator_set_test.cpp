#include "rules/indicator_set.h"

#include <algorithm>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules/stix/stix_id.h"
#include "rules/time.h"
#include "support/corpus.h"

namespace outpost::rules {
namespace {

struct Match {
  std::string id, term, source;
  int confidence = -1;
  std::vector<std::string> markings;
};

struct Collect : MatchSink {
  std::vector<Match> matches;
  void on_match(const MatchedIndicator& m, const Observation&) override {
    Match x;
    x.id.assign(m.id());
    x.term.assign(m.matched_term);
    x.source = m.source->name;
    x.confidence = m.confidence;
    if (m.marking_refs) x.markings = *m.marking_refs;
    matches.push_back(std::move(x));
  }
};

TimeUs at(const char* rfc3339) {
  TimeUs t = 0;
  EXPECT_TRUE(parse_timestamp(rfc3339, t)) << rfc3339;
  return t;
}

std::vector<Match> match(const IndicatorSet& set, ObservationKind kind, std::string_view value,
                         TimeUs ts = 1700000000000000, std::string_view context = {}) {
  Observation o;
  o.kind = kind;
  o.value = value;
  o.context = context;
  o.ts = ts;
  Collect c;
  set.match(o, c);
  return c.matches;
}

std::unique_ptr<IndicatorSet> from_list(std::string_view text, std::optional<IndicatorType> kind = std::nullopt,
                                        const ListOptions& options = {}) {
  IndicatorSetBuilder b;
  const LoadStatus st = b.add_list_memory("test-list", text, kind, options);
  EXPECT_TRUE(st.ok) << st.message;
  return b.build();
}

std::unique_ptr<IndicatorSet> from_bundle_file(const std::string& rel) {
  IndicatorSetBuilder b;
  const LoadStatus st = b.add_bundle_file(test::data_path(rel));
  EXPECT_TRUE(st.ok) << st.message;
  return b.build();
}

std::string bundle_with(const std::string& objects) {
  return R"({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000", "objects": [)" + objects + "]}";
}

std::string indicator(const std::string& id_suffix, const std::string& modified, const std::string& pattern,
                      const std::string& extra = "") {
  return R"({"type": "indicator", "spec_version": "2.1", "id": "indicator--)" + id_suffix +
         R"(", "created": "2020-01-01T00:00:00Z", "modified": ")" + modified +
         R"(", "valid_from": "2020-01-01T00:00:00Z", "pattern_type": "stix", "pattern": ")" + pattern + "\"" + extra +
         "}";
}

// --- versions, revocation, validity ------------------------------------------------------

TEST(IndicatorVersions, NewestModifiedWins) {
  const auto set = from_bundle_file("rules/versions.json");
  EXPECT_EQ(match(*set, ObservationKind::dns_query, "version-three.example.com").size(), 1u);
  EXPECT_TRUE(match(*set, ObservationKind::dns_query, "version-one.example.com").empty());
  EXPECT_TRUE(match(*set, ObservationKind::dns_query, "version-two.example.com").empty());
  EXPECT_EQ(set->stats().sources.at(0).superseded, 3u);  // two domain versions + the unrevoked IP version
}

TEST(IndicatorVersions, RevokedVersionIsInactive) {
  const auto set = from_bundle_file("rules/versions.json");
  EXPECT_TRUE(match(*set, ObservationKind::dst_ip, "198.51.100.10").empty());
  EXPECT_EQ(set->stats().sources.at(0).revoked, 1u);
}

TEST(IndicatorVersions, EqualModifiedKeepsTheSameVersionWhateverTheOrder) {
  const std::string a = bundle_with(indicator("12121212-1212-4121-8121-121212121212", "2020-05-05T00:00:00Z",
                                              "[domain-name:value = 'tie-a.example']"));
  const std::string b = bundle_with(indicator("12121212-1212-4121-8121-121212121212", "2020-05-05T00:00:00Z",
                                              "[domain-name:value = 'tie-b.example']"));
  auto winner = [&](const std::string& first, const std::string& second) {
    IndicatorSetBuilder builder;
    EXPECT_TRUE(builder.add_bundle_memory("first", first).ok);
    EXPECT_TRUE(builder.add_bundle_memory("second", second).ok);
    const auto set = builder.build();
    const bool has_a = !match(*set, ObservationKind::dns_query, "tie-a.example").empty();
    const bool has_b = !match(*set, ObservationKind::dns_query, "tie-b.example").empty();
    EXPECT_NE(has_a, has_b);
    return has_a ? std::string("a") : std::string("b");
  };
  EXPECT_EQ(winner(a, b), winner(b, a));
}

TEST(IndicatorVersions, VersionsResolveAcrossFiles) {
  IndicatorSetBuilder b;
  ASSERT_TRUE(b.add_bundle_memory("new", bundle_with(indicator("34343434-3434-4343-8343-343434343434", "2022-01-01T00:00:00Z",
                                                                "[domain-name:value = 'newer.example']"))).ok);
  ASSERT_TRUE(b.add_bundle_memory("old", bundle_with(indicator("34343434-3434-4343-8343-343434343434", "2021-01-01T00:00:00Z",
                                                                "[domain-name:value = 'older.example']"))).ok);
  const auto set = b.build();
  EXPECT_EQ(match(*set, ObservationKind::dns_query, "newer.example").size(), 1u);
  EXPECT_TRUE(match(*set, ObservationKind::dns_query, "older.example").empty());
  EXPECT_EQ(set->stats().sources.at(1).superseded, 1u);
  EXPECT_EQ(set->stats().sources.at(0).superseded, 0u);
}

TEST(IndicatorValidity, FollowsTheObservationTimeNotTheClock) {
  const auto set = from_bundle_file("rules/versions.json");
  const char* url = "http://window.example.com/payload.bin";
  EXPECT_TRUE(match(*set, ObservationKind::http_url, url, at("2019-12-31T23:59:59Z")).empty());
  EXPECT_EQ(match(*set, ObservationKind::http_url, url, at("2020-01-01T00:00:00Z")).size(), 1u);
  EXPECT_EQ(match(*set, ObservationKind::http_url, url, at("2020-12-31T23:59:59.999999Z")).size(), 1u);
  EXPECT_TRUE(match(*set, ObservationKind::http_url, url, at("2021-01-01T00:00:00Z")).empty()) << "valid_until is exclusive";
}

TEST(IndicatorValidity, CountsExpiredAtLoadAgainstAGivenReferenceTime) {
  LoadOptions options;
  options.reference_time = at("2022-01-01T00:00:00Z");
  IndicatorSetBuilder kept(options);
  ASSERT_TRUE(kept.add_bundle_file(test::data_path("rules/versions.json")).ok);
  auto set = kept.build();
  EXPECT_EQ(set->stats().sources.at(0).expired_at_load, 1u);
  EXPECT_EQ(match(*set, ObservationKind::http_url, "http://window.example.com/payload.bin", at("2020-06-01T00:00:00Z")).size(),
            1u)
      << "kept for replays of old captures";
  options.drop_expired = true;
  IndicatorSetBuilder dropped(options);
  ASSERT_TRUE(dropped.add_bundle_file(test::data_path("rules/versions.json")).ok);
  set = dropped.build();
  EXPECT_TRUE(match(*set, ObservationKind::http_url, "http://window.example.com/payload.bin", at("2020-06-01T00:00:00Z")).empty());
}

// --- what a match carries -----------------------------------------------------------------

TEST(IndicatorMatch, CarriesIdSourceConfidenceAndMarkings) {
  const auto set = from_bundle_file("rules/versions.json");
  const auto m = match(*set, ObservationKind::http_url, "http://WINDOW.example.com:80/payload.bin", at("2020-06-01T00:00:00Z"));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].id, "indicator--33333333-3333-4333-8333-333333333333");
  EXPECT_EQ(m[0].source, test::data_path("rules/versions.json"));
  EXPECT_EQ(m[0].confidence, 75);
  EXPECT_EQ(m[0].term, "http://window.example.com/payload.bin");
  EXPECT_EQ(m[0].markings, (std::vector<std::string>{"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}));
  const auto* tlp = set->marking_definition("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da");
  ASSERT_NE(tlp, nullptr);
  EXPECT_EQ(tlp->tlp, "green");
}

TEST(IndicatorMatch, DerivesListIdsFromKindAndCanonicalValue) {
  ListOptions options;
  options.confidence = 30;
  const auto set = from_list("EVIL.example\n", std::nullopt, options);
  const auto m = match(*set, ObservationKind::tls_sni, "cdn.evil.example");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].id, outpost_id("indicator", "domain:evil.example"));
  EXPECT_EQ(m[0].term, "evil.example");
  EXPECT_EQ(m[0].confidence, 30);
  EXPECT_EQ(m[0].source, "test-list");
}

TEST(IndicatorMatch, ReportsEachIndicatorOncePerObservation) {
  IndicatorSetBuilder b;
  ASSERT_TRUE(b.add_bundle_memory("nets", bundle_with(indicator("56565656-5656-4565-8565-565656565656", "2020-01-01T00:00:00Z",
                                                                 "[ipv4-addr:value = '10.0.0.0/8' OR ipv4-addr:value = '10.1.0.0/16']"))).ok);
  ASSERT_TRUE(b.add_list_memory("list", "evil.example\n", IndicatorType::domain).ok);
  const auto set = b.build();
  EXPECT_EQ(match(*set, ObservationKind::dst_ip, "10.1.2.3").size(), 1u);
  // A CNAME answer whose owner and target are both below a listed domain.
  EXPECT_EQ(match(*set, ObservationKind::dns_answer, "b.evil.example", 0, "a.evil.example").size(), 1u);
}

TEST(IndicatorMatch, RoutesDnsAnswersByWhatTheValueIs) {
  IndicatorSetBuilder b;
  ASSERT_TRUE(b.add_list_memory("names", "owner.example\ntarget.example\n", IndicatorType::domain).ok);
  ASSERT_TRUE(b.add_list_memory("ips", "192.0.2.0/24\n", IndicatorType::ipv4).ok);
  const auto set = b.build();
  auto terms = [&](std::string_view value, std::string_view context) {
    std::vector<std::string> t;
    for (const auto& m : match(*set, ObservationKind::dns_answer, value, 0, context)) t.push_back(m.term);
    return t;
  };
  EXPECT_EQ(terms("192.0.2.9", "benign.example"), (std::vector<std::string>{"192.0.2.0/24"}));
  EXPECT_EQ(terms("192.0.2.9", "owner.example"), (std::vector<std::string>{"192.0.2.0/24", "owner.example"}));
  EXPECT_EQ(terms("target.example", "benign.example"), (std::vector<std::string>{"target.example"}));
}

TEST(IndicatorMatch, WantsOnlyKindsSomethingCanMatch) {
  const auto set = from_list("ja3:x\n" + std::string(32, 'a') + "\n", IndicatorType::ja3);
  EXPECT_TRUE(set->wants(ObservationKind::ja3));
  EXPECT_FALSE(set->wants(ObservationKind::ja3s));
  EXPECT_FALSE(set->wants(ObservationKind::dns_query));
  EXPECT_FALSE(set->wants(ObservationKind::dst_ip));
  const auto ips = from_list("192.0.2.1\n");
  EXPECT_TRUE(ips->wants(ObservationKind::dst_ip));
  EXPECT_TRUE(ips->wants(ObservationKind::src_ip));
  EXPECT_TRUE(ips->wants(ObservationKind::dns_answer));
  EXPECT_FALSE(ips->wants(ObservationKind::tls_sni));
}

// --- semantics --------------------------------------------------------------------------

TEST(DomainSemantics, StixEqualsMatchesExactlyThatName) {
  const auto set = from_bundle_file("rules/malformed_objects.json");
  EXPECT_EQ(match(*set, ObservationKind::dns_query, "GOOD.example.net.").size(), 1u);
  EXPECT_TRUE(match(*set, ObservationKind::dns_query, "www.good.example.net").empty());
}

TEST(DomainSemantics, ListDomainsMatchSubdomainsUnlessExact) {
  const auto suffix = from_list("evil.example\n", IndicatorType::domain);
  EXPECT_EQ(match(*suffix, ObservationKind::http_host, "a.b.evil.example").size(), 1u);
  EXPECT_EQ(match(*suffix, ObservationKind::http_host, "evil.example").size(), 1u);
  EXPECT_TRUE(match(*suffix, ObservationKind::http_host, "notevil.example").empty());
  EXPECT_TRUE(match(*suffix, ObservationKind::http_host, "example").empty());
  ListOptions exact;
  exact.domain_match = DomainMatch::exact;
  const auto only = from_list("evil.example\n", IndicatorType::domain, exact);
  EXPECT_TRUE(match(*only, ObservationKind::http_host, "a.evil.example").empty());
  EXPECT_EQ(match(*only, ObservationKind::http_host, "evil.example").size(), 1u);
}

TEST(CidrSemantics, NetworksMatchEveryAddressInsideAndHostBitsAreCleared) {
  const auto set = from_list("203.0.113.77/24\n198.51.100.9\n");
  EXPECT_EQ(set->stats().sources.at(0).host_bits_cleared, 1u);
  auto m = match(*set, ObservationKind::dst_ip, "203.0.113.5");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].term, "203.0.113.0/24");
  EXPECT_EQ(m[0].id, outpost_id("indicator", "ipv4:203.0.113.0/24"));
  EXPECT_TRUE(match(*set, ObservationKind::dst_ip, "203.0.114.5").empty());
  EXPECT_EQ(match(*set, ObservationKind::src_ip, "198.51.100.9").size(), 1u);
  EXPECT_TRUE(match(*set, ObservationKind::src_ip, "198.51.100.8").empty());
}

TEST(CidrSemantics, EveryPrefixLengthMatchesExactlyTheAddressesInside) {
  // One network of every length 1..32 (random bits, fixed seed) and random addresses, half
  // drawn inside some network: the set's answer is compared with a direct mask comparison.
  // A /0 would match everything: it is refused, and matches nothing.
  std::uint32_t state = 12345;
  auto next = [&] { return state = state * 1664525u + 1013904223u; };
  auto text = [](std::uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string(a >> 16 & 255) + "." + std::to_string(a >> 8 & 255) + "." +
           std::to_string(a & 255);
  };
  auto mask = [](unsigned len) { return len == 0 ? 0u : ~0u << (32 - len); };
  {
    std::vector<std::pair<std::uint32_t, unsigned>> nets;
    std::string list = "0.0.0.0/0\n";
    for (unsigned len = 1; len <= 32; ++len) {
      const std::uint32_t net = next() & mask(len);
      nets.emplace_back(net, len);
      list += text(net) + "/" + std::to_string(len) + "\n";
    }
    const auto set = from_list(list, IndicatorType::ipv4);
    ASSERT_EQ(set->size(IndicatorType::ipv4), 32u);
    for (int i = 0; i < 4000; ++i) {
      std::uint32_t a = next();
      if (i % 2 == 0) {  // inside one of the networks, keeping its prefix
        const auto& [net, len] = nets[static_cast<std::size_t>(next()) % nets.size()];
        a = net | (a & ~mask(len));
      }
      std::vector<std::string> inside, found;
      for (const auto& [net, len] : nets)
        if ((a & mask(len)) == net) inside.push_back(len == 32 ? text(net) : text(net) + "/" + std::to_string(len));
      for (const auto& m : match(*set, ObservationKind::dst_ip, text(a))) found.push_back(m.term);
      std::sort(inside.begin(), inside.end());
      std::sort(found.begin(), found.end());
      ASSERT_EQ(found, inside) << text(a);
    }
  }
}

TEST(CidrSemantics, StixAddressLiteralsMayBeNetworks) {
  const auto set = from_bundle_file("rules/taxii_envelope.json");
  EXPECT_EQ(match(*set, ObservationKind::dst_ip, "2001:db8:dead:1::5").size(), 1u);
  EXPECT_TRUE(match(*set, ObservationKind::dst_ip, "2001:db8:beef::5").empty());
}

TEST(UrlSemantics, ComparesNormalisedUrls) {
  const auto set = from_list("HTTP://Evil.Example:80/Gate.php?id=1#top\nevil.example:8080/x\n");
  EXPECT_EQ(match(*set, ObservationKind::http_url, "http://evil.example/Gate.php?id=1").size(), 1u);
  EXPECT_TRUE(match(*set, ObservationKind::http_url, "http://evil.example/gate.php?id=1").empty()) << "paths keep case";
  EXPECT_EQ(match(*set, ObservationKind::http_url, "http://EVIL.example:8080/x").size(), 1u);
}

TEST(HashSemantics, HashesMatchWhateverTheirHexCase) {
  const std::string md5 = "D41D8CD98F00B204E9800998ECF8427E";
  const auto set = from_list(md5 + "\n");
  EXPECT_EQ(match(*set, ObservationKind::http_file_md5, "d41d8cd98f00b204e9800998ecf8427e").size(), 1u);
  EXPECT_EQ(match(*set, ObservationKind::http_upload_md5, md5).size(), 1u);
  EXPECT_TRUE(match(*set, ObservationKind::http_file_sha256, md5).empty());
  const auto stix = from_bundle_file("rules/stix20_spec_version_last.json");
  EXPECT_EQ(match(*stix, ObservationKind::http_file_sha256,
                  "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f", at("2019-06-01T00:00:00Z"))
                .size(),
            1u);
  const auto cert = from_bundle_file("rules/taxii_envelope.json");
  EXPECT_EQ(match(*cert, ObservationKind::x509_sha1, "0ddb34f8d8e7a1f5a2a2e22c2c6b0a2c3b8e2f11").size(), 1u);
}

// --- load statistics ------------------------------------------------------------------------

TEST(LoadStatistics, CountEveryIndicatorInOneBucketWithWarnings) {
  const auto set = from_bundle_file("rules/malformed_objects.json");
  const SourceStats& s = set->stats().sources.at(0);
  EXPECT_EQ(s.objects, 13u);
  EXPECT_EQ(s.indicators, 4u);
  EXPECT_EQ(s.loaded, 2u);  // the good one, and [file:name = ...] (evaluated on file observations)
  EXPECT_EQ(s.exact, 1u);
  EXPECT_EQ(s.residual, 1u);
  EXPECT_EQ(s.scan, 1u);
  EXPECT_EQ(s.skipped.get("missing id"), 1u);
  EXPECT_EQ(s.skipped.get("missing pattern"), 1u);
  EXPECT_EQ(s.skipped.get("bad timestamp valid_from"), 1u);
  EXPECT_EQ(s.skipped.get("wrong type pattern"), 1u);
  EXPECT_EQ(s.skipped.get("wrong type confidence"), 1u);
  EXPECT_EQ(s.skipped.get("not an object"), 1u);
  EXPECT_EQ(s.skipped.get("bad id"), 1u);
  EXPECT_EQ(s.skipped.get("pattern syntax error"), 1u);
  EXPECT_EQ(s.unsupported.get("pattern_type sigma"), 1u);
  bool found = false;
  for (const auto& w : set->stats().warnings)
    if (w.find("object 9 (indicator--bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb): syntax error at 41") != std::string::npos) found = true;
  EXPECT_TRUE(found) << "a syntax error warning names file, object index, id and position";
  const std::string json = set->stats().to_json();
  EXPECT_NE(json.find("\"pattern syntax error\":1"), std::string::npos) << json;
  EXPECT_NE(set->stats().to_text().find("unsupported 1: pattern_type sigma"), std::string::npos);
}

TEST(LoadStatistics, ListLinesAreTypedCountedAndWarnedWithLineNumbers) {
  const auto set = from_list("# feed\r\n198.51.100.1\r\n\r\nevil.example # note\r\nnot_a_value\r\n" +
                             std::string(64, 'a') + "\r\n198.51.100.1\r\n");
  const SourceStats& s = set->stats().sources.at(0);
  EXPECT_EQ(s.lines, 7u);
  EXPECT_EQ(s.loaded, 3u);
  EXPECT_EQ(s.duplicates, 1u);
  EXPECT_EQ(s.skipped.get("unrecognised value"), 1u);
  EXPECT_EQ(s.per_type[static_cast<std::size_t>(IndicatorType::sha256)], 1u);
  ASSERT_EQ(set->stats().warnings.size(), 1u);
  EXPECT_EQ(set->stats().warnings[0], "test-list:5: unrecognised value: not_a_value");
}

TEST(LoadStatistics, TypedListsRefuseValuesOfAnotherType) {
  const auto set = from_list("198.51.100.1\nevil.example\n", IndicatorType::ipv4);
  EXPECT_EQ(set->stats().sources.at(0).loaded, 1u);
  EXPECT_EQ(set->stats().sources.at(0).skipped.get("bad address"), 1u);
}

TEST(LoadStatistics, BudgetDropsWhatDoesNotFitAndCountsIt) {
  LoadOptions options;
  options.memory_budget_bytes = 64 * 1024;
  IndicatorSetBuilder b(options);
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "host" + std::to_string(i) + ".budget.example\n";
  ASSERT_TRUE(b.add_list_memory("big", text, IndicatorType::domain).ok);
  const auto set = b.build();
  const SourceStats& s = set->stats().sources.at(0);
  EXPECT_GT(s.budget_dropped, 0u);
  EXPECT_GT(s.loaded, 100u);
  EXPECT_EQ(s.loaded + s.budget_dropped, 20000u);
  EXPECT_EQ(match(*set, ObservationKind::dns_query, "host0.budget.example").size(), 1u);
}

// --- inputs -------------------------------------------------------------------------------

TEST(IndicatorSources, DetectsBundlesAndListsAndKindPrefixes) {
  OUTPOST_REQUIRE_CORPUS();
  IndicatorSetBuilder b;
  EXPECT_TRUE(b.add(test::corpus_path("stix/bundles/oasis-examples/indicator-for-c2-ip-address.json")).ok);
  EXPECT_TRUE(b.add("ja3:" + test::corpus_path("indicators/ja3.txt")).ok);
  EXPECT_TRUE(b.add(test::corpus_path("indicators/ipv6.txt")).ok);
  const auto set = b.build();
  EXPECT_EQ(set->stats().sources.at(0).format, "bundle");
  EXPECT_EQ(set->stats().sources.at(1).format, "list:ja3");
  EXPECT_EQ(set->stats().sources.at(2).format, "list");
  EXPECT_EQ(set->size(IndicatorType::ja3), 98u);
  EXPECT_EQ(set->size(IndicatorType::ipv6), 51u);
  EXPECT_EQ(match(*set, ObservationKind::dst_ip, "10.0.0.0").size(), 1u);
}

TEST(IndicatorSources, FailsAWholeInputThatIsNotJsonNamingIt) {
  OUTPOST_REQUIRE_CORPUS();
  IndicatorSetBuilder b;
  const std::string path = test::corpus_path("stix/bundles/validator-examples/invalid_comma.json");
  const LoadStatus st = b.add(path);
  EXPECT_FALSE(st.ok);
  EXPECT_EQ(st.message.find(path + ": byte "), 0u) << st.message;
  EXPECT_FALSE(b.add("/nonexistent/outpost-feed.json").ok);
}

TEST(IndicatorSources, LoadsAllCorpusBundlesTogether) {
  OUTPOST_REQUIRE_CORPUS();
  IndicatorSetBuilder b;
  std::size_t files = 0;
  for (const char* dir : {"oasis-examples", "oasis-examples/threat-reports", "unit42"}) {
    const std::string d = test::corpus_path(std::string("stix/bundles/") + dir);
    const std::string cmd = "ls '" + d + "'";
    FILE* ls = popen(cmd.c_str(), "r");
    char name[512];
    while (ls && std::fgets(name, sizeof name, ls)) {
      std::string n(name);
      n.pop_back();
      if (n.size() < 5 || n.compare(n.size() - 5, 5, ".json") != 0) continue;
      const LoadStatus st = b.add_bundle_file(d + "/" + n);
      EXPECT_TRUE(st.ok) << st.message;
      ++files;
    }
    if (ls) pclose(ls);
  }
  const auto set = b.build();
  EXPECT_EQ(files, 63u);
  std::uint64_t loaded = 0, indicators = 0;
  for (const auto& s : set->stats().sources) {
    loaded += s.loaded;
    indicators += s.indicators;
  }
  std::printf("[ bundles  ] %zu files: %llu indicators read, %llu loaded, %zu set entries, %zu bytes\n", files,
              static_cast<unsigned long long>(indicators), static_cast<unsigned long long>(loaded), set->size(),
              set->memory_bytes());
  EXPECT_GT(loaded, indicators * 7 / 10);  // the rest: process, file:name, registry... (unsupported)
}

}  // namespace
}  // namespace outpost::rules
