// Patterns the set entries cannot decide alone, matched end to end through IndicatorSet:
// prefiltered residuals, scanned patterns, certificate and file facts, custom properties,
// and multi-observation patterns over a device's history (rules/observed_objects.h,
// rules/stix/pattern_compile.h, rules/match_context.h).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules/indicator_set.h"
#include "rules/set_file.h"
#include "rules/time.h"

namespace outpost::rules {
namespace {

constexpr TimeUs kT0 = 1700000000000000;
constexpr TimeUs kSecond = 1000000;

std::string bundle_of(const std::vector<std::string>& patterns) {
  std::string objects;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    char id[64];
    std::snprintf(id, sizeof id, "indicator--%08zu-0000-4000-8000-000000000000", i + 1);
    std::string escaped;
    for (char c : patterns[i]) {
      if (c == '\\' || c == '"') escaped += '\\';
      escaped += c;
    }
    if (i) objects += ",";
    objects += std::string(R"({"type":"indicator","spec_version":"2.1","id":")") + id +
               R"(","created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z",)"
               R"("valid_from":"2020-01-01T00:00:00Z","pattern_type":"stix","pattern":")" + escaped + "\"}";
  }
  return R"({"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000000","objects":[)" + objects + "]}";
}

std::unique_ptr<IndicatorSet> set_of(const std::vector<std::string>& patterns) {
  IndicatorSetBuilder b;
  const LoadStatus st = b.add_bundle_memory("residual.json", bundle_of(patterns));
  EXPECT_TRUE(st.ok) << st.message;
  auto set = b.build();
  for (const auto& w : set->stats().warnings) ADD_FAILURE() << w;
  return set;
}

IpAddress ip(const char* t) {
  IpAddress a;
  EXPECT_TRUE(parse_ip(t, a)) << t;
  return a;
}

// An outbound flow from a LAN device to `remote`:`port`.
Observation flow_observation(ObservationKind kind, std::string_view value, const char* remote, std::uint16_t port,
                             TimeUs ts = kT0, std::uint8_t device = 1) {
  Observation o;
  o.kind = kind;
  o.value = value;
  o.ts = ts;
  o.flow = 7;
  o.l4_proto = 6;
  o.app_proto = "TLS.Google";
  o.direction = Direction::outbound;
  o.local = ip("192.168.1.10");
  o.remote = ip(remote);
  o.local_port = 50000;
  o.remote_port = port;
  o.device.kind = Device::Kind::mac;
  o.device.mac[5] = device;
  return o;
}

std::vector<std::string> ids(const IndicatorSet& set, const Observation& o, MatchContext* ctx = nullptr) {
  struct Sink : MatchSink {
    std::vector<std::string> ids;
    void on_match(const MatchedIndicator& m, const Observation&) override { ids.emplace_back(m.id()); }
  } sink;
  set.match(o, sink, ctx);
  return sink.ids;
}

const std::string kId1 = "indicator--00000001-0000-4000-8000-000000000000";
const std::string kId2 = "indicator--00000002-0000-4000-8000-000000000000";

TEST(ResidualMatching, AnAddressTermLeadsToTheFlowsPortCheck) {
  const auto set = set_of({"[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]"});
  EXPECT_EQ(set->stats().sources[0].residual, 1u);
  Observation o = flow_observation(ObservationKind::dst_ip, "198.51.100.7", "198.51.100.7", 443);
  o.address = ip("198.51.100.7");
  EXPECT_EQ(ids(*set, o), std::vector<std::string>{kId1});
  Observation other_port = flow_observation(ObservationKind::dst_ip, "198.51.100.7", "198.51.100.7", 80);
  EXPECT_TRUE(ids(*set, other_port).empty());
  // The address seen as the source of the reply packets is still the flow's destination.
  Observation reply = flow_observation(ObservationKind::src_ip, "198.51.100.7", "198.51.100.7", 443);
  EXPECT_EQ(ids(*set, reply), std::vector<std::string>{kId1});
}

