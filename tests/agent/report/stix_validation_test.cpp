// Every bundle the writer produces must pass the OASIS STIX 2.1 JSON Schemas, checked by
// ../shared/tools/stix-validate (python3-jsonschema) on bundles built from realistic matches.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/report/sighting_aggregator.h"
#include "agent/report/sighting_json_lines.h"
#include "agent/report/stix_bundle_writer.h"
#include "rules/stix/stix_id.h"
#include "tests/agent/report/report_test_support.h"

namespace outpost::agent {
namespace {

using rules::ObservationKind;
using namespace outpost::test::report;

// Two windows of typical matches: a domain via dns_query, an address via dst_ip (IPv4 and
// IPv6, outbound and inbound), a URL via http_url, a certificate via x509_sha1; TLP 2.0 and
// TLP 1.0 markings; the three kinds of indicator source.
std::string typical_bundles(const ReportOptions& opt) {
  std::ostringstream lines;
  const PseudonymKey key = test_key();
  StixBundleWriter writer(opt, &key);
  SightingJsonLines jsonl(writer, lines);
  SightingAggregator agg(opt, [&](ClosedWindow&& w) { jsonl.write(w); });

  TestIndicator domain, address, url, cert;
  domain.id = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
  domain.term = "www.internetbadguys.com";
  domain.markings = {kTlp2Red};
  domain.confidence = 90;
  address.markings = {kTlp1Amber, kTlp1Green};
  address.source = {rules::IndicatorSource::Kind::list, "ipv4.txt", "sha256:abcdef"};
  url.id = "indicator--d81f86b9-975b-4c0b-875e-810c5ad45a4f";
  url.term = "http://www.internetbadguys.com/";
  url.markings = {kTlp1Red};
  cert.id = "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade";
  cert.term = "1fb86b1168ec743154062e8c9cc5b171a4b7ccb4";
  cert.source = {rules::IndicatorSource::Kind::collection, "https://taxii.example/api/collections/91a7b528", ""};

  const rules::TimeUs t = at("2019-09-27T08:04:26.977364Z");
  auto dns = observation(ObservationKind::dns_query, "www.internetbadguys.com", t);
  dns.app_proto = "DNS";
  dns.l4_proto = 17;
  dns.remote = ip("1.1.1.1");
  dns.remote_port = 53;
  agg.on_match(domain.view(), dns);
  agg.on_match(address.view(), observation(ObservationKind::dst_ip, "67.215.92.210", t + kSecond));
  agg.on_match(url.view(), observation(ObservationKind::http_url,
                                       "http://www.internetbadguys.com/?session=abc", t + 2 * kSecond));
  auto sha1 = observation(ObservationKind::x509_sha1, "1fb86b1168ec743154062e8c9cc5b171a4b7ccb4", t + 3 * kSecond);
  sha1.app_proto = "TLS";
  sha1.remote_port = 443;
  agg.on_match(cert.view(), sha1);
  auto v6 = observation(ObservationKind::dst_ip, "2a00:1450:4001:803::1017", t + 2 * 3600 * kSecond);
  v6.remote = ip("2a00:1450:4001:803::1017");
  v6.local = ip("2a00:d40:1:3:7aac:c0ff:fea7:d4c");
  v6.device.kind = rules::Device::Kind::ip;
  v6.device.ip = v6.local;
  v6.l4_proto = 17;
  v6.app_proto = "QUIC";
  agg.on_match(address.view(), v6);
  auto inbound = observation(ObservationKind::src_ip, "67.215.92.210", t + 2 * 3600 * kSecond);
  inbound.direction = rules::Direction::inbound;
  inbound.remote_port = 4444;
  agg.on_match(address.view(), inbound);
  agg.flush();
  EXPECT_EQ(jsonl.bundles_written(), 2u);
  return lines.str();
}

TEST(StixValidation, BundlesOfTypicalMatchesPassTheOasisSchemas) {
  OUTPOST_REQUIRE_STIX_VALIDATE();
  ReportOptions opt;
  opt.embed_extension_definition = false;  // see ReportOptions: the OASIS bundle schema defect
  const std::string lines = typical_bundles(opt);
  const ValidationResult r = stix_validate(lines);
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n" << lines;
  EXPECT_NE(r.output.find(" 0 invalid"), std::string::npos) << r.output;
}

TEST(StixValidation, EveryObjectOfABundleWithTheExtensionDefinitionPassesItsSchema) {
  // The OASIS bundle schema rejects an extension-definition as a bundle member (see
  // ReportOptions::embed_extension_definition), so each object is validated on its own.
  OUTPOST_REQUIRE_STIX_VALIDATE();
  const std::string lines = typical_bundles(ReportOptions{});
  std::string objects;
  std::size_t extension_definitions = 0;
  std::istringstream in(lines);
  std::string line;
  while (std::getline(in, line)) {
    const auto doc = parse_json(line);
    for (const auto& o : doc["objects"].GetArray()) {
      rapidjson::StringBuffer buf;
      rapidjson::Writer<rapidjson::StringBuffer> w(buf);
      o.Accept(w);
      objects.append(buf.GetString(), buf.GetSize());
      objects.push_back('\n');
    }
    extension_definitions += objects_of_type(doc, "extension-definition").size();
  }
  EXPECT_EQ(extension_definitions, 2u);
  const ValidationResult r = stix_validate(objects);
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n" << objects;
  EXPECT_NE(r.output.find(" 0 invalid"), std::string::npos) << r.output;
}

TEST(StixValidation, RejectsABrokenBundleSoTheCheckCanFail) {
  // Guards the test above: the validator really runs and fails on a schema violation.
  OUTPOST_REQUIRE_STIX_VALIDATE();
  const PseudonymKey key = test_key();
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  TestIndicator ind;
  agg.on_match(ind.view(), observation(ObservationKind::dst_ip, "67.215.92.210", at("2019-09-27T08:00:00Z")));
  agg.flush();
  std::string bundle = StixBundleWriter(ReportOptions{}, &key).bundle(out.closed.at(0));
  const std::string from = "\"count\":1";
  const std::size_t at_count = bundle.find(from);
  ASSERT_NE(at_count, std::string::npos);
  bundle.replace(at_count, from.size(), "\"count\":-1");
  const ValidationResult r = stix_validate(bundle + "\n");
  EXPECT_EQ(r.exit_code, 1) << r.output;
}

// --- bundles from the corpus's ground truth --------------------------------------------------

struct TruthRow {
  std::string kind, value;
  rules::TimeUs ts = 0;
};

std::vector<TruthRow> read_truth(const std::string& path) {
  std::vector<TruthRow> rows;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    TruthRow r;
    std::string epoch;
    std::getline(f, r.kind, '\t');
    std::getline(f, r.value, '\t');
    std::getline(f, epoch, '\t');
    const double secs = std::strtod(epoch.c_str(), nullptr);
    r.ts = static_cast<rules::TimeUs>(secs * 1e6);
    rows.push_back(std::move(r));
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const TruthRow& a, const TruthRow& b) { return a.ts < b.ts; });
  return rows;
}

