// End to end: indicators planted from the ground truth of several real captures, hidden among
// thousands of real decoys from ../shared/corpus/indicators, are exactly the ones sighted.
// Decoys that the truth says really occur in these captures (feeds are noisy, see
// indicators/SOURCES.md "Known noise") are left out of the decoys, so any other sighting is a
// false positive and any missing planted one a false negative.

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "capture/lan_prefixes.h"
#include "rules/indicator_set.h"
#include "rules/indicator_value.h"
#include "rules/rapidjson.h"
#include "support/corpus.h"
#include "support/process.h"
#include "support/truth.h"

namespace outpost {
namespace {

using rules::IndicatorType;

const std::vector<std::string> kCaptures = {
    "ndpi__443-firefox.pcap", "ndpi__dns.pcap",   "zeek__bro.org.pcap", "ndpi__emotet.pcap",
    "ndpi__tls_malicious_sha1.pcapng", "ndpi__sites.pcapng", "ndpi__6in4tunnel.pcap"};

std::set<std::string> truth_of(const std::vector<std::string>& kinds) {
  std::set<std::string> out;
  for (const auto& c : kCaptures)
    for (const auto& k : kinds)
      for (const auto& v : test::truth_values(c, k)) out.insert(v);
  return out;
}

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::vector<std::string> read_list(const std::string& path, std::size_t max) {
  std::vector<std::string> out;
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  char line[4096];
  while (out.size() < max && gzgets(f, line, sizeof line) != nullptr) {
    std::string s(line);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (!s.empty()) out.push_back(s);
  }
  gzclose(f);
  return out;
}

class PlantedIndicators : public ::testing::Test {
 protected:
  void SetUp() override {
    OUTPOST_REQUIRE_CORPUS();
    dir_ = test::make_temp_dir("match");
  }

  // Writes a KIND list with the planted values and the decoys; remembers the planted ids.
  std::string list(IndicatorType type, const std::set<std::string>& planted, const std::vector<std::string>& decoys) {
    const std::string name(rules::indicator_type_name(type));
    const std::string path = dir_ + "/" + name + ".txt";
    std::ofstream out(path);
    for (const auto& v : decoys) out << v << "\n";
    for (const auto& v : planted) {
      out << v << "\n";
      std::string canonical;
      EXPECT_EQ(rules::normalise_indicator_value(type, v, canonical), rules::ValueError::none) << v;
      char id[64];
      expected_.insert(std::string(id, rules::IndicatorSet::list_indicator_id(type, canonical, id)));
    }
    decoys_ += decoys.size();
    return name + ":" + path;
  }

