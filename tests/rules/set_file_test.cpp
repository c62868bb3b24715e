#include "rules/set_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "rules/sets/table.h"
#include "support/corpus.h"

namespace outpost::rules {
namespace {

// Every value the fixture sets below are probed with: hits of each type, parents, misses.
const std::vector<std::pair<ObservationKind, std::string>> kProbes = {
    {ObservationKind::dns_query, "evil.example.com"},      {ObservationKind::dns_query, "a.b.listed.org"},
    {ObservationKind::dns_query, "listed.org"},            {ObservationKind::dns_query, "x.evil.example.com"},
    {ObservationKind::dns_query, "nothing.example.net"},   {ObservationKind::dst_ip, "198.51.100.7"},
    {ObservationKind::dst_ip, "203.0.113.200"},            {ObservationKind::dst_ip, "2001:db8:1::5"},
    {ObservationKind::dst_ip, "192.0.2.1"},                {ObservationKind::ip_port, "192.0.2.10:8443"},
    {ObservationKind::ip_port, "[2001:db8::10]:53"},       {ObservationKind::http_url, "http://bad.example/gate.php"},
    {ObservationKind::http_file_sha256, std::string(64, 'a')}, {ObservationKind::http_file_md5, std::string(32, 'b')},
    {ObservationKind::x509_sha1, std::string(40, 'c')},    {ObservationKind::ja3, std::string(32, 'd')},
};

std::string bundle() {
  return R"({"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000001","objects":[
    {"type":"marking-definition","spec_version":"2.1","id":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
     "created":"2022-10-01T00:00:00Z","definition_type":"tlp","name":"TLP:GREEN","definition":{"tlp":"green"}},
    {"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111",
     "created":"2020-01-01T00:00:00Z","modified":"2021-01-01T00:00:00Z","valid_from":"2020-01-01T00:00:00Z",
     "valid_until":"2030-01-01T00:00:00Z","confidence":80,
     "object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
     "pattern_type":"stix","pattern":"[domain-name:value = 'evil.example.com'] OR [ipv4-addr:value = '203.0.113.0/24']"},
    {"type":"indicator","spec_version":"2.1","id":"indicator--22222222-2222-4222-8222-222222222222",
     "created":"2020-01-01T00:00:00Z","modified":"2020-01-01T00:00:00Z","valid_from":"2020-01-01T00:00:00Z",
     "pattern_type":"stix","pattern":"[file:hashes.'SHA-256' = ')" + std::string(64, 'a') + R"(']"}]})";
}

std::unique_ptr<IndicatorSet> fixture_set() {
  IndicatorSetBuilder b;
  EXPECT_TRUE(b.add_bundle_memory("feed.json", bundle()).ok);
  ListOptions lo;
  lo.confidence = 60;
  lo.version = "v7";
  EXPECT_TRUE(b.add_list_memory("lists/mixed.txt",
                                "listed.org\n198.51.100.0/25\n2001:db8:1::/48\n192.0.2.10:8443\n[2001:db8::10]:53\n"
                                "http://bad.example/gate.php\n" + std::string(32, 'b') + "\n",
                                std::nullopt, lo)
                  .ok);
  EXPECT_TRUE(b.add_list_memory("lists/certs.txt", std::string(40, 'c') + "\n", IndicatorType::x509_sha1).ok);
  EXPECT_TRUE(b.add_list_memory("lists/ja3.txt", std::string(32, 'd') + "\n", IndicatorType::ja3).ok);
  return b.build();
}

// A match as text, so two sets can be compared whole.
struct Record : MatchSink {
  std::vector<std::string> lines;
  void on_match(const MatchedIndicator& m, const Observation& o) override {
    std::ostringstream s;
    s << observation_kind_name(o.kind) << ' ' << o.value << " -> " << m.id() << ' ' << m.matched_term << ' '
      << m.source->name << '@' << m.source->version << " c=" << m.confidence;
    if (m.marking_refs)
      for (const auto& r : *m.marking_refs) s << ' ' << r;
    lines.push_back(s.str());
  }
};