TEST(ResidualMatching, ScannedPatternsAreEvaluatedOnTheKindsThatCarryTheirObjects) {
  const auto set = set_of({"[domain-name:value LIKE '%.evil.example']", "[ipv4-addr:value ISSUBSET '203.0.113.0/24']"});
  EXPECT_EQ(set->stats().sources[0].scan, 2u);
  EXPECT_TRUE(set->wants(ObservationKind::dns_query));
  EXPECT_EQ(ids(*set, flow_observation(ObservationKind::dns_query, "a.b.evil.example", "192.0.2.53", 53)),
            std::vector<std::string>{kId1});
  EXPECT_TRUE(ids(*set, flow_observation(ObservationKind::dns_query, "evil.example.org", "192.0.2.53", 53)).empty());
  EXPECT_EQ(ids(*set, flow_observation(ObservationKind::dst_ip, "203.0.113.77", "203.0.113.77", 443)),
            std::vector<std::string>{kId2});
  EXPECT_TRUE(ids(*set, flow_observation(ObservationKind::dst_ip, "203.0.114.1", "203.0.114.1", 443)).empty());
}

TEST(ResidualMatching, CertificateFactsMatchSubjectSerialAndValidity) {
  const std::string sha1 = "1ae7556dfacd47d9efbe79be974661a5a6d6d923";
  const auto set = set_of(
      {"[x509-certificate:is_self_signed = false AND x509-certificate:subject = 'CN=Hermetica Digital Ltd,O=Hermetica "
       "Digital Ltd,C=CY,L=Nicosia' AND x509-certificate:serial_number = '0C:48:73:28' AND "
       "x509-certificate:hashes.'SHA-1' = '1AE7556DFACD47D9EFBE79BE974661A5A6D6D923' AND "
       "x509-certificate:validity_not_before = '2021-04-12T19:00:00Z']",
       "[x509-certificate:issuer = '/C=US/O=Evil CA/CN=Evil Root']"});
  CertificateFacts facts;
  facts.subject = "CN=Hermetica Digital Ltd,O=Hermetica Digital Ltd,C=CY,L=Nicosia";
  facts.issuer = "CN=Evil Root,O=Evil CA,C=US";
  facts.serial_number = "0c:48:73:28";
  facts.self_signed = 0;
  ASSERT_TRUE(parse_timestamp("2021-04-12T19:00:00Z", facts.not_before));
  Observation o = flow_observation(ObservationKind::x509_sha1, sha1, "198.51.100.9", 443);
  o.certificate = &facts;
  auto got = ids(*set, o);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{kId1, kId2}));
  facts.serial_number = "0c:48:73:29";
  EXPECT_EQ(ids(*set, o), std::vector<std::string>{kId2});
  o.certificate = nullptr;  // the hash alone is not the whole first pattern
  EXPECT_TRUE(ids(*set, o).empty());
}

TEST(ResidualMatching, FileFactsMatchNameAndSizeOfADownload) {
  const std::string sha = std::string(64, 'e'), md5 = std::string(32, 'd');
  const auto set = set_of({"[file:name = 'invoice.exe' AND file:size > 1000]",
                           "[file:hashes.MD5 = '" + std::string(32, 'd') + "' AND file:mime_type = 'application/x-msdownload']"});
  FileFacts f;
  f.sha256 = sha;
  f.md5 = md5;
  f.name = "invoice.exe";
  f.size = 56320;
  f.mime_type = "application/x-msdownload";
  Observation o = flow_observation(ObservationKind::http_file_sha256, sha, "198.51.100.9", 80);
  o.file = &f;
  auto got = ids(*set, o);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, std::vector<std::string>{kId1});  // the MD5 entry is probed by the md5 observation
  Observation by_md5 = flow_observation(ObservationKind::http_file_md5, f.md5, "198.51.100.9", 80);
  by_md5.file = &f;
  got = ids(*set, by_md5);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{kId1, kId2}));
  f.size = 10;
  EXPECT_EQ(ids(*set, by_md5), std::vector<std::string>{kId2});
}

TEST(ResidualMatching, Ja3AndUserAgentAreFlowProperties) {
  const std::string ja3 = "e7d705a3286e19ea42f587b344ee6865";
  const auto set = set_of({"[network-traffic:x_ja3 = '" + ja3 + "' AND network-traffic:dst_port = 8443]",
                           "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' LIKE 'curl/%']"});
  EXPECT_EQ(ids(*set, flow_observation(ObservationKind::ja3, ja3, "198.51.100.9", 8443)), std::vector<std::string>{kId1});
  EXPECT_TRUE(ids(*set, flow_observation(ObservationKind::ja3, ja3, "198.51.100.9", 443)).empty());
  EXPECT_EQ(ids(*set, flow_observation(ObservationKind::http_user_agent, "curl/8.1", "198.51.100.9", 80)),
            std::vector<std::string>{kId2});
}