  std::string dir_;
  std::set<std::string> expected_;
  std::size_t decoys_ = 0;
};

TEST_F(PlantedIndicators, ExactlyThePlantedIndicatorsAreSightedAmongRealDecoys) {
  // Names seen in these captures, and every parent of them: a list domain matches the names
  // below it, so a decoy parent of a seen name would be a true hit.
  std::set<std::string> names;
  for (auto n : truth_of({"dns_query", "tls_sni", "http_host"})) {
    n = lower(n.substr(0, n.rfind(':') == std::string::npos || n.find(']') != std::string::npos ? n.size() : n.rfind(':')));
    for (std::size_t p = 0; p != std::string::npos; p = n.find('.', p + 1)) names.insert(n.substr(p ? p + 1 : 0));
  }
  std::vector<capture::Prefix> seen_ips;
  for (const auto& a : truth_of({"src_ip", "dst_ip"})) {
    capture::Prefix p;
    if (capture::parse_prefix(a, p)) seen_ips.push_back(p);
  }
  auto ip_seen = [&](const std::string& decoy) {
    capture::Prefix d;
    if (!capture::parse_prefix(decoy, d)) return false;
    for (const auto& s : seen_ips)
      if (capture::prefix_contains(d, s.network)) return true;
    return false;
  };
  const std::set<std::string> urls_seen = truth_of({"http_url"});
  const std::set<std::string> certs_seen = truth_of({"x509_sha1"});
  const std::set<std::string> ja3_seen = truth_of({"ja3"});

  auto decoys = [](const std::string& file, std::size_t max, auto&& seen) {
    std::vector<std::string> out;
    for (const auto& v : read_list(test::corpus_path("indicators/" + file), max))
      if (!seen(v)) out.push_back(v);
    return out;
  };

  // Planted: values tshark saw in these captures.
  std::set<std::string> planted_domains = {*test::truth_values("ndpi__443-firefox.pcap", "tls_sni").begin()};
  for (const auto& n : test::truth_values("ndpi__dns.pcap", "dns_query")) planted_domains.insert(lower(n));
  planted_domains.insert("bro.org");
  int k = 0;
  for (const auto& n : test::truth_values("ndpi__sites.pcapng", "tls_sni"))
    if (k++ % 10 == 0) planted_domains.insert(lower(n));
  std::set<std::string> planted_ips;
  for (const auto& a : test::truth_values("ndpi__emotet.pcap", "dst_ip"))
    if (a.rfind("10.", 0) != 0 && a.rfind("192.168.", 0) != 0) planted_ips.insert(a);
  const auto bro_urls = test::truth_values("zeek__bro.org.pcap", "http_url");
  const std::set<std::string> planted_urls(bro_urls.begin(), std::next(bro_urls.begin(), 3));
  const std::set<std::string> planted_certs = test::truth_values("ndpi__tls_malicious_sha1.pcapng", "x509_sha1");
  const std::set<std::string> planted_ja3 = test::truth_values("ndpi__443-firefox.pcap", "ja3");

  std::vector<std::string> args;
  for (const auto& c : kCaptures) args.insert(args.end(), {"--pcap", test::corpus_path("pcap/" + c)});
  for (const auto& spec :
       {list(IndicatorType::domain, planted_domains,
             decoys("domains.txt.gz", 50000, [&](const std::string& d) { return names.count(d) > 0; })),
        list(IndicatorType::ipv4, planted_ips, decoys("ipv4.txt", 50000, ip_seen)),
        list(IndicatorType::url, planted_urls,
             decoys("urls.txt", 20000, [&](const std::string& u) { return urls_seen.count(u) > 0; })),
        list(IndicatorType::x509_sha1, planted_certs,
             decoys("x509_sha1.txt", 6000, [&](const std::string& c) { return certs_seen.count(c) > 0; })),
        list(IndicatorType::ja3, planted_ja3,
             decoys("ja3.txt", 200, [&](const std::string& j) { return ja3_seen.count(j) > 0; }))})
    args.insert(args.end(), {"--indicators", spec});
  const std::string sightings = dir_ + "/s.jsonl";
  args.insert(args.end(), {"--sightings", sightings, "--state-dir", dir_ + "/state", "--quiet"});
  ASSERT_GT(decoys_, 100000u);

  const test::RunResult r = test::run_program(test::outpost_binary(), args);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  std::set<std::string> sighted;
  std::size_t observed_data = 0;
  for (const auto& line : test::read_lines(sightings)) {
    rapidjson::Document d;
    d.Parse(line.c_str(), line.size());
    ASSERT_FALSE(d.HasParseError());
    for (const auto& o : d["objects"].GetArray()) {
      const std::string type = o["type"].GetString();
      if (type == "sighting") sighted.insert(o["sighting_of_ref"].GetString());
      if (type == "observed-data") {
        ++observed_data;
        EXPECT_GT(o["object_refs"].Size(), 0u);
      }
    }
  }
  for (const auto& id : expected_) EXPECT_EQ(sighted.count(id), 1u) << "planted indicator not sighted: " << id;
  for (const auto& id : sighted) EXPECT_EQ(expected_.count(id), 1u) << "decoy sighted: " << id;
  EXPECT_GE(observed_data, expected_.size());
  std::printf("planted %zu indicators among %zu decoys; sighted %zu\n", expected_.size(), decoys_, sighted.size());
}

}  // namespace
}  // namespace outpost
