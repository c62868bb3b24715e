#include "agent/report/stix_bundle_writer.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "agent/report/sighting_aggregator.h"
#include "tests/agent/report/report_test_support.h"

namespace outpost::agent {
namespace {

using rules::ObservationKind;
using namespace outpost::test::report;

Observable address(const char* text) {
  Observable o;
  o.ip = ip(text);
  o.type = o.ip.family == 6 ? ObservableType::ipv6_addr : ObservableType::ipv4_addr;
  return o;
}

Observable text_observable(ObservableType type, std::string value,
                           HashAlgorithm hash = HashAlgorithm::none) {
  Observable o;
  o.type = type;
  o.value = std::move(value);
  o.hash = hash;
  return o;
}

// Builds one closed window from matches of the OASIS C2 indicator, marked TLP:RED (2.0).
ClosedWindow sample_window(ReportOptions opt = {}) {
  Windows out;
  SightingAggregator agg(opt, out.sink());
  TestIndicator ind;
  ind.markings = {kTlp2Red};
  ind.confidence = 70;
  const rules::TimeUs t = at("2019-09-27T08:11:06.977364Z");
  agg.on_match(ind.view(), observation(ObservationKind::dns_query, "www.internetbadguys.com", t));
  agg.on_match(ind.view(), observation(ObservationKind::dst_ip, "67.215.92.210", t + kSecond));
  agg.on_match(ind.view(), observation(ObservationKind::http_url,
                                       "http://www.internetbadguys.com/?q=secret", t + 2 * kSecond));
  agg.flush();
  EXPECT_EQ(out.closed.size(), 1u);
  return out.closed.empty() ? ClosedWindow{} : std::move(out.closed[0]);
}

// --- deterministic ids ------------------------------------------------------------------
// Expected SCO ids were computed with python3's uuid module the way python-stix2 does
// (STIX 2.1 §2.9):
//   NS = uuid.UUID('00abedb4-aa42-466c-9c01-fed23315a9b7')
//   type + '--' + str(uuid.uuid5(NS, json.dumps(props, sort_keys=True,
//                                     separators=(',', ':'), ensure_ascii=False)))
// with props = the ID-contributing properties shown in each comment.

TEST(StixIds, DomainNameIdEqualsPythonStix2s) {
  // The value python-stix2's own tests give for example.com.
  EXPECT_EQ(observable_id(text_observable(ObservableType::domain_name, "example.com")),
            "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7");
}

TEST(StixIds, UrlAndCertificateIdsEqualPythonStix2s) {
  // {"value": "http://www.internetbadguys.com/"}
  EXPECT_EQ(observable_id(text_observable(ObservableType::url, "http://www.internetbadguys.com/")),
            "url--bcfe52cf-8399-54f6-b5bb-6ae04523cf73");
  // {"hashes": {"SHA-1": "1fb86b1168ec743154062e8c9cc5b171a4b7ccb4"}}
  EXPECT_EQ(observable_id(text_observable(ObservableType::x509_certificate,
                                          "1fb86b1168ec743154062e8c9cc5b171a4b7ccb4",
                                          HashAlgorithm::sha1)),
            "x509-certificate--d3ed70e1-2ef4-577c-9051-80f4afec7714");
  // {"hashes": {"SHA-256": "6955...de7d"}}
  EXPECT_EQ(observable_id(text_observable(
                ObservableType::file,
                "695574258db7240ff40be2f52e8b067278f9292c7070863d7533137c3eeade7d",
                HashAlgorithm::sha256)),
            "file--782e7b74-ec11-5a6b-a438-c2c9d195454d");
}

TEST(StixIds, AddressAndNetworkTrafficIdsEqualPythonStix2s) {
  // {"value": "67.215.92.210"}, {"value": "2a00:1450:4001:803::1017"}
  EXPECT_EQ(observable_id(address("67.215.92.210")),
            "ipv4-addr--c5542ef5-5718-5dbf-af4b-ba6ecffbf3f7");
  EXPECT_EQ(observable_id(address("2a00:1450:4001:803::1017")),
            "ipv6-addr--2b24189c-96cd-5e9a-83b2-a67d0884e451");
  Observable nt;
  nt.type = ObservableType::network_traffic;
  nt.ip = ip("67.215.92.210");
  nt.port = 80;
  nt.l4_proto = 6;
  // {"dst_ref": "ipv4-addr--c5542ef5-...", "dst_port": 80, "protocols": ["ipv4", "tcp"]}
  EXPECT_EQ(observable_id(nt), "network-traffic--d6b845d2-5827-5929-93fb-0f2842d4b016");
  nt.port = 4444;
  nt.remote_is_source = true;
  // {"src_ref": "ipv4-addr--c5542ef5-...", "src_port": 4444, "protocols": ["ipv4", "tcp"]}
  EXPECT_EQ(observable_id(nt), "network-traffic--e2a79a1e-0d59-57f1-8a31-5d7a0597cc91");
}

TEST(StixIds, OutpostObjectIdsAreFixedForTheSameInput) {
  // Outpost namespace = uuid5(NAMESPACE_DNS, "outpost.sensor"); names are JSON arrays,
  // json.dumps(separators=(',', ':'), ensure_ascii=False). Device pseudonym from the test key
  // bytes 0..31 (see PseudonymKey tests).
  const PseudonymKey key = test_key();
  StixBundleWriter writer(ReportOptions{}, &key);
  EXPECT_EQ(writer.identity_id(), "identity--aad77d3c-e1ad-535f-8eb3-811c410b8d49");
  EXPECT_EQ(StixBundleWriter::extension_definition_id(),
            "extension-definition--09eabf9b-9333-56f8-8980-c10f191cce01");
  Sighting s;
  s.indicator_id = kOasisIndicator;
  s.device = mac_device(0x55);
  s.window_start = at("2019-09-27T08:00:00Z");
  // ["sighting","outpost","indicator--33fe...","dev-df5122d2f35ad96f13aaed97",
  //  "2019-09-27T08:00:00.000000Z"]
  EXPECT_EQ(writer.sighting_id(s), "sighting--ca82f64e-8999-56a1-8915-578d958de48c");
  EXPECT_NE(writer.observed_data_id(s).substr(15), writer.sighting_id(s).substr(10));
}

TEST(StixIds, SightingIdChangesWithSensorDeviceAndWindow) {
  const PseudonymKey key = test_key();
  StixBundleWriter writer(ReportOptions{}, &key);
  ReportOptions other_opt;
  other_opt.sensor_name = "router-2";
  StixBundleWriter other_sensor(other_opt, &key);
  Sighting s;
  s.indicator_id = kOasisIndicator;
  s.device = mac_device(0x55);
  s.window_start = at("2019-09-27T08:00:00Z");
  std::set<std::string> ids{writer.sighting_id(s), other_sensor.sighting_id(s)};
  Sighting t = s;
  t.device = mac_device(0x56);
  ids.insert(writer.sighting_id(t));
  t = s;
  t.window_start += 3600 * kSecond;
  ids.insert(writer.sighting_id(t));
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_NE(writer.identity_id(), other_sensor.identity_id());
}

// --- bundle content -----------------------------------------------------------------------

TEST(StixBundle, HoldsIdentityExtensionDefinitionSightingObservedDataAndScos) {
  const PseudonymKey key = test_key();
  StixBundleWriter writer(ReportOptions{}, &key);
  const ClosedWindow w = sample_window();
  const auto doc = parse_json(writer.bundle(w));
  ASSERT_TRUE(doc.IsObject());
  EXPECT_STREQ(doc["type"].GetString(), "bundle");
  EXPECT_EQ(std::string(doc["id"].GetString()).rfind("bundle--", 0), 0u);

  const auto identities = objects_of_type(doc, "identity");
  ASSERT_EQ(identities.size(), 2u);
  EXPECT_EQ((*identities[0])["id"].GetString(), writer.identity_id());
  EXPECT_STREQ((*identities[0])["identity_class"].GetString(), "system");
  EXPECT_STREQ((*identities[0])["name"].GetString(), "outpost");
  const auto ext = objects_of_type(doc, "extension-definition");
  ASSERT_EQ(ext.size(), 1u);
  EXPECT_STREQ((*ext[0])["extension_types"][0].GetString(), "property-extension");
  EXPECT_EQ((*ext[0])["created_by_ref"].GetString(), StixBundleWriter::producer_identity_id());

  const auto sightings = objects_of_type(doc, "sighting");
  ASSERT_EQ(sightings.size(), 1u);
  const auto& s = *sightings[0];
  EXPECT_STREQ(s["spec_version"].GetString(), "2.1");
  EXPECT_EQ(s["sighting_of_ref"].GetString(), kOasisIndicator);
  EXPECT_EQ(s["count"].GetUint(), 3u);
  EXPECT_STREQ(s["first_seen"].GetString(), "2019-09-27T08:11:06.977364Z");
  EXPECT_STREQ(s["last_seen"].GetString(), "2019-09-27T08:11:08.977364Z");
  // Replay: created/modified are the time the window closed (here: flush at the last match),
  // in microseconds so they are never before last_seen.
  EXPECT_STREQ(s["created"].GetString(), "2019-09-27T08:11:08.977364Z");
  EXPECT_STREQ(s["modified"].GetString(), "2019-09-27T08:11:08.977364Z");
  EXPECT_EQ(s["where_sighted_refs"][0].GetString(), writer.identity_id());
  EXPECT_EQ(s["created_by_ref"].GetString(), writer.identity_id());
  const auto& x = s["extensions"][StixBundleWriter::extension_definition_id().c_str()];
  EXPECT_STREQ(x["extension_type"].GetString(), "property-extension");
  ASSERT_EQ(x["seen_in"].Size(), 3u);
  EXPECT_STREQ(x["seen_in"][0].GetString(), "dns_query");
  EXPECT_STREQ(x["seen_in"][1].GetString(), "http_url");
  EXPECT_STREQ(x["seen_in"][2].GetString(), "dst_ip");
  EXPECT_STREQ(x["app_protos"][0].GetString(), "HTTP");
  EXPECT_STREQ(x["directions"][0].GetString(), "outbound");
  EXPECT_STREQ(x["device"].GetString(), key.pseudonym(mac_device(0x55)).c_str());
  EXPECT_STREQ(x["indicator_source"]["kind"].GetString(), "bundle");
  EXPECT_STREQ(x["indicator_source"]["name"].GetString(), "indicators/oasis-c2.json");
  EXPECT_EQ(x["indicator_confidence"].GetInt(), 70);
  EXPECT_STREQ(x["matched_term"].GetString(), "67.215.92.210");

  const auto od = objects_of_type(doc, "observed-data");
  ASSERT_EQ(od.size(), 1u);
  EXPECT_EQ(s["observed_data_refs"][0].GetString(), std::string((*od[0])["id"].GetString()));
  EXPECT_EQ((*od[0])["number_observed"].GetUint(), 3u);
  EXPECT_STREQ((*od[0])["first_observed"].GetString(), "2019-09-27T08:11:06.977364Z");
  // Every object_ref is an SCO present in the bundle, with spec_version 2.1.
  std::set<std::string> present;
  for (const auto& o : doc["objects"].GetArray()) {
    present.insert(o["id"].GetString());
    EXPECT_STREQ(o["spec_version"].GetString(), "2.1") << o["id"].GetString();
  }
  const auto& refs = (*od[0])["object_refs"];
  ASSERT_EQ(refs.Size(), 4u);  // domain, address, network-traffic, url
  for (const auto& r : refs.GetArray()) EXPECT_EQ(present.count(r.GetString()), 1u) << r.GetString();
  EXPECT_EQ(present.count("ipv4-addr--c5542ef5-5718-5dbf-af4b-ba6ecffbf3f7"), 1u);
  EXPECT_EQ(present.count("network-traffic--d6b845d2-5827-5929-93fb-0f2842d4b016"), 1u);
  EXPECT_EQ(present.count("url--bcfe52cf-8399-54f6-b5bb-6ae04523cf73"), 1u);
}

TEST(StixBundle, CarriesTheIndicatorsMarkingsOnSightingAndObservedData) {
  const PseudonymKey key = test_key();
  StixBundleWriter writer(ReportOptions{}, &key);
  const auto doc = parse_json(writer.bundle(sample_window()));
  for (const char* type : {"sighting", "observed-data"}) {
    const auto objs = objects_of_type(doc, type);
    ASSERT_EQ(objs.size(), 1u);
    ASSERT_TRUE(objs[0]->HasMember("object_marking_refs")) << type;
    EXPECT_EQ((*objs[0])["object_marking_refs"][0].GetString(), kTlp2Red) << type;
  }
}

TEST(StixBundle, WritesTheSameBytesForTheSameInput) {
  const PseudonymKey key = test_key();
  StixBundleWriter a(ReportOptions{}, &key), b(ReportOptions{}, &key);
  const std::string first = a.bundle(sample_window());
  EXPECT_EQ(first, b.bundle(sample_window()));
  EXPECT_EQ(first.find('\n'), std::string::npos);
}

TEST(StixBundle, PutsTheDeviceOnlyInsideTheExtensionAndPseudonymisedByDefault) {
  const PseudonymKey key = test_key();
  const ClosedWindow w = sample_window();
  const std::string pseudonymised = StixBundleWriter(ReportOptions{}, &key).bundle(w);
  EXPECT_EQ(pseudonymised.find("00:11:22:33:44:55"), std::string::npos);
  EXPECT_EQ(pseudonymised.find("192.168.7.7"), std::string::npos);
  EXPECT_NE(pseudonymised.find(key.pseudonym(mac_device(0x55))), std::string::npos);

  ReportOptions raw;
  raw.raw_device = true;
  const auto doc = parse_json(StixBundleWriter(raw, nullptr).bundle(w));
  const auto& s = *objects_of_type(doc, "sighting").at(0);
  EXPECT_STREQ(s["extensions"][StixBundleWriter::extension_definition_id().c_str()]["device"].GetString(),
               "00:11:22:33:44:55");
}

TEST(StixBundle, RequiresAKeyUnlessRawDevicesAreConfigured) {
  EXPECT_THROW(StixBundleWriter(ReportOptions{}, nullptr), std::invalid_argument);
}

TEST(StixBundle, WritesEachScoOncePerBundle) {
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  TestIndicator a, b;
  b.id = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
  const rules::TimeUs t = at("2019-09-27T08:10:00Z");
  agg.on_match(a.view(), observation(ObservationKind::dst_ip, "67.215.92.210", t));
  agg.on_match(b.view(), observation(ObservationKind::dst_ip, "67.215.92.210", t));
  agg.flush();
  const PseudonymKey key = test_key();
  const auto doc = parse_json(StixBundleWriter(ReportOptions{}, &key).bundle(out.closed.at(0)));
  EXPECT_EQ(objects_of_type(doc, "sighting").size(), 2u);
  EXPECT_EQ(objects_of_type(doc, "observed-data").size(), 2u);
  EXPECT_EQ(objects_of_type(doc, "ipv4-addr").size(), 1u);
  EXPECT_EQ(objects_of_type(doc, "network-traffic").size(), 1u);
}

TEST(StixBundle, ClampsCountToTheStixMaximum) {
  ClosedWindow w = sample_window();
  w.sightings[0].count = 5000000000ULL;
  const PseudonymKey key = test_key();
  const auto doc = parse_json(StixBundleWriter(ReportOptions{}, &key).bundle(w));
  EXPECT_EQ((*objects_of_type(doc, "sighting").at(0))["count"].GetUint(), 999999999u);
  EXPECT_EQ((*objects_of_type(doc, "observed-data").at(0))["number_observed"].GetUint(), 999999999u);
}

TEST(StixBundle, LeavesOutObservedDataWhenNothingWasObservable) {
  ClosedWindow w = sample_window();
  w.sightings[0].observables.clear();
  const PseudonymKey key = test_key();
  const auto doc = parse_json(StixBundleWriter(ReportOptions{}, &key).bundle(w));
  EXPECT_TRUE(objects_of_type(doc, "observed-data").empty());
  EXPECT_FALSE(objects_of_type(doc, "sighting").at(0)->HasMember("observed_data_refs"));
}

TEST(StixBundle, ReportsOmittedObservablesInTheExtension) {
  ClosedWindow w = sample_window();
  w.sightings[0].observables_omitted = 7;
  const PseudonymKey key = test_key();
  const auto doc = parse_json(StixBundleWriter(ReportOptions{}, &key).bundle(w));
  const auto& s = *objects_of_type(doc, "sighting").at(0);
  EXPECT_EQ(s["extensions"][StixBundleWriter::extension_definition_id().c_str()]["observables_omitted"].GetUint(), 7u);
}

TEST(StixBundle, StripsUrlQueriesFromTheWholeBundle) {
  const PseudonymKey key = test_key();
  const std::string text = StixBundleWriter(ReportOptions{}, &key).bundle(sample_window());
  EXPECT_EQ(text.find("secret"), std::string::npos);
  EXPECT_NE(text.find("\"http://www.internetbadguys.com/\""), std::string::npos);
}

}  // namespace
}  // namespace outpost::agent
