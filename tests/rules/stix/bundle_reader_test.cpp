#include "rules/stix/bundle_reader.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "support/corpus.h"

namespace outpost::rules::stix {
namespace {

struct Recorder : BundleSink {
  std::vector<StixIndicator> indicators;
  std::vector<MarkingDefinition> markings;
  std::vector<std::string> skipped;  // "<index> <problem> <detail>"
  void on_indicator(StixIndicator&& i) override { indicators.push_back(std::move(i)); }
  void on_marking_definition(MarkingDefinition&& m) override { markings.push_back(std::move(m)); }
  void on_skipped(std::uint64_t index, std::string_view, ObjectProblem p, std::string_view detail) override {
    skipped.push_back(std::to_string(index) + " " + std::string(object_problem_name(p)) +
                      (detail.empty() ? "" : " " + std::string(detail)));
  }
};

std::vector<std::string> json_files(const std::string& dir) {
  std::vector<std::string> out;
  std::vector<std::string> todo{dir};
  while (!todo.empty()) {
    const std::string d = todo.back();
    todo.pop_back();
    DIR* h = opendir(d.c_str());
    if (!h) continue;
    while (dirent* e = readdir(h)) {
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      const std::string path = d + "/" + name;
      struct stat st {};
      if (stat(path.c_str(), &st) != 0) continue;
      if (S_ISDIR(st.st_mode)) todo.push_back(path);
      else if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0) out.push_back(path);
    }
    closedir(h);
  }
  std::sort(out.begin(), out.end());
  return out;
}

ReadStatus read_text(const std::string& text, Recorder& r, BundleSummary& s, const BundleLimits& limits = {}) {
  return read_bundle_memory("input.json", text.data(), text.size(), r, s, limits);
}

TEST(BundleReader, ReadsEveryOasisExampleBundle) {
  OUTPOST_REQUIRE_CORPUS();
  const auto files = json_files(test::corpus_path("stix/bundles/oasis-examples"));
  ASSERT_EQ(files.size(), 8u);
  std::uint64_t indicators = 0;
  for (const auto& f : files) {
    Recorder r;
    BundleSummary s;
    const ReadStatus st = read_bundle_file(f, r, s);
    EXPECT_TRUE(st.ok) << st.message;
    EXPECT_GT(s.objects, 0u) << f;
    EXPECT_TRUE(r.skipped.empty()) << f << ": " << r.skipped.front();
    for (const auto& i : r.indicators) {
      EXPECT_FALSE(i.pattern.empty());
      EXPECT_EQ(i.spec_version, "2.1") << f;
    }
    indicators += r.indicators.size();
  }
  EXPECT_GE(indicators, 40u);
}

TEST(BundleReader, ReadsEveryUnit42BundleAsStix20) {
  OUTPOST_REQUIRE_CORPUS();
  const auto files = json_files(test::corpus_path("stix/bundles/unit42"));
  ASSERT_EQ(files.size(), 55u);
  std::uint64_t indicators = 0;
  for (const auto& f : files) {
    Recorder r;
    BundleSummary s;
    const ReadStatus st = read_bundle_file(f, r, s);
    ASSERT_TRUE(st.ok) << st.message;
    EXPECT_EQ(s.shape, InputShape::bundle);
    EXPECT_EQ(s.spec_version, "2.0") << f;
    EXPECT_TRUE(r.skipped.empty()) << f << ": " << r.skipped.front();
    for (const auto& i : r.indicators) {
      // Unit 42 writes keys in alphabetical order: the bundle's spec_version comes after
      // "objects", so the summary carries it.
      EXPECT_EQ(i.spec_version.empty() ? s.spec_version : i.spec_version, "2.0");
      EXPECT_TRUE(i.pattern_type.empty() || i.pattern_type == "stix") << i.pattern_type;
      EXPECT_NE(i.valid_from, kNoTime);
      EXPECT_FALSE(i.indicator_types.empty()) << "2.0 labels are read as indicator_types";
    }
    indicators += r.indicators.size();
  }
  std::printf("[ unit42   ] %llu indicators in %zu bundles\n", static_cast<unsigned long long>(indicators), files.size());
  EXPECT_GT(indicators, 1500u);
}

TEST(BundleReader, ReadsPythonStix2FixturesAndValidValidatorExamples) {
  OUTPOST_REQUIRE_CORPUS();
  auto files = json_files(test::corpus_path("stix/bundles/python-stix2"));
  for (const auto& f : json_files(test::corpus_path("stix/bundles/validator-examples")))
    if (f.find("invalid_braces") == std::string::npos && f.find("invalid_comma") == std::string::npos) files.push_back(f);
  ASSERT_EQ(files.size(), 31u + 8u);
  for (const auto& f : files) {
    Recorder r;
    BundleSummary s;
    const ReadStatus st = read_bundle_file(f, r, s);
    EXPECT_TRUE(st.ok) << st.message;
  }
}

TEST(BundleReader, FailsTheKnownMalformedValidatorExamplesNamingFileAndOffset) {
  OUTPOST_REQUIRE_CORPUS();
  for (const char* name : {"invalid_braces.json", "invalid_comma.json"}) {
    const std::string path = test::corpus_path(std::string("stix/bundles/validator-examples/") + name);
    Recorder r;
    BundleSummary s;
    const ReadStatus st = read_bundle_file(path, r, s);
    EXPECT_FALSE(st.ok) << name;
    EXPECT_EQ(st.message.find(path + ": byte "), 0u) << st.message;
    EXPECT_NE(st.message.find("not valid JSON"), std::string::npos) << st.message;
    EXPECT_EQ(st.message.find('\n'), std::string::npos);
  }
}

TEST(BundleReader, ReportsTheByteOffsetOfASyntaxError) {
  Recorder r;
  BundleSummary s;
  const ReadStatus st = read_text(R"({"type": "bundle", "objects": [ {"type": "indicator",, }]})", r, s);
  ASSERT_FALSE(st.ok);
  EXPECT_EQ(st.offset, 53u);  // the second comma
  EXPECT_EQ(st.message.find("input.json: byte 53: not valid JSON"), 0u) << st.message;
}

TEST(BundleReader, RefusesJsonThatIsNotABundleEnvelopeOrObject) {
  for (const char* text : {"[1, 2]", "42", R"({"hello": "world"})", R"({"type": "bundle", "objects": 5})",
                           R"({"type": "identity", "objects": []})", ""}) {
    Recorder r;
    BundleSummary s;
    const ReadStatus st = read_text(text, r, s);
    EXPECT_FALSE(st.ok) << text;
    EXPECT_EQ(st.message.find("input.json: byte "), 0u) << st.message;
  }
}

TEST(BundleReader, SkipsMalformedObjectsWithAReasonAndKeepsTheRest) {
  Recorder r;
  BundleSummary s;
  const ReadStatus st = read_bundle_file(test::data_path("rules/malformed_objects.json"), r, s);
  ASSERT_TRUE(st.ok) << st.message;
  EXPECT_EQ(s.objects, 13u);
  std::vector<std::string> ids;
  for (const auto& i : r.indicators) ids.push_back(i.id);
  // Well-formed objects reach the sink (sigma, broken and unsupported patterns are the
  // compiler's business, not the reader's).
  EXPECT_EQ(ids, (std::vector<std::string>{"indicator--44444444-4444-4444-8444-444444444444",
                                           "indicator--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
                                           "indicator--bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
                                           "indicator--cccccccc-cccc-4ccc-8ccc-cccccccccccc"}));
  EXPECT_EQ(r.skipped, (std::vector<std::string>{"1 missing id", "2 missing pattern", "3 bad timestamp valid_from",
                                                 "4 wrong type pattern", "5 wrong type confidence",
                                                 "6 wrong type object_marking_refs", "7 not an object",
                                                 "11 bad id not-an-indicator-id"}));
  EXPECT_EQ(s.skipped, r.skipped.size());
}

TEST(BundleReader, ReadsTaxiiEnvelopesWithMoreAndNext) {
  Recorder r;
  BundleSummary s;
  const ReadStatus st = read_bundle_file(test::data_path("rules/taxii_envelope.json"), r, s);
  ASSERT_TRUE(st.ok) << st.message;
  EXPECT_EQ(s.shape, InputShape::envelope);
  EXPECT_TRUE(s.more);
  EXPECT_EQ(s.next, "page-2");
  EXPECT_EQ(r.indicators.size(), 2u);
  BundleSummary empty;
  EXPECT_TRUE(read_text("{}", r, empty).ok) << "TAXII 2.1 §3.7: an empty envelope";
  EXPECT_EQ(empty.shape, InputShape::envelope);
}

TEST(BundleReader, GivesStix20ObjectsTheBundleSpecVersionEvenWhenItComesLast) {
  Recorder r;
  BundleSummary s;
  const ReadStatus st = read_bundle_file(test::data_path("rules/stix20_spec_version_last.json"), r, s);
  ASSERT_TRUE(st.ok) << st.message;
  EXPECT_EQ(s.spec_version, "2.0");
  ASSERT_EQ(r.indicators.size(), 1u);
  EXPECT_TRUE(r.indicators[0].spec_version.empty()) << "read before the bundle's key: the caller uses the summary";
  EXPECT_EQ(r.indicators[0].indicator_types, (std::vector<std::string>{"malicious-activity"}));
}

TEST(BundleReader, ReadsABareStixObject) {
  Recorder r;
  BundleSummary s;
  const ReadStatus st = read_text(R"({"type": "indicator", "spec_version": "2.1",
      "id": "indicator--e0000000-0000-4000-8000-000000000009", "created": "2021-01-01T00:00:00Z",
      "modified": "2021-01-01T00:00:00Z", "valid_from": "2021-01-01T00:00:00Z", "confidence": 40,
      "pattern_type": "stix", "pattern": "[domain-name:value = 'bare.example']"})", r, s);
  ASSERT_TRUE(st.ok) << st.message;
  EXPECT_EQ(s.shape, InputShape::object);
  ASSERT_EQ(r.indicators.size(), 1u);
  EXPECT_EQ(r.indicators[0].confidence, 40);
}

