#pragma once
// Builders shared by the agent/report tests: matched indicators and observations that own
// their strings, a collecting window sink, and a runner for ../shared/tools/stix-validate.

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "agent/report/pseudonym_key.h"
#include "rules/rapidjson.h"
#include "agent/report/sighting.h"
#include "agent/report/sighting_aggregator.h"
#include "rules/match.h"
#include "rules/observation.h"
#include "rules/time.h"
#include "support/corpus.h"

namespace outpost::test::report {

// TLP 2.0 TLP:RED (the OASIS-published TLP 2.0 marking-definition id) and the TLP 1.0 ids of
// STIX 2.1 §7.2.1.4 (TLP:RED, TLP:AMBER, TLP:GREEN).
inline const std::string kTlp2Red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
inline const std::string kTlp1Amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82";
inline const std::string kTlp1Green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
inline const std::string kTlp1Red = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed";

// The OASIS example indicator "IP Address for known C2 channel"
// (../shared/corpus/stix/bundles/oasis-examples/indicator-for-c2-ip-address.json).
inline const std::string kOasisIndicator = "indicator--33fe3b22-0201-47cf-85d0-97c02164528d";

inline rules::TimeUs at(const char* rfc3339) {
  rules::TimeUs t = 0;
  EXPECT_TRUE(rules::parse_timestamp(rfc3339, t)) << rfc3339;
  return t;
}

constexpr rules::TimeUs kSecond = 1000000;
constexpr rules::TimeUs kMinute = 60 * kSecond;

struct TestIndicator {
  std::string id = kOasisIndicator;
  rules::IndicatorSource source{rules::IndicatorSource::Kind::bundle,
                                "indicators/oasis-c2.json", "sha256:0123abcd"};
  std::vector<std::string> markings;
  int confidence = -1;
  std::string term = "67.215.92.210";

  rules::MatchedIndicator view() const {
    rules::MatchedIndicator m;
    m.stored_id = id;
    m.source = &source;
    m.confidence = confidence;
    m.marking_refs = markings.empty() ? nullptr : &markings;
    m.matched_term = term;
    return m;
  }
};

inline rules::IpAddress ip(const char* text) {
  rules::IpAddress a;
  EXPECT_TRUE(rules::parse_ip(text, a)) << text;
  return a;
}

inline rules::Device mac_device(std::uint8_t last) {
  rules::Device d;
  d.kind = rules::Device::Kind::mac;
  const std::uint8_t mac[6] = {0x00, 0x11, 0x22, 0x33, 0x44, last};
  std::copy(mac, mac + 6, d.mac);
  return d;
}

// An outbound TCP observation from LAN host 192.168.7.7 (MAC 00:11:22:33:44:55) to
// 67.215.92.210:80. `value`/`context` must outlive the call that receives it.
inline rules::Observation observation(rules::ObservationKind kind, std::string_view value,
                                      rules::TimeUs ts) {
  rules::Observation o;
  o.kind = kind;
  o.value = value;
  o.ts = ts;
  o.flow = 1;
  o.app_proto = "HTTP";
  o.l4_proto = 6;
  o.direction = rules::Direction::outbound;
  o.local = ip("192.168.7.7");
  o.remote = ip("67.215.92.210");
  o.local_port = 49152;
  o.remote_port = 80;
  o.device = mac_device(0x55);
  return o;
}

// Collects the windows an aggregator closes.
struct Windows {
  std::vector<agent::ClosedWindow> closed;
  agent::SightingAggregator::WindowSink sink() {
    return [this](agent::ClosedWindow&& w) { closed.push_back(std::move(w)); };
  }
};

inline agent::PseudonymKey test_key(std::uint8_t first = 0) {
  std::array<std::uint8_t, agent::PseudonymKey::kBytes> b{};
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(first + i);
  return agent::PseudonymKey::from_bytes(b);
}

// A fresh, empty folder under TMPDIR for one test; removed by the caller with remove_tree.
inline std::string temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/outpost-report-XXXXXX";
  char* made = ::mkdtemp(tmpl.data());
  EXPECT_NE(made, nullptr);
  return tmpl;
}

inline void remove_tree(const std::string& dir) {
  const std::string cmd = "rm -rf '" + dir + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

inline std::string stix_validate_path() { return source_dir() + "/../shared/tools/stix-validate"; }

inline bool stix_validate_present() {
  struct stat st {};
  return ::stat(stix_validate_path().c_str(), &st) == 0;
}

#define OUTPOST_REQUIRE_STIX_VALIDATE()                                                       \
  do {                                                                                        \
    if (!::outpost::test::report::stix_validate_present())                                    \
      GTEST_SKIP() << "stix-validate is absent (expected at "                                 \
                   << ::outpost::test::report::stix_validate_path() << ")";                   \
  } while (0)

struct ValidationResult {
  int exit_code = -1;
  std::string output;
};

// Writes `jsonl` to a temporary file and runs stix-validate on it.
inline ValidationResult stix_validate(const std::string& jsonl) {
  ValidationResult r;
  const std::string dir = temp_dir();
  const std::string file = dir + "/bundles.jsonl";
  {
    std::ofstream out(file);
    out << jsonl;
  }
  const std::string cmd = "'" + stix_validate_path() + "' '" + file + "' 2>&1";
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
    const int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  remove_tree(dir);
  return r;
}

// Parses one bundle line; fails the test when it is not JSON.
inline rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  EXPECT_FALSE(d.HasParseError()) << text.substr(0, 300);
  return d;
}

// The objects of type `type` in a parsed bundle.
inline std::vector<const rapidjson::Value*> objects_of_type(const rapidjson::Document& bundle,
                                                            std::string_view type) {
  std::vector<const rapidjson::Value*> out;
  for (const auto& o : bundle["objects"].GetArray())
    if (std::string_view(o["type"].GetString()) == type) out.push_back(&o);
  return out;
}

}  // namespace outpost::test::report
