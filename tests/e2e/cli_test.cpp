// The `outpost` command-line contract, end to end on the built binary: what it writes
// (sightings, observations, stats), its exit codes and its one-line errors.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>
#include <set>
#include <string>
#include <tuple>

#include "rules/rapidjson.h"
#include "support/corpus.h"
#include "support/process.h"

namespace outpost {
namespace {

using test::read_lines;
using test::RunResult;

RunResult outpost(const std::vector<std::string>& args) { return test::run_program(test::outpost_binary(), args); }

rapidjson::Document parse(const std::string& line) {
  rapidjson::Document d;
  d.Parse(line.c_str(), line.size());
  return d;
}

std::string validator() { return test::source_dir() + "/../shared/tools/stix-validate"; }

// Every line of `path` passes the OASIS STIX 2.1 JSON Schemas.
void expect_schema_valid(const std::string& path) {
  struct stat st {};
  if (::stat(validator().c_str(), &st) != 0) GTEST_SKIP() << "stix-validate is absent at " << validator();
  const RunResult r = test::run_program("/usr/bin/python3", {validator(), path});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// Sighting objects of a --sightings file: indicator id -> count (summed over bundles).
std::map<std::string, long> sighted(const std::string& path) {
  std::map<std::string, long> out;
  for (const auto& line : read_lines(path)) {
    const auto d = parse(line);
    if (d.HasParseError() || !d.IsObject()) {
      ADD_FAILURE() << "not JSON: " << line.substr(0, 200);
      continue;
    }
    EXPECT_STREQ(d["type"].GetString(), "bundle");
    for (const auto& o : d["objects"].GetArray())
      if (std::string(o["type"].GetString()) == "sighting") out[o["sighting_of_ref"].GetString()] += o["count"].GetInt64();
  }
  return out;
}

class OutpostCli : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir("cli"); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  void add_state(std::vector<std::string>& args) const {
    args.push_back("--state-dir");
    args.push_back(dir_ + "/state");
  }
  std::string dir_;
};

TEST_F(OutpostCli, ExampleSightsTheThreeLiveIndicatorsAndNotTheRevokedOne) {
  std::vector<std::string> args = {"--pcap", test::source_dir() + "/examples/pppoe-over-qinq.pcap", "--indicators",
                                   test::source_dir() + "/examples/indicators.json", "--sightings", path("s.jsonl")};
  add_state(args);
  const RunResult r = outpost(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto s = sighted(path("s.jsonl"));
  // examples/indicators.json: the domain, the certificate and the /24 are in the capture; the
  // URL is not; 1.1.1.1 is in the capture but revoked.
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.count("indicator--35d76b62-c3e5-5032-8a0e-ecb0419344f8"), 1u);  // xp.apple.com
  EXPECT_EQ(s.count("indicator--6b98ace2-08cd-5f77-9b16-533d181ee11e"), 1u);  // certificate
  EXPECT_EQ(s.count("indicator--60b0eb60-c274-50fe-b495-89c11d20cc32"), 1u);  // 2.2.2.0/24
  expect_schema_valid(path("s.jsonl"));
  EXPECT_NE(r.err.find("sightings 3"), std::string::npos) << r.err;
}

TEST_F(OutpostCli, ObservationsCarryTheContractMembersOncePerKindValueAndFlow) {
  OUTPOST_REQUIRE_CORPUS();
  std::vector<std::string> args = {"--pcap", test::corpus_path("pcap/ndpi__sites.pcapng"), "--pcap",
                                   test::corpus_path("pcap/zeek__bro.org.pcap"), "--pcap",
                                   test::corpus_path("pcap/ndpi__dns.pcap"), "--observations", path("o.jsonl"),
                                   "--quiet"};
  add_state(args);
  const RunResult r = outpost(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::tuple<std::string, std::string, std::uint64_t>> seen;
  std::set<std::string> kinds;
  const auto lines = read_lines(path("o.jsonl"));
  ASSERT_GT(lines.size(), 500u);
  for (const auto& line : lines) {
    const auto d = parse(line);
    ASSERT_FALSE(d.HasParseError()) << line;
    ASSERT_TRUE(d["ts"].IsDouble() || d["ts"].IsInt64()) << line;
    EXPECT_GT(d["ts"].GetDouble(), 1e9) << line;
    ASSERT_TRUE(d["kind"].IsString() && d["value"].IsString() && d["flow"].IsUint64() && d["proto"].IsString()) << line;
    kinds.insert(d["kind"].GetString());
    EXPECT_TRUE(seen.emplace(d["kind"].GetString(), d["value"].GetString(), d["flow"].GetUint64()).second)
        << "written twice: " << line;
  }
  for (const char* k : {"dns_query", "tls_sni", "quic_sni", "http_host", "http_url", "http_user_agent", "ja3", "ja3s",
                        "ja4", "x509_sha1", "src_ip", "dst_ip"})
    EXPECT_EQ(kinds.count(k), 1u) << k;
}

TEST_F(OutpostCli, ExtensionDefinitionIsPublishedOnItsOwnAndPassesItsSchema) {
  const RunResult r = outpost({"--extension-definition"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto d = parse(r.out);
  ASSERT_TRUE(d.IsArray()) << r.out;
  ASSERT_EQ(d.Size(), 2u);
  EXPECT_STREQ(d[1]["type"].GetString(), "extension-definition");
  const std::string file = path("ext.json");
  std::FILE* f = std::fopen(file.c_str(), "w");
  std::fputs(r.out.c_str(), f);
  std::fclose(f);
  expect_schema_valid(file);
  // Sightings refer to it by this id.
  std::vector<std::string> args = {"--pcap", test::source_dir() + "/examples/pppoe-over-qinq.pcap", "--indicators",
                                   test::source_dir() + "/examples/indicators.json", "--sightings", path("s.jsonl"),
                                   "--quiet"};
  add_state(args);
  ASSERT_EQ(outpost(args).exit_code, 0);
  EXPECT_NE(test::read_file(path("s.jsonl")).find(d[1]["id"].GetString()), std::string::npos);
}

TEST_F(OutpostCli, MissingCaptureExitsTwoWithOneLineNamingTheFile) {
  const RunResult r = outpost({"--pcap", path("nope.pcap"), "--sightings", path("s.jsonl")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nope.pcap"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line expected: " << r.err;
}

TEST_F(OutpostCli, UnknownOptionExitsTwoNamingTheOption) {
  const RunResult r = outpost({"--pcapp", "x.pcap"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--pcapp"), std::string::npos) << r.err;
}

TEST_F(OutpostCli, BadOptionValueExitsTwoNamingTheOptionAndTheValue) {
  const RunResult r = outpost({"--pcap", "x.pcap", "--window", "soon"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--window"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("soon"), std::string::npos) << r.err;
}

TEST_F(OutpostCli, BundleThatIsNotJsonExitsTwoNamingTheFileAndOffset) {
  OUTPOST_REQUIRE_CORPUS();
  const std::string bad = test::corpus_path("stix/bundles/validator-examples/invalid_comma.json");
  std::vector<std::string> args = {"--pcap", test::source_dir() + "/examples/pppoe-over-qinq.pcap", "--indicators", bad,
                                   "--sightings", path("s.jsonl")};
  add_state(args);
  const RunResult r = outpost(args);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("invalid_comma.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("byte 262"), std::string::npos) << r.err;
}

TEST_F(OutpostCli, BadPatternInsideAGoodBundleIsSkippedWithAWarningAndTheRestLoads) {
  std::vector<std::string> args = {"--pcap", test::source_dir() + "/examples/pppoe-over-qinq.pcap", "--indicators",
                                   test::data_path("e2e/mixed_bundle.json"), "--sightings", path("s.jsonl"),
                                   "--stats", path("stats.json")};
  add_state(args);
  const RunResult r = outpost(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("indicator--1c9e3a6f-7b4d-4f8c-9a32-4dab2e6f8a02"), std::string::npos) << r.err;
  const auto s = sighted(path("s.jsonl"));
  EXPECT_EQ(s.count("indicator--0b8d2f5e-6a3c-4e7b-8f21-3c9a1d5e7f01"), 1u);
  // valid_from 2019 is after the capture (2018): inactive at the packets' time.
  EXPECT_EQ(s.count("indicator--2dae4b70-8c5e-4a9d-8b43-5ebc3f7a9b03"), 0u);
  const auto stats = parse(test::read_file(path("stats.json")));
  ASSERT_FALSE(stats.HasParseError());
  const auto& src = stats["indicators"]["sources"][0];
  EXPECT_EQ(src["loaded"].GetUint64(), 2u);
}

TEST_F(OutpostCli, CaptureCutShortIsProcessedUpToTheCutWithAWarningAndExitZero) {
  OUTPOST_REQUIRE_CORPUS();
  std::vector<std::string> args = {"--pcap", test::corpus_path("pcap/ndpi__fuzz-2021-10-13.pcap"), "--pcap",
                                   test::source_dir() + "/examples/pppoe-over-qinq.pcap", "--stats", path("stats.json")};
  add_state(args);
  const RunResult r = outpost(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("ndpi__fuzz-2021-10-13.pcap: capture cut short"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("offset"), std::string::npos) << r.err;
  // The one whole frame before the cut, then the next file (86 frames) are replayed.
  const auto stats = parse(test::read_file(path("stats.json")));
  EXPECT_EQ(stats["packets"].GetUint64(), 87u);
  EXPECT_EQ(stats["warnings"].Size(), 1u);
}

TEST_F(OutpostCli, StatsSummariseTheRunAsJson) {
  OUTPOST_REQUIRE_CORPUS();
  std::vector<std::string> args = {"--pcap", test::corpus_path("pcap/ndpi__badpackets.pcap"), "--stats", "-", "--quiet",
                                   "--observations", path("o.jsonl")};
  add_state(args);
  const RunResult r = outpost(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto d = parse(r.out);
  ASSERT_FALSE(d.HasParseError()) << r.out;
  EXPECT_EQ(d["packets"].GetUint64(), 93u);
  EXPECT_GT(d["observations"]["dns_query"].GetUint64(), 70u);
  EXPECT_TRUE(d["skipped"].IsObject());
  EXPECT_TRUE(d["flows"]["evicted"].IsUint64());
  EXPECT_GT(d["memory"]["peak_rss_kb"].GetUint64(), 0u);
}

TEST_F(OutpostCli, DashWritesSightingsToStandardOutput) {
  std::vector<std::string> args = {"--pcap", test::source_dir() + "/examples/pppoe-over-qinq.pcap", "--indicators",
                                   test::source_dir() + "/examples/indicators.json", "--sightings", "-", "--quiet"};
  add_state(args);
  const RunResult r = outpost(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto d = parse(r.out.substr(0, r.out.find('\n')));
  ASSERT_FALSE(d.HasParseError()) << r.out;
  EXPECT_STREQ(d["type"].GetString(), "bundle");
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(OutpostCli, DevicesArePseudonymisedWithAKeyCreatedPrivateAndReusedAcrossRuns) {
  std::vector<std::string> args = {"--pcap", test::source_dir() + "/examples/pppoe-over-qinq.pcap", "--indicators",
                                   test::source_dir() + "/examples/indicators.json", "--pseudonym-key", path("key")};
  auto run = [&](const std::string& out) {
    auto a = args;
    a.insert(a.end(), {"--sightings", out, "--quiet"});
    return outpost(a);
  };
  ASSERT_EQ(run(path("a.jsonl")).exit_code, 0);
  struct stat st {};
  ASSERT_EQ(::stat(path("key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(run(path("b.jsonl")).exit_code, 0);
  const std::string a = test::read_file(path("a.jsonl")), b = test::read_file(path("b.jsonl"));
  EXPECT_EQ(a, b) << "same key and input must give identical sightings";
  EXPECT_NE(a.find("\"dev-"), std::string::npos);
  // The LAN side's MAC never appears: neither as text nor as an address.
  EXPECT_EQ(a.find("1.1.1.1\""), std::string::npos);
  ::chmod(path("key").c_str(), 0644);
  const RunResult r = run(path("c.jsonl"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(path("key")), std::string::npos) << r.err;
}

TEST_F(OutpostCli, WindowsCloseInPacketTimeOneBundlePerWindow) {
  OUTPOST_REQUIRE_CORPUS();
  // zeek__mixed-vlan-mpls spans 2000..2010 in three bursts: each burst is its own window.
  const std::string list = path("ips.txt");
  std::FILE* f = std::fopen(list.c_str(), "w");
  std::fputs("10.1.2.1\n141.42.64.125\n10.20.80.1\n", f);
  std::fclose(f);
  std::vector<std::string> args = {"--pcap", test::corpus_path("pcap/zeek__mixed-vlan-mpls.pcap"), "--indicators",
                                   "ipv4:" + list, "--sightings", path("s.jsonl"), "--window", "60", "--quiet"};
  add_state(args);
  ASSERT_EQ(outpost(args).exit_code, 0);
  EXPECT_EQ(read_lines(path("s.jsonl")).size(), 3u);
  expect_schema_valid(path("s.jsonl"));
}

}  // namespace
}  // namespace outpost