TEST(BundleReader, KeepsMarkingDefinitions) {
  Recorder r;
  BundleSummary s;
  ASSERT_TRUE(read_bundle_file(test::data_path("rules/versions.json"), r, s).ok);
  ASSERT_EQ(r.markings.size(), 1u);
  EXPECT_EQ(r.markings[0].definition_type, "tlp");
  EXPECT_EQ(r.markings[0].tlp, "green");
  EXPECT_EQ(r.markings[0].name, "TLP:GREEN");
}

TEST(BundleReader, BoundsNestingDepthAsAWholeInputError) {
  std::string deep = R"({"type": "bundle", "objects": [{"type": "x", "a": )";
  for (int i = 0; i < 100000; ++i) deep += '[';
  Recorder r;
  BundleSummary s;
  const ReadStatus st = read_text(deep, r, s);
  ASSERT_FALSE(st.ok);
  EXPECT_NE(st.message.find("nested deeper than 32"), std::string::npos) << st.message;
}

TEST(BundleReader, BoundsTheLengthOfOneJsonToken) {
  BundleLimits limits;
  limits.max_token_bytes = 1000;
  const std::string text = R"({"type": "bundle", "objects": [{"type": "x", "description": ")" +
                           std::string(5000, 'a') + R"("}]})";
  Recorder r;
  BundleSummary s;
  const ReadStatus st = read_text(text, r, s, limits);
  ASSERT_FALSE(st.ok);
  EXPECT_NE(st.message.find("longer than 1000 bytes"), std::string::npos) << st.message;
  EXPECT_TRUE(read_text(text, r, s).ok) << "within the default bound";
}