std::vector<std::string> probe_all(const IndicatorSet& set, TimeUs ts = 1700000000000000) {
  Record r;
  for (const auto& [kind, value] : kProbes) {
    Observation o;
    o.kind = kind;
    o.value = value;
    o.ts = ts;
    set.match(o, r);
  }
  return r.lines;
}

std::unique_ptr<IndicatorSet> reload(const std::string& bytes, const SetFileOptions& options = {}) {
  auto keep = std::make_shared<std::string>(bytes);
  LoadStatus st;
  auto set = SetFile::load_image("mem.set", reinterpret_cast<const std::uint8_t*>(keep->data()), keep->size(), keep,
                                 st, options);
  if (!set) ADD_FAILURE() << st.message;
  return set;
}

TEST(SetFile, ALoadedSetMatchesExactlyWhatTheBuiltSetMatched) {
  const auto built = fixture_set();
  const auto want = probe_all(*built);
  ASSERT_GE(want.size(), 12u);
  const auto loaded = reload(SetFile::serialise(*built));
  ASSERT_TRUE(loaded);
  EXPECT_EQ(probe_all(*loaded), want);
  EXPECT_EQ(loaded->size(), built->size());
  EXPECT_EQ(loaded->stats().sources.size(), built->stats().sources.size());
  EXPECT_EQ(loaded->stats().stix_indicators, 2u);
  EXPECT_NE(loaded->marking_definition("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"), nullptr);
  for (std::size_t k = 0; k < kObservationKindCount; ++k)
    EXPECT_EQ(loaded->wants(static_cast<ObservationKind>(k)), built->wants(static_cast<ObservationKind>(k)));
}

TEST(SetFile, ValidityIsEnforcedAfterLoadingAsBefore) {
  const auto loaded = reload(SetFile::serialise(*fixture_set()));
  ASSERT_TRUE(loaded);
  // After valid_until (2030) the STIX indicator is inactive; list entries stay.
  const auto late = probe_all(*loaded, 1900000000000000);
  for (const auto& l : late) EXPECT_EQ(l.find("indicator--1111"), std::string::npos) << l;
  EXPECT_FALSE(late.empty());
}

TEST(SetFile, TheSameInputsGiveTheSameBytesApartFromTheWriteTime) {
  std::string a = SetFile::serialise(*fixture_set()), b = SetFile::serialise(*fixture_set());
  ASSERT_EQ(a.size(), b.size());
  // Bytes 32..39 are the write time, 60..63 the header checksum over it.
  for (std::string* s : {&a, &b}) {
    std::fill(s->begin() + 32, s->begin() + 40, '\0');
    std::fill(s->begin() + 60, s->begin() + 64, '\0');
  }
  EXPECT_EQ(a, b);
}

TEST(SetFile, EveryTruncationIsRefusedWithAOneLineMessage) {
  const std::string bytes = SetFile::serialise(*fixture_set());
  for (std::size_t n = 0; n < bytes.size(); n += (n < 200 ? 1 : 97)) {
    auto keep = std::make_shared<std::string>(bytes.substr(0, n));
    LoadStatus st;
    EXPECT_FALSE(SetFile::load_image("cut.set", reinterpret_cast<const std::uint8_t*>(keep->data()), keep->size(),
                                     keep, st))
        << n;
    EXPECT_FALSE(st.ok);
    EXPECT_EQ(st.message.find('\n'), std::string::npos);
    EXPECT_EQ(st.message.rfind("cut.set: ", 0), 0u) << st.message;
  }
}

TEST(SetFile, AnyFlippedByteIsCaughtByTheChecksums) {
  const std::string bytes = SetFile::serialise(*fixture_set());
  for (std::size_t i = 0; i < bytes.size(); i += 13) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    auto keep = std::make_shared<std::string>(bad);
    LoadStatus st;
    EXPECT_FALSE(SetFile::load_image("flip.set", reinterpret_cast<const std::uint8_t*>(keep->data()), keep->size(),
                                     keep, st))
        << "byte " << i;
  }
}