// Feeds every observable of every capture's truth file as a match of one indicator per kind
// (TLP-marked), as if every value were listed, and validates all bundles produced.
TEST(StixValidation, BundlesBuiltFromTheCorpusGroundTruthPassTheOasisSchemas) {
  OUTPOST_REQUIRE_CORPUS();
  OUTPOST_REQUIRE_STIX_VALIDATE();
  // Captures chosen for variety (IPv6, certificates, file hashes, IDNs, DNS tunnels, long and
  // malformed names, bad packets) at a size the schema validator checks in seconds.
  const char* captures[] = {
      "ndpi__malware.pcap",         "ndpi__http_ipv6.pcap",         "ndpi__tls_malicious_sha1.pcapng",
      "ndpi__exe_download.pcap",    "ndpi__punycode-idn.pcap",      "ndpi__emotet.pcap",
      "ndpi__selfsigned.pcap",      "ndpi__dns_long_domainname.pcap", "ndpi__malformed_dns.pcap",
      "ndpi__log4j-webapp-exploit.pcap", "ndpi__badpackets.pcap",  "ndpi__dns-tunnel-iodine.pcap",
      "zeek__ipv6-fragmented-dns.pcap",  "zeek__no_crlf.pcap",
  };
  ReportOptions opt;
  opt.embed_extension_definition = false;
  std::ostringstream lines;
  const PseudonymKey key = test_key(7);
  StixBundleWriter writer(opt, &key);
  SightingJsonLines jsonl(writer, lines);
  std::size_t matches = 0;
  for (const char* capture : captures) {
    const std::string file = test::corpus_path(std::string("truth/") + capture + ".tsv");
    SightingAggregator agg(opt, [&](ClosedWindow&& w) { jsonl.write(w); });
    for (const TruthRow& row : read_truth(file)) {
      rules::ObservationKind kind;
      if (!rules::parse_observation_kind(row.kind, kind)) continue;  // mdns_query, gquic_sni...
      std::string value = row.value;
      if (kind == ObservationKind::http_host) {  // truth keeps "host:port"; Observation does not
        const std::size_t colon = value.rfind(':');
        if (colon != std::string::npos && value.find(':') == colon) value.resize(colon);
      }
      TestIndicator ind;
      ind.id = rules::outpost_id("indicator", row.kind);
      ind.term = value;
      ind.markings = {kTlp2Red, kTlp1Amber};
      ind.source = {rules::IndicatorSource::Kind::list, row.kind + ".txt", ""};
      auto obs = observation(kind, value, row.ts);
      if (kind == ObservationKind::dst_ip) rules::parse_ip(value, obs.remote);
      agg.on_match(ind.view(), obs);
      ++matches;
    }
    agg.flush();
  }
  ASSERT_GT(matches, 400u);
  ASSERT_GE(jsonl.bundles_written(), 14u);
  const ValidationResult r = stix_validate(lines.str());
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

}  // namespace
}  // namespace outpost::agent
