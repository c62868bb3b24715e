// Loads every real indicator list of the corpus into one set, then looks up a sample of each
// list's own entries (all must be found, under the id derived from their canonical value) and
// decoys (none may be found), and prints memory per entry and load time.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <unordered_set>
#include <vector>

#include "rules/indicator_set.h"
#include "rules/lists/list_reader.h"
#include "rules/stix/stix_id.h"
#include "support/corpus.h"

namespace outpost::rules {
namespace {

struct RealList {
  const char* file;
  const char* kind;  // nullptr: typed line by line
  IndicatorType type;
  ObservationKind observe;
};

const RealList kLists[] = {
    {"domains.txt.gz", nullptr, IndicatorType::domain, ObservationKind::dns_query},
    {"ipv4.txt", nullptr, IndicatorType::ipv4, ObservationKind::dst_ip},
    {"ipv6.txt", nullptr, IndicatorType::ipv6, ObservationKind::dst_ip},
    {"ip_port.txt", nullptr, IndicatorType::ip_port, ObservationKind::ip_port},
    {"urls.txt", nullptr, IndicatorType::url, ObservationKind::http_url},
    {"sha256.txt", nullptr, IndicatorType::sha256, ObservationKind::http_file_sha256},
    {"md5.txt", nullptr, IndicatorType::md5, ObservationKind::http_file_md5},
    {"sha1.txt", nullptr, IndicatorType::sha1, ObservationKind::http_file_sha1},
    {"x509_sha1.txt", "x509_sha1", IndicatorType::x509_sha1, ObservationKind::x509_sha1},
    {"ja3.txt", "ja3", IndicatorType::ja3, ObservationKind::ja3},
};

struct Count : MatchSink {
  std::vector<std::string> ids, terms;
  void on_match(const MatchedIndicator& m, const Observation&) override {
    ids.emplace_back(m.id());
    terms.emplace_back(m.matched_term);
  }
};

// The value an observation carries for a canonical list entry (a CIDR is observed as an
// address inside it).
std::string observed_value(IndicatorType type, const std::string& canonical) {
  if ((type == IndicatorType::ipv4 || type == IndicatorType::ipv6) && canonical.find('/') != std::string::npos)
    return canonical.substr(0, canonical.find('/'));
  return canonical;
}

std::string decoy(IndicatorType type, std::size_t i, const std::string& sample) {
  switch (type) {
    case IndicatorType::domain: return "decoy-" + std::to_string(i) + ".outpost-test.invalid";
    case IndicatorType::ipv4: return "192.0.2." + std::to_string(i % 256);  // TEST-NET-1 (RFC 5737)
    case IndicatorType::ipv6: return "2001:db8::" + std::to_string(i % 9999);  // RFC 3849
    case IndicatorType::ip_port: return "198.51.100." + std::to_string(i % 256) + ":" + std::to_string(1 + i % 65000);
    case IndicatorType::url: return sample + (sample.find('?') == std::string::npos ? "?" : "&") + "outpost-decoy";
    default: {
      std::string d = sample;  // another digest of the same size
      d[0] = d[0] == '0' ? '1' : '0';
      d[d.size() - 1] = d[d.size() - 1] == '0' ? '1' : '0';
      return d;
    }
  }
}

TEST(RealIndicatorLists, LoadCompactlyAndFindTheirOwnEntriesButNotDecoys) {
  OUTPOST_REQUIRE_CORPUS();
  IndicatorSetBuilder builder;
  const auto t0 = std::chrono::steady_clock::now();
  for (const RealList& l : kLists) {
    const std::string path = test::corpus_path(std::string("indicators/") + l.file);
    const LoadStatus st = builder.add(l.kind ? std::string(l.kind) + ":" + path : path);
    ASSERT_TRUE(st.ok) << st.message;
  }
  const auto set = builder.build();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%s", set->stats().to_text().c_str());
  std::printf("[ lists    ] loaded %zu entries in %.2f s, %.1f bytes per entry overall\n", set->size(), seconds,
              static_cast<double>(set->memory_bytes()) / static_cast<double>(set->size()));

  for (const RealList& l : kLists) {
    const std::string path = test::corpus_path(std::string("indicators/") + l.file);
    std::vector<std::string> entries;
    std::unordered_set<std::string> all;
    std::string canonical;
    const std::string err = lists::read_list_file(path, [&](std::uint64_t, std::string_view line, bool) {
      const lists::ListLine ll = lists::split_list_line(line);
      if (ll.kind != lists::LineKind::value) return;
      if (normalise_indicator_value(l.type, ll.value, canonical) != ValueError::none) return;
      all.insert(canonical);
      entries.push_back(canonical);
    });
    ASSERT_EQ(err, "");
    const std::size_t step = entries.size() > 2000 ? entries.size() / 2000 : 1;
    std::size_t sampled = 0, found = 0, decoys = 0, decoys_found = 0;
    for (std::size_t i = 0; i < entries.size(); i += step) {
      ++sampled;
      const std::string value = observed_value(l.type, entries[i]);
      Observation o;
      o.kind = l.observe;
      o.value = value;
      Count c;
      set->match(o, c);
      for (std::size_t k = 0; k < c.terms.size(); ++k) {
        if (c.terms[k] != entries[i]) continue;
        ++found;
        EXPECT_EQ(c.ids[k], outpost_id("indicator", std::string(indicator_type_name(l.type)) + ":" + entries[i]));
        break;
      }
      const std::string d = decoy(l.type, i, entries[i]);
      if (all.count(d)) continue;
      ++decoys;
      o.value = d;
      Count dc;
      set->match(o, dc);
      if (!dc.terms.empty()) {
        ++decoys_found;
        ADD_FAILURE() << l.file << ": decoy " << d << " matched " << dc.terms[0];
      }
    }
    EXPECT_EQ(found, sampled) << l.file;
    EXPECT_GT(decoys, sampled / 2) << l.file;
    EXPECT_EQ(decoys_found, 0u) << l.file;
    std::printf("[ lists    ] %-15s %8zu entries, %5zu sampled all found, %5zu decoys none found, %6.1f bytes/entry\n",
                l.file, set->size(l.type), sampled, decoys,
                static_cast<double>(set->memory_bytes(l.type)) / static_cast<double>(set->size(l.type)));
  }
  // Compactness: nDPI needs ~1 KB per domain and ~157 B per IPv4 address.
  EXPECT_LT(set->memory_bytes(IndicatorType::domain) / set->size(IndicatorType::domain), 48u);
  EXPECT_LT(set->memory_bytes(IndicatorType::ipv4) / set->size(IndicatorType::ipv4), 24u);
  EXPECT_LT(set->memory_bytes(IndicatorType::sha256) / set->size(IndicatorType::sha256), 56u);
}

TEST(RealIndicatorLists, LookupsStayFastOnTheFullDomainList) {
  OUTPOST_REQUIRE_CORPUS();
  IndicatorSetBuilder builder;
  ASSERT_TRUE(builder.add(test::corpus_path("indicators/domains.txt.gz")).ok);
  const auto set = builder.build();
  struct Nothing : MatchSink {
    std::size_t n = 0;
    void on_match(const MatchedIndicator&, const Observation&) override { ++n; }
  } sink;
  const std::string names[] = {"www.google.com", "a.b.c.d.e.f.example.org", "0--0.gq", "cdn.0--0.ml", "localhost"};
  Observation o;
  o.kind = ObservationKind::tls_sni;
  const int rounds = 200000;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < rounds; ++i) {
    o.value = names[i % 5];
    set->match(o, sink);
  }
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / rounds;
  std::printf("[ lists    ] %.0f ns per domain observation against %zu domains\n", ns, set->size());
  EXPECT_EQ(sink.n, static_cast<std::size_t>(rounds / 5 * 2));  // 0--0.gq and its subdomain
}

}  // namespace
}  // namespace outpost::rules