TEST(SetFile, ACorruptBodyBehindAValidHeaderNeverReadsOutOfBounds) {
  // With the body checksum off (as the fuzz target runs), a corrupt shard or record may load:
  // lookups must stay inside the blocks (ASan would report otherwise) and may only miss.
  const std::string bytes = SetFile::serialise(*fixture_set());
  const std::size_t body = 64 + 40 * sets::get_u32(reinterpret_cast<const std::uint8_t*>(bytes.data()) + 24);
  SetFileOptions unchecked;
  unchecked.verify_checksum = false;
  std::size_t loaded = 0;
  for (std::size_t i = body; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ (i % 2 ? 0xff : 0x41));
    auto keep = std::make_shared<std::string>(bad);
    LoadStatus st;
    auto set = SetFile::load_image("bad.set", reinterpret_cast<const std::uint8_t*>(keep->data()), keep->size(), keep,
                                   st, unchecked);
    if (!set) continue;
    ++loaded;
    probe_all(*set);
  }
  EXPECT_GT(loaded, 0u);
}

TEST(SetFile, RefusesAFileOfAnotherFormatVersionNamingBoth) {
  std::string bytes = SetFile::serialise(*fixture_set());
  bytes[8] = 9;
  auto keep = std::make_shared<std::string>(bytes);
  LoadStatus st;
  EXPECT_FALSE(SetFile::load_image("old.set", reinterpret_cast<const std::uint8_t*>(keep->data()), keep->size(), keep,
                                   st));
  EXPECT_NE(st.message.find("version 9"), std::string::npos) << st.message;
  EXPECT_NE(st.message.find("version " + std::to_string(kSetFileVersion)), std::string::npos) << st.message;
}

TEST(SetFile, WritesAtomicallyAndLoadsByMappingTheFile) {
  const std::string path = ::testing::TempDir() + "/outpost-set-file-test.set";
  ASSERT_EQ(SetFile::write(*fixture_set(), path), "");
  EXPECT_TRUE(SetFile::sniff(path));
  LoadStatus st;
  auto set = SetFile::load(path, st);
  ASSERT_TRUE(set) << st.message;
  EXPECT_EQ(probe_all(*set), probe_all(*fixture_set()));
  EXPECT_EQ(set->stats().set_file, path);
  EXPECT_EQ(set->stats().set_file_bytes, SetFile::serialise(*fixture_set()).size());
  std::remove(path.c_str());
  EXPECT_NE(SetFile::write(*fixture_set(), "/nonexistent-dir/x.set").find("/nonexistent-dir/x.set: cannot write"),
            std::string::npos);
}

TEST(SetFile, ACompiledSetCombinesWithOtherInputsThroughTheBuilder) {
  const std::string path = ::testing::TempDir() + "/outpost-set-combine.set";
  ASSERT_EQ(SetFile::write(*fixture_set(), path), "");
  // A newer version of indicator 1111 in a second input replaces the compiled one.
  const std::string newer = R"({"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000002","objects":[
    {"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111",
     "created":"2020-01-01T00:00:00Z","modified":"2022-01-01T00:00:00Z","valid_from":"2020-01-01T00:00:00Z",
     "pattern_type":"stix","pattern":"[domain-name:value = 'newer.example.com']"}]})";
  const std::string bundle_path = ::testing::TempDir() + "/outpost-set-combine.json";
  {
    std::ofstream(bundle_path) << newer;
  }
  LoadStatus st;
  auto set = load_indicators({path, bundle_path}, {}, st);
  ASSERT_TRUE(set) << st.message;
  Record r;
  for (const char* name : {"evil.example.com", "newer.example.com", "listed.org"}) {
    Observation o;
    o.kind = ObservationKind::dns_query;
    o.value = name;
    o.ts = 1700000000000000;
    set->match(o, r);
  }
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_NE(r.lines[0].find("newer.example.com -> indicator--1111"), std::string::npos) << r.lines[0];
  EXPECT_NE(r.lines[1].find("listed.org"), std::string::npos) << r.lines[1];
  std::remove(path.c_str());
  std::remove(bundle_path.c_str());
}

