// End to end over every capture in ../shared/corpus/pcap: the whole capture pipeline
// (decoder, flows, nDPI, our parsers) must not crash on any capture, and what it observes is
// compared with tshark's ground truth (../shared/corpus/truth, see its README). Recall per
// kind is printed per capture and in total, and held to the floors of the foundation issue.

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "capture/traffic_observer.h"
#include "support/corpus.h"
#include "support/truth.h"

namespace outpost {
namespace {

using rules::ObservationKind;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// What the pipeline observed, in the truth's spelling per kind.
class Collector : public capture::ObservationSink {
 public:
  void on_observation(const rules::Observation& o) override {
    const std::string v(o.value);
    switch (o.kind) {
      case ObservationKind::dns_query:
        seen["dns_query"].insert(lower(test::utf8_sanitize(test::unescape_dns_text(v))));
        break;
      case ObservationKind::tls_sni:
      case ObservationKind::quic_sni:  // truth's tls_sni includes QUIC and DTLS
        seen["tls_sni"].insert(lower(test::utf8_sanitize(test::unescape_dns_text(v))));
        break;
      case ObservationKind::http_host:  // truth keeps ":port"
        seen["http_host"].insert(lower(o.context.empty() ? v : v + ":" + std::string(o.context)));
        break;
      case ObservationKind::http_url: seen["http_url"].insert(v); break;
      case ObservationKind::dst_ip: seen["dst_ip"].insert(v); break;
      case ObservationKind::src_ip: seen["src_ip"].insert(v); break;
      case ObservationKind::x509_sha1: seen["x509_sha1"].insert(v); break;
      case ObservationKind::ja3: seen["ja3"].insert(v); break;
      case ObservationKind::ja3s: seen["ja3s"].insert(v); break;
      default: break;
    }
  }
  std::map<std::string, std::set<std::string>> seen;
};

struct Tally {
  std::size_t want = 0, found = 0;
};

const char* const kKinds[] = {"dns_query", "tls_sni", "http_host", "http_url", "dst_ip",
                              "x509_sha1", "ja3",     "ja3s"};

// Truth rows that are tshark's placeholders, not values on the wire.
bool placeholder(const std::string& value) { return value == "<name too long>" || value == "<Root>"; }


std::map<std::string, std::set<std::string>> observe(const std::string& path, std::string& error) {
  Collector c;
  capture::TrafficObserverConfig config;
  capture::TrafficObserver observer(config, c);
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, err);
  if (p == nullptr) {
    error = err;
    return {};
  }
  const int dlt = pcap_datalink(p);
  pcap_pkthdr* h = nullptr;
  const u_char* d = nullptr;
  while (pcap_next_ex(p, &h, &d) == 1)
    observer.process(dlt, d, h->caplen, h->len, static_cast<rules::TimeUs>(h->ts.tv_sec) * 1000000 + h->ts.tv_usec);
  pcap_close(p);
  observer.flush();
  return c.seen;
}

TEST(CorpusRecall, EveryCaptureIsObservedWithTheRecallTheIssueRequires) {
  OUTPOST_REQUIRE_CORPUS();
  std::map<std::string, Tally> total;
  std::string misses;
  std::printf("%-52s", "capture");
  for (const char* k : kKinds) std::printf(" %11s", k);
  std::printf("\n");
  for (const std::string& capture : test::corpus_captures()) {
    std::string error;
    const auto seen = observe(test::corpus_path("pcap/" + capture), error);
    ASSERT_TRUE(error.empty()) << capture << ": " << error;
    std::printf("%-52s", capture.c_str());
    for (const char* kind : kKinds) {
      std::set<std::string> want = test::truth_values(capture, kind);
      // Names are normalised to lowercase (the issue's rule); the truth keeps the wire case.
      if (std::string(kind) == "dns_query" || std::string(kind) == "tls_sni" || std::string(kind) == "http_host") {
        std::set<std::string> l;
        for (const auto& v : want) l.insert(lower(v));
        want = l;
      }
      if (want.empty()) {
        std::printf(" %11s", "-");
        continue;
      }
      const auto it = seen.find(kind);
      std::size_t found = 0;
      for (const auto& v : want) {
        if (placeholder(v)) continue;
        if (it != seen.end() && it->second.count(v)) ++found;
        else misses += "  " + capture + " " + kind + ": " + v + "\n";
      }
      char cell[32];
      const std::size_t wanted = static_cast<std::size_t>(
          std::count_if(want.begin(), want.end(), [](const std::string& v) { return !placeholder(v); }));
      std::snprintf(cell, sizeof cell, "%zu/%zu", found, wanted);
      std::printf(" %11s", cell);
      total[kind].want += wanted;
      total[kind].found += found;
    }
    std::printf("\n");
  }
  std::printf("\nrecall per kind (tshark placeholders such as <name too long> are not values):\n");
  for (const char* kind : kKinds) {
    const Tally t = total[kind];
    std::printf("  %-10s %6zu / %6zu = %6.2f %%\n", kind, t.found, t.want, t.want ? 100.0 * t.found / t.want : 100.0);
  }
  if (!misses.empty()) std::printf("missed values:\n%s", misses.c_str());

  auto recall = [&](const char* kind) {
    const Tally t = total[kind];
    return t.want ? 100.0 * static_cast<double>(t.found) / static_cast<double>(t.want) : 100.0;
  };
  for (const char* kind : {"dns_query", "tls_sni", "http_host", "dst_ip"}) EXPECT_GE(recall(kind), 95.0) << kind;
  for (const char* kind : {"http_url", "x509_sha1", "ja3", "ja3s"}) EXPECT_GE(recall(kind), 90.0) << kind;
}

}  // namespace
}  // namespace outpost