TEST(BundleReader, SkipsIndicatorsWhoseBoundedFieldsAreTooLong) {
  BundleLimits limits;
  limits.max_pattern_bytes = 64;
  limits.max_list_items = 2;
  const std::string text = R"({"type": "bundle", "objects": [
    {"type": "indicator", "id": "indicator--e0000000-0000-4000-8000-00000000000a", "pattern": "[domain-name:value = ')" +
                           std::string(100, 'a') + R"(.com']"},
    {"type": "indicator", "id": "indicator--e0000000-0000-4000-8000-00000000000b", "pattern": "[domain-name:value = 'b.com']",
     "object_marking_refs": ["marking-definition--1", "marking-definition--2", "marking-definition--3"],
     "name": ")" + std::string(1000, 'n') + R"("}]})";
  Recorder r;
  BundleSummary s;
  ASSERT_TRUE(read_text(text, r, s, limits).ok);
  EXPECT_EQ(r.skipped, (std::vector<std::string>{"0 field too long pattern", "1 too many items object_marking_refs"}));
  limits.max_list_items = 3;
  Recorder r2;
  ASSERT_TRUE(read_text(text, r2, s, limits).ok);
  ASSERT_EQ(r2.indicators.size(), 1u);
  EXPECT_EQ(r2.indicators[0].name.size(), limits.max_text_bytes) << "names are truncated, not refused";
}

TEST(BundleReader, ReadsGzipCompressedBundles) {
  OUTPOST_REQUIRE_CORPUS();
  const std::string src = test::corpus_path("stix/bundles/oasis-examples/threat-reports/apt1.json");
  const std::string gz = std::string(OUTPOST_BINARY_DIR) + "/apt1-test.json.gz";
  ASSERT_EQ(std::system(("gzip -c '" + src + "' > '" + gz + "'").c_str()), 0);
  Recorder plain, packed;
  BundleSummary s1, s2;
  ASSERT_TRUE(read_bundle_file(src, plain, s1).ok);
  const ReadStatus st = read_bundle_file(gz, packed, s2);
  ASSERT_TRUE(st.ok) << st.message;
  EXPECT_EQ(s1.objects, s2.objects);
  EXPECT_EQ(plain.indicators.size(), packed.indicators.size());
  std::remove(gz.c_str());
}

}  // namespace
}  // namespace outpost::rules::stix