// The committed fixture tests/data/rules/golden.set was compiled on x86-64 (the command is in
// tests/data/rules/README.md). Read on another CPU (big-endian s390x, 32-bit ARM under qemu:
// tests/cross) it must give the same matches as the same inputs compiled there.
TEST(SetFile, TheCommittedGoldenSetReadsTheSameOnEveryCpu) {
  // Paths as the fixture was compiled with (tests run in the source tree's root).
  LoadStatus st;
  auto set = SetFile::load("tests/data/rules/golden.set", st);
  ASSERT_TRUE(set) << st.message;
  auto rebuilt = load_indicators({"tests/data/rules/golden/feed.json", "tests/data/rules/golden/mixed.txt",
                                  "x509_sha1:tests/data/rules/golden/certs.txt"},
                                 {}, st);
  ASSERT_TRUE(rebuilt) << st.message;
  const auto want = probe_all(*rebuilt);
  EXPECT_GE(want.size(), 10u);
  EXPECT_EQ(probe_all(*set), want);
  EXPECT_EQ(set->size(), rebuilt->size());
}

TEST(SetFileCorpus, AllRealListsCompileAndLoadWithTheSameAnswers) {
  OUTPOST_REQUIRE_CORPUS();
  std::vector<std::string> specs;
  for (const char* f : {"domains.txt.gz", "ipv4.txt", "ipv6.txt", "ip_port.txt", "urls.txt", "sha256.txt", "md5.txt",
                        "sha1.txt"})
    specs.push_back(test::corpus_path(std::string("indicators/") + f));
  specs.push_back("x509_sha1:" + test::corpus_path("indicators/x509_sha1.txt"));
  specs.push_back("ja3:" + test::corpus_path("indicators/ja3.txt"));
  LoadStatus st;
  auto built = load_indicators(specs, {}, st);
  ASSERT_TRUE(built) << st.message;
  const std::string path = ::testing::TempDir() + "/outpost-real-lists.set";
  ASSERT_EQ(SetFile::write(*built, path), "");
  auto loaded = load_indicators({path}, {}, st);
  ASSERT_TRUE(loaded) << st.message;
  EXPECT_EQ(loaded->size(), built->size());
  // Every 97th entry of each type is found in the loaded set with the same id.
  std::size_t checked = 0, i = 0;
  built->for_each_entry([&](IndicatorType type, std::string_view term, const MatchedIndicator& m, bool) {
    if (i++ % 97 != 0) return;
    Observation o;
    switch (type) {
      case IndicatorType::domain: o.kind = ObservationKind::dns_query; break;
      case IndicatorType::ipv4:
      case IndicatorType::ipv6:
        if (term.find('/') != std::string_view::npos) return;
        o.kind = ObservationKind::dst_ip;
        break;
      case IndicatorType::url: o.kind = ObservationKind::http_url; break;
      case IndicatorType::ip_port: o.kind = ObservationKind::ip_port; break;
      case IndicatorType::md5: o.kind = ObservationKind::http_file_md5; break;
      case IndicatorType::sha1: o.kind = ObservationKind::http_file_sha1; break;
      case IndicatorType::sha256: o.kind = ObservationKind::http_file_sha256; break;
      case IndicatorType::x509_sha1: o.kind = ObservationKind::x509_sha1; break;
      case IndicatorType::ja3: o.kind = ObservationKind::ja3; break;
      default: return;
    }
    std::string value(term);
    o.value = value;
    Record r;
    loaded->match(o, r);
    bool found = false;
    for (const auto& l : r.lines) found = found || l.find(std::string(m.id())) != std::string::npos;
    EXPECT_TRUE(found) << indicator_type_name(type) << " " << term;
    ++checked;
  });
  EXPECT_GT(checked, 15000u);
  std::printf("compiled set: %llu entries, %llu bytes (%.1f bytes/entry), loaded in %.3f s\n",
              static_cast<unsigned long long>(loaded->size()),
              static_cast<unsigned long long>(loaded->stats().set_file_bytes),
              static_cast<double>(loaded->stats().set_file_bytes) / static_cast<double>(loaded->size()),
              loaded->stats().load_seconds);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace outpost::rules