TEST(ResidualMatching, ObservationOperatorsAreEvaluatedOverOneDevicesHistory) {
  const auto set = set_of(
      // (Qualifiers bind to the [ ] before them, STIX 2.1 §9.5: the parentheses make WITHIN
      // apply to the sequence.)
      {"([domain-name:value = 'stage1.example'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.7']) WITHIN 60 SECONDS",
       "[url:value = 'http://beacon.example/p'] REPEATS 3 TIMES"});
  EXPECT_EQ(set->stats().sources[0].multi_observation, 2u);
  MatchContext ctx;
  auto dns = [&](TimeUs ts, std::uint8_t dev) {
    return flow_observation(ObservationKind::dns_query, "stage1.example", "192.0.2.53", 53, ts, dev);
  };
  auto conn = [&](TimeUs ts, std::uint8_t dev) {
    Observation o = flow_observation(ObservationKind::dst_ip, "198.51.100.7", "198.51.100.7", 443, ts, dev);
    o.address = ip("198.51.100.7");
    return o;
  };
  EXPECT_TRUE(ids(*set, dns(kT0, 1), &ctx).empty());
  EXPECT_TRUE(ids(*set, conn(kT0 + 10 * kSecond, 2), &ctx).empty());  // another device
  EXPECT_EQ(ids(*set, conn(kT0 + 10 * kSecond, 1), &ctx), std::vector<std::string>{kId1});
  // Outside the 60 s window, and in the wrong order, nothing.
  EXPECT_TRUE(ids(*set, dns(kT0 + 1000 * kSecond, 3), &ctx).empty());
  EXPECT_TRUE(ids(*set, conn(kT0 + 1100 * kSecond, 3), &ctx).empty());
  EXPECT_TRUE(ids(*set, conn(kT0 + 2000 * kSecond, 4), &ctx).empty());
  EXPECT_TRUE(ids(*set, dns(kT0 + 2001 * kSecond, 4), &ctx).empty());
  // REPEATS 3: the third observation matches.
  auto url = [&](TimeUs ts) { return flow_observation(ObservationKind::http_url, "http://beacon.example/p", "198.51.100.8", 80, ts, 5); };
  EXPECT_TRUE(ids(*set, url(kT0), &ctx).empty());
  EXPECT_TRUE(ids(*set, url(kT0 + kSecond), &ctx).empty());
  EXPECT_EQ(ids(*set, url(kT0 + 2 * kSecond), &ctx), std::vector<std::string>{kId2});
  // Without a context there is no history: multi-observation patterns never match.
  EXPECT_TRUE(ids(*set, url(kT0 + 3 * kSecond)).empty());
  EXPECT_GT(ctx.stats().history_records, 5u);
  EXPECT_GT(ctx.stats().residual_matches, 1u);
}

TEST(ResidualMatching, TheHistoryIsBoundedAndEvictsTheLeastRecentlyUsedKey) {
  MatchContext ctx(2, 3);
  std::uint8_t a[16] = {1}, b[16] = {2}, c[16] = {3};
  Device d;
  std::size_t n = 0;
  for (int i = 0; i < 5; ++i) ctx.record(a, d, kT0 + i, 1, n);
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(ctx.stats().history_entry_drops, 2u);
  ctx.record(b, d, kT0, 1, n);
  ctx.record(a, d, kT0 + 9, 1, n);  // a is now the most recent
  ctx.record(c, d, kT0, 1, n);      // evicts b
  EXPECT_EQ(ctx.stats().history_key_evictions, 1u);
  ctx.record(a, d, kT0 + 10, 1, n);
  EXPECT_EQ(n, 3u);  // a kept its history
}

TEST(ResidualMatching, ResidualsAndScanListsSurviveACompiledSetFile) {
  const auto built = set_of({"[domain-name:value LIKE '%.evil.example']",
                             "[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]"});
  const std::string bytes = SetFile::serialise(*built);
  auto keep = std::make_shared<std::string>(bytes);
  LoadStatus st;
  auto loaded = SetFile::load_image("r.set", reinterpret_cast<const std::uint8_t*>(keep->data()), keep->size(), keep, st);
  ASSERT_TRUE(loaded) << st.message;
  EXPECT_EQ(ids(*loaded, flow_observation(ObservationKind::dns_query, "x.evil.example", "192.0.2.53", 53)),
            std::vector<std::string>{kId1});
  EXPECT_EQ(ids(*loaded, flow_observation(ObservationKind::dst_ip, "198.51.100.7", "198.51.100.7", 443)),
            std::vector<std::string>{kId2});
  EXPECT_EQ(loaded->stats().sources[0].scan, 1u);
}

}  // namespace
}  // namespace outpost::rules
