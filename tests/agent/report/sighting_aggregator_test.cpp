#include "agent/report/sighting_aggregator.h"
#include "agent/report/stix_bundle_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include "tests/agent/report/report_test_support.h"

namespace outpost::agent {
namespace {

using rules::ObservationKind;
using namespace outpost::test::report;

const Sighting* find_sighting(const ClosedWindow& w, const std::string& indicator,
                              std::uint8_t mac_last) {
  for (const Sighting& s : w.sightings)
    if (s.indicator_id == indicator && s.device.mac[5] == mac_last) return &s;
  return nullptr;
}

bool has_observable(const Sighting& s, ObservableType type, std::string_view value = {}) {
  return std::any_of(s.observables.begin(), s.observables.end(), [&](const Observable& o) {
    if (o.type != type) return false;
    if (value.empty()) return true;
    if (type == ObservableType::ipv4_addr || type == ObservableType::ipv6_addr)
      return observable_address(o) == value;
    return o.value == value;
  });
}

// --- aggregation per (indicator, device, window) -----------------------------------------

TEST(SightingAggregation, CountsFirstAndLastSeenPerIndicatorDeviceAndWindow) {
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  TestIndicator a, b;
  b.id = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
  const rules::TimeUs t0 = at("2019-09-27T08:05:00Z");

  agg.on_match(a.view(), observation(ObservationKind::dst_ip, "67.215.92.210", t0 + 3 * kSecond));
  agg.on_match(a.view(), observation(ObservationKind::dst_ip, "67.215.92.210", t0));  // earlier
  agg.on_match(a.view(), observation(ObservationKind::dst_ip, "67.215.92.210", t0 + 40 * kMinute));
  auto other_device = observation(ObservationKind::dst_ip, "67.215.92.210", t0 + kMinute);
  other_device.device = mac_device(0x66);
  agg.on_match(a.view(), other_device);
  agg.on_match(b.view(), observation(ObservationKind::dst_ip, "67.215.92.210", t0 + 2 * kMinute));
  EXPECT_EQ(agg.open_sightings(), 3u);
  agg.flush();

  ASSERT_EQ(out.closed.size(), 1u);
  const ClosedWindow& w = out.closed[0];
  EXPECT_EQ(w.start, at("2019-09-27T08:00:00Z"));
  EXPECT_EQ(w.end, at("2019-09-27T09:00:00Z"));
  ASSERT_EQ(w.sightings.size(), 3u);
  const Sighting* s = find_sighting(w, a.id, 0x55);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->count, 3u);
  EXPECT_EQ(s->first_seen, t0);
  EXPECT_EQ(s->last_seen, t0 + 40 * kMinute);
  ASSERT_NE(find_sighting(w, a.id, 0x66), nullptr);
  EXPECT_EQ(find_sighting(w, a.id, 0x66)->count, 1u);
  ASSERT_NE(find_sighting(w, b.id, 0x55), nullptr);
  EXPECT_EQ(find_sighting(w, b.id, 0x55)->first_seen, t0 + 2 * kMinute);
  EXPECT_EQ(agg.counters().matches, 5u);
  EXPECT_EQ(agg.counters().sightings_opened, 3u);
  EXPECT_EQ(agg.counters().sightings_closed, 3u);
  EXPECT_EQ(agg.open_sightings(), 0u);
}

TEST(SightingAggregation, CopiesTheTransientObservationAndIndicatorStrings) {
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  std::string name = "evil.example.com";
  TestIndicator ind;
  ind.term = "evil.example.com";
  ind.markings = {kTlp2Red};
  agg.on_match(ind.view(), observation(ObservationKind::dns_query, name, at("2020-01-01T00:00:00Z")));
  // The producer reuses its buffers after the callback.
  name.assign(name.size(), 'x');
  ind.id.assign(ind.id.size(), 'y');
  ind.term.assign(ind.term.size(), 'z');
  ind.source.name = "gone";
  ind.markings[0] = "gone";
  agg.flush();
  ASSERT_EQ(out.closed.size(), 1u);
  const Sighting& s = out.closed[0].sightings.at(0);
  EXPECT_EQ(s.indicator_id, kOasisIndicator);
  EXPECT_EQ(s.matched_term, "evil.example.com");
  EXPECT_EQ(s.source.name, "indicators/oasis-c2.json");
  EXPECT_EQ(s.marking_refs, std::vector<std::string>{kTlp2Red});
  EXPECT_TRUE(has_observable(s, ObservableType::domain_name, "evil.example.com"));
}

TEST(SightingAggregation, OrdersSightingsOfAWindowByIndicatorThenDevice) {
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  TestIndicator a, b;
  a.id = "indicator--ffffffff-17d4-4cbf-938f-98ee46b3cd3f";
  b.id = "indicator--00000000-17d4-4cbf-938f-98ee46b3cd3f";
  const rules::TimeUs t = at("2020-01-01T00:00:00Z");
  auto o1 = observation(ObservationKind::dst_ip, "67.215.92.210", t);
  auto o2 = o1;
  o2.device = mac_device(0x01);
  agg.on_match(a.view(), o1);
  agg.on_match(b.view(), o1);
  agg.on_match(b.view(), o2);
  agg.flush();
  ASSERT_EQ(out.closed.at(0).sightings.size(), 3u);
  EXPECT_EQ(out.closed[0].sightings[0].indicator_id, b.id);
  EXPECT_EQ(out.closed[0].sightings[0].device.mac[5], 0x01);
  EXPECT_EQ(out.closed[0].sightings[1].device.mac[5], 0x55);
  EXPECT_EQ(out.closed[0].sightings[2].indicator_id, a.id);
}

// --- windows in replay time ---------------------------------------------------------------

TEST(SightingWindows, ClosesAWindowWhenReplayTimeReachesItsEnd) {
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  TestIndicator ind;
  agg.on_match(ind.view(), observation(ObservationKind::dst_ip, "67.215.92.210",
                                       at("2019-09-27T08:10:00Z")));
  agg.advance(at("2019-09-27T08:59:59.999999Z"));
  EXPECT_TRUE(out.closed.empty());
  agg.advance(at("2019-09-27T09:00:00Z"));
  ASSERT_EQ(out.closed.size(), 1u);
  EXPECT_EQ(out.closed[0].closed_at, at("2019-09-27T09:00:00Z"));
  EXPECT_EQ(agg.open_sightings(), 0u);
  EXPECT_EQ(agg.counters().windows_closed, 1u);
}

TEST(SightingWindows, AMatchInALaterWindowClosesTheEarlierOnes) {
  Windows out;
  ReportOptions opt;
  opt.window_us = 10 * kMinute;
  SightingAggregator agg(opt, out.sink());
  TestIndicator ind;
  agg.on_match(ind.view(), observation(ObservationKind::dst_ip, "67.215.92.210", at("2019-09-27T08:01:00Z")));
  agg.on_match(ind.view(), observation(ObservationKind::dst_ip, "67.215.92.210", at("2019-09-27T08:12:00Z")));
  agg.on_match(ind.view(), observation(ObservationKind::dst_ip, "67.215.92.210", at("2019-09-27T08:45:00Z")));
  ASSERT_EQ(out.closed.size(), 2u);
  EXPECT_EQ(out.closed[0].start, at("2019-09-27T08:00:00Z"));
  EXPECT_EQ(out.closed[1].start, at("2019-09-27T08:10:00Z"));
  EXPECT_EQ(out.closed[1].end, at("2019-09-27T08:20:00Z"));
  EXPECT_EQ(agg.open_sightings(), 1u);
  agg.flush();
  ASSERT_EQ(out.closed.size(), 3u);
  EXPECT_EQ(out.closed[2].start, at("2019-09-27T08:40:00Z"));
}

TEST(SightingWindows, AlignsWindowsToTheEpoch) {
  Windows out;
  ReportOptions opt;
  opt.window_us = 7 * kMinute;  // does not divide an hour: alignment is to the epoch
  SightingAggregator agg(opt, out.sink());
  TestIndicator ind;
  const rules::TimeUs t = at("2019-09-27T08:05:00Z");
  agg.on_match(ind.view(), observation(ObservationKind::dst_ip, "67.215.92.210", t));
  agg.flush();
  ASSERT_EQ(out.closed.size(), 1u);
  EXPECT_EQ(out.closed[0].start, t - t % opt.window_us);
  EXPECT_EQ(out.closed[0].sightings[0].window_start, out.closed[0].start);
}

TEST(SightingWindows, FlushClosesOpenWindowsAtTheLatestTimeSeen) {
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  TestIndicator ind;
  agg.on_match(ind.view(), observation(ObservationKind::dst_ip, "67.215.92.210", at("2019-09-27T08:10:00Z")));
  agg.advance(at("2019-09-27T08:20:00Z"));  // a later packet without a match
  EXPECT_TRUE(out.closed.empty());
  agg.flush();
  ASSERT_EQ(out.closed.size(), 1u);
  EXPECT_EQ(out.closed[0].closed_at, at("2019-09-27T08:20:00Z"));
  EXPECT_EQ(out.closed[0].end, at("2019-09-27T09:00:00Z"));
  agg.flush();  // nothing left
  EXPECT_EQ(out.closed.size(), 1u);
}

TEST(SightingWindows, TimeGoingBackwardsLeavesNewerWindowsOpen) {
  // Two captures replayed newest first: the older one's windows close as its own time
  // passes, the newer one's stay open until flush.
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  TestIndicator ind;
  agg.on_match(ind.view(), observation(ObservationKind::dst_ip, "67.215.92.210", at("2020-05-01T10:00:00Z")));
  agg.on_match(ind.view(), observation(ObservationKind::dst_ip, "67.215.92.210", at("2019-09-27T08:10:00Z")));
  agg.advance(at("2019-09-27T09:30:00Z"));
  ASSERT_EQ(out.closed.size(), 1u);
  EXPECT_EQ(out.closed[0].start, at("2019-09-27T08:00:00Z"));
  EXPECT_EQ(agg.open_sightings(), 1u);
  agg.flush();
  ASSERT_EQ(out.closed.size(), 2u);
  EXPECT_EQ(out.closed[1].start, at("2020-05-01T10:00:00Z"));
}

// --- bounds -------------------------------------------------------------------------------

TEST(SightingBounds, DropsAndCountsMatchesBeyondTheOpenSightingCap) {
  Windows out;
  ReportOptions opt;
  opt.max_open_sightings = 2;
  SightingAggregator agg(opt, out.sink());
  const rules::TimeUs t = at("2019-09-27T08:10:00Z");
  TestIndicator ind;
  for (std::uint8_t dev = 1; dev <= 5; ++dev) {
    auto o = observation(ObservationKind::dst_ip, "67.215.92.210", t);
    o.device = mac_device(dev);
    agg.on_match(ind.view(), o);
    agg.on_match(ind.view(), o);
  }
  EXPECT_EQ(agg.open_sightings(), 2u);
  EXPECT_EQ(agg.counters().matches_dropped_open_cap, 6u);
  agg.flush();
  ASSERT_EQ(out.closed.size(), 1u);
  ASSERT_EQ(out.closed[0].sightings.size(), 2u);
  EXPECT_EQ(out.closed[0].sightings[0].count, 2u);  // the open ones keep counting
}

TEST(SightingBounds, RejectsAnEmptyOrOversizedWindowAndZeroCap) {
  Windows out;
  ReportOptions opt;
  opt.window_us = 0;
  EXPECT_THROW(SightingAggregator(opt, out.sink()), std::invalid_argument);
  opt.window_us = ReportOptions::kMaxWindowUs + 1;
  EXPECT_THROW(SightingAggregator(opt, out.sink()), std::invalid_argument);
  opt.window_us = kMinute;
  opt.max_open_sightings = 0;
  EXPECT_THROW(SightingAggregator(opt, out.sink()), std::invalid_argument);
}

TEST(SightingBounds, SurvivesExtremeTimestamps) {
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  TestIndicator ind;
  agg.on_match(ind.view(), observation(ObservationKind::dst_ip, "67.215.92.210",
                                       std::numeric_limits<rules::TimeUs>::max()));
  agg.on_match(ind.view(), observation(ObservationKind::dst_ip, "67.215.92.210",
                                       std::numeric_limits<rules::TimeUs>::min()));
  agg.flush();
  EXPECT_EQ(out.closed.size(), 2u);
  for (const auto& w : out.closed) EXPECT_LT(w.start, w.end);
}

// --- observables --------------------------------------------------------------------------

TEST(SightingObservables, KeepsEachDistinctRemoteObservableOnce) {
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  TestIndicator ind;
  const rules::TimeUs t = at("2019-09-27T08:10:00Z");
  for (int i = 0; i < 3; ++i)
    agg.on_match(ind.view(), observation(ObservationKind::dst_ip, "67.215.92.210", t + i));
  auto other_port = observation(ObservationKind::dst_ip, "67.215.92.210", t + 5);
  other_port.remote_port = 443;
  agg.on_match(ind.view(), other_port);
  agg.flush();
  const Sighting& s = out.closed.at(0).sightings.at(0);
  // One address, two network-traffic objects (port 80 and 443).
  ASSERT_EQ(s.observables.size(), 3u);
  EXPECT_TRUE(has_observable(s, ObservableType::ipv4_addr, "67.215.92.210"));
  EXPECT_EQ(std::count_if(s.observables.begin(), s.observables.end(),
                          [](const Observable& o) { return o.type == ObservableType::network_traffic; }),
            2);
  EXPECT_EQ(s.observables_omitted, 0u);
}

TEST(SightingObservables, CountsObservablesBeyondThePerSightingCap) {
  Windows out;
  ReportOptions opt;
  opt.max_observables_per_sighting = 3;
  SightingAggregator agg(opt, out.sink());
  TestIndicator ind;
  const rules::TimeUs t = at("2019-09-27T08:10:00Z");
  const std::string names[] = {"a.evil.test", "b.evil.test", "c.evil.test", "d.evil.test"};
  for (const std::string& n : names) {
    auto o = observation(ObservationKind::dns_query, n, t);
    o.remote = {};  // no flow endpoint: only the name is an observable
    agg.on_match(ind.view(), o);
  }
  auto again = observation(ObservationKind::dns_query, names[0], t);
  again.remote = {};
  agg.on_match(ind.view(), again);  // already kept: not omitted
  agg.flush();
  const Sighting& s = out.closed.at(0).sightings.at(0);
  EXPECT_EQ(s.observables.size(), 3u);
  EXPECT_EQ(s.observables_omitted, 1u);
  EXPECT_EQ(agg.counters().observables_omitted, 1u);
  EXPECT_FALSE(has_observable(s, ObservableType::domain_name, "d.evil.test"));
}

TEST(SightingObservables, KeepsNetworkTrafficOnlyBesideItsAddress) {
  Windows out;
  ReportOptions opt;
  opt.max_observables_per_sighting = 1;
  SightingAggregator agg(opt, out.sink());
  TestIndicator ind;
  agg.on_match(ind.view(), observation(ObservationKind::dns_query, "evil.test", at("2019-09-27T08:10:00Z")));
  agg.flush();
  const Sighting& s = out.closed.at(0).sightings.at(0);
  ASSERT_EQ(s.observables.size(), 1u);
  EXPECT_EQ(s.observables[0].type, ObservableType::domain_name);
  EXPECT_EQ(s.observables_omitted, 2u);  // the address, then the traffic that needs it
}

TEST(SightingObservables, NeverReportsTheDeviceOrOtherLanAddresses) {
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  TestIndicator ind;
  const rules::TimeUs t = at("2019-09-27T08:10:00Z");
  // The source address of an outbound packet is the device itself.
  agg.on_match(ind.view(), observation(ObservationKind::src_ip, "192.168.7.7", t));
  // Traffic between two LAN hosts reports no address at all.
  auto internal = observation(ObservationKind::dst_ip, "192.168.7.20", t);
  internal.direction = rules::Direction::internal;
  internal.remote = ip("192.168.7.20");
  agg.on_match(ind.view(), internal);
  agg.flush();
  const Sighting& s = out.closed.at(0).sightings.at(0);
  EXPECT_FALSE(has_observable(s, ObservableType::ipv4_addr, "192.168.7.7"));
  EXPECT_FALSE(has_observable(s, ObservableType::ipv4_addr, "192.168.7.20"));
  for (const Observable& o : s.observables) EXPECT_NE(o.ip, ip("192.168.7.7"));
}

TEST(SightingObservables, DerivesTypedObservablesFromEachObservationKind) {
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  TestIndicator ind;
  const rules::TimeUs t = at("2019-09-27T08:10:00Z");
  auto answer = observation(ObservationKind::dns_answer, "144.139.247.220", t);
  answer.context = "cdn.evil.test";
  agg.on_match(ind.view(), answer);
  auto resolved = observation(ObservationKind::dst_ip, "67.215.92.210", t);
  resolved.context = "www.internetbadguys.com";
  agg.on_match(ind.view(), resolved);
  agg.on_match(ind.view(), observation(ObservationKind::http_host, "[2a00:1450:4001:803::1017]", t));
  agg.on_match(ind.view(), observation(ObservationKind::x509_sha1, "1FB86B1168EC743154062E8C9CC5B171A4B7CCB4", t));
  agg.on_match(ind.view(), observation(ObservationKind::http_file_sha256,
      "695574258db7240ff40be2f52e8b067278f9292c7070863d7533137c3eeade7d", t));
  agg.on_match(ind.view(), observation(ObservationKind::x509_sha1, "not-a-digest", t));
  agg.flush();
  const Sighting& s = out.closed.at(0).sightings.at(0);
  EXPECT_TRUE(has_observable(s, ObservableType::ipv4_addr, "144.139.247.220"));
  EXPECT_TRUE(has_observable(s, ObservableType::domain_name, "cdn.evil.test"));
  EXPECT_TRUE(has_observable(s, ObservableType::domain_name, "www.internetbadguys.com"));
  EXPECT_TRUE(has_observable(s, ObservableType::ipv6_addr, "2a00:1450:4001:803::1017"));
  EXPECT_TRUE(has_observable(s, ObservableType::x509_certificate, "1fb86b1168ec743154062e8c9cc5b171a4b7ccb4"));
  auto file = std::find_if(s.observables.begin(), s.observables.end(),
                           [](const Observable& o) { return o.type == ObservableType::file; });
  ASSERT_NE(file, s.observables.end());
  EXPECT_EQ(file->hash, HashAlgorithm::sha256);
  EXPECT_EQ(std::count_if(s.observables.begin(), s.observables.end(),
                          [](const Observable& o) { return o.type == ObservableType::x509_certificate; }),
            1);
}

TEST(SightingObservables, NormalisesDomainCaseAndOmitsNamesThatAreNotHostnames) {
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  TestIndicator ind;
  const rules::TimeUs t = at("2019-09-27T08:10:00Z");
  const auto match = [&](ObservationKind kind, std::string_view name) {
    auto o = observation(kind, name, t);
    o.remote = {};
    agg.on_match(ind.view(), o);
  };
  match(ObservationKind::tls_sni, "WWW.Evil.Test.");
  match(ObservationKind::tls_sni, "www.evil.test");
  match(ObservationKind::dns_query, "xn--bcher-kva.example");
  match(ObservationKind::dns_query, "xn--mnchen-3ya.de.");
  match(ObservationKind::dns_query, "b\xc3\xbc" "cher.example");  // raw UTF-8, not an A-label
  match(ObservationKind::dns_query, "bad\xff\xfe.test");         // not even UTF-8
  match(ObservationKind::dns_query, "_dmarc.evil.test");         // service label
  match(ObservationKind::dns_query, "-lead.evil.test");
  match(ObservationKind::dns_query, std::string(64, 'a') + ".test");  // label > 63
  match(ObservationKind::dns_query, "xn--zz.example");           // Punycode that does not decode
  match(ObservationKind::dns_query, "xn--abc.example");          // decodes to C1 controls
  match(ObservationKind::dns_query, "ab--cd.example");           // reserved ACE-like label
  agg.flush();
  const Sighting& s = out.closed.at(0).sightings.at(0);
  std::vector<std::string> names;
  for (const Observable& o : s.observables) names.push_back(o.value);
  EXPECT_EQ(names, (std::vector<std::string>{"www.evil.test", "xn--bcher-kva.example",
                                             "xn--mnchen-3ya.de"}));
  EXPECT_EQ(s.observables_omitted, 8u);
  EXPECT_EQ(s.count, 12u);  // omitted observables still count as sightings
}

TEST(SightingObservables, PercentEncodesUrlBytesOutsideTheUriCharacterSet) {
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  TestIndicator ind;
  agg.on_match(ind.view(), observation(ObservationKind::http_url,
                                       "http://evil.test/a b/\xc3\xa9t\xe9|%41", at("2019-09-27T08:10:00Z")));
  agg.flush();
  const Sighting& s = out.closed.at(0).sightings.at(0);
  EXPECT_TRUE(has_observable(s, ObservableType::url, "http://evil.test/a%20b/%C3%A9t%E9%7C%41"));
}

TEST(SightingObservables, SkipsValuesLongerThanTheObservableLimit) {
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  TestIndicator ind;
  const std::string url = "http://evil.test/" + std::string(5000, 'a');
  agg.on_match(ind.view(), observation(ObservationKind::http_url, url, at("2019-09-27T08:10:00Z")));
  agg.flush();
  const Sighting& s = out.closed.at(0).sightings.at(0);
  EXPECT_FALSE(has_observable(s, ObservableType::url));
  EXPECT_EQ(s.observables_omitted, 1u);
}

// --- context --------------------------------------------------------------------------------

TEST(SightingContext, RecordsKindsDirectionsAndApplicationProtocols) {
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  TestIndicator ind;
  const rules::TimeUs t = at("2019-09-27T08:10:00Z");
  auto dns = observation(ObservationKind::dns_query, "www.internetbadguys.com", t);
  dns.app_proto = "DNS";
  dns.l4_proto = 17;
  auto tls = observation(ObservationKind::tls_sni, "www.internetbadguys.com", t);
  tls.app_proto = "TLS";
  auto inbound = observation(ObservationKind::src_ip, "67.215.92.210", t);
  inbound.direction = rules::Direction::inbound;
  inbound.app_proto = "TLS";
  agg.on_match(ind.view(), dns);
  agg.on_match(ind.view(), tls);
  agg.on_match(ind.view(), inbound);
  agg.flush();
  const Sighting& s = out.closed.at(0).sightings.at(0);
  EXPECT_EQ(s.seen_in, (1u << unsigned(ObservationKind::dns_query)) |
                           (1u << unsigned(ObservationKind::tls_sni)) |
                           (1u << unsigned(ObservationKind::src_ip)));
  EXPECT_EQ(s.directions, (1u << unsigned(rules::Direction::outbound)) |
                              (1u << unsigned(rules::Direction::inbound)));
  EXPECT_EQ(s.app_protos, (std::vector<std::string>{"DNS", "TLS"}));
  // The inbound flow's traffic object has the remote end as its source.
  EXPECT_TRUE(std::any_of(s.observables.begin(), s.observables.end(), [](const Observable& o) {
    return o.type == ObservableType::network_traffic && o.remote_is_source;
  }));
}

TEST(SightingContext, CarriesTheIndicatorsMarkingsSourceAndConfidence) {
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  TestIndicator ind;
  ind.markings = {kTlp2Red, kTlp1Amber};
  ind.confidence = 85;
  ind.source = {rules::IndicatorSource::Kind::collection, "https://taxii.example/c/1", "2024-02-01"};
  agg.on_match(ind.view(), observation(ObservationKind::dst_ip, "67.215.92.210", at("2019-09-27T08:10:00Z")));
  agg.flush();
  const Sighting& s = out.closed.at(0).sightings.at(0);
  EXPECT_EQ(s.marking_refs, (std::vector<std::string>{kTlp2Red, kTlp1Amber}));
  EXPECT_EQ(s.confidence, 85);
  EXPECT_EQ(s.source.kind, rules::IndicatorSource::Kind::collection);
  EXPECT_EQ(s.source.name, "https://taxii.example/c/1");
  EXPECT_EQ(s.source.version, "2024-02-01");
  EXPECT_EQ(s.matched_term, "67.215.92.210");
}

// --- privacy: URLs ---------------------------------------------------------------------------

TEST(SightingUrlPrivacy, StripsQueryAndFragmentFromUrlsAndMatchedTerms) {
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  TestIndicator ind;
  ind.term = "http://evil.test/gate.php?id=victim#x";
  const rules::TimeUs t = at("2019-09-27T08:10:00Z");
  agg.on_match(ind.view(), observation(ObservationKind::http_url, "http://evil.test/gate.php?user=alice&token=s3cret", t));
  agg.on_match(ind.view(), observation(ObservationKind::http_url, "http://evil.test/gate.php#frag", t));
  agg.flush();
  const Sighting& s = out.closed.at(0).sightings.at(0);
  EXPECT_TRUE(has_observable(s, ObservableType::url, "http://evil.test/gate.php"));
  EXPECT_EQ(std::count_if(s.observables.begin(), s.observables.end(),
                          [](const Observable& o) { return o.type == ObservableType::url; }),
            1);
  EXPECT_EQ(s.matched_term, "http://evil.test/gate.php");
}

TEST(SightingUrlPrivacy, KeepsQueryStringsWhenConfigured) {
  Windows out;
  ReportOptions opt;
  opt.keep_query = true;
  SightingAggregator agg(opt, out.sink());
  TestIndicator ind;
  ind.term = "http://evil.test/gate.php?id=1";
  agg.on_match(ind.view(), observation(ObservationKind::http_url, "http://evil.test/gate.php?user=alice",
                                       at("2019-09-27T08:10:00Z")));
  agg.flush();
  const Sighting& s = out.closed.at(0).sightings.at(0);
  EXPECT_TRUE(has_observable(s, ObservableType::url, "http://evil.test/gate.php?user=alice"));
  EXPECT_EQ(s.matched_term, "http://evil.test/gate.php?id=1");
}

}  // namespace
}  // namespace outpost::agent
