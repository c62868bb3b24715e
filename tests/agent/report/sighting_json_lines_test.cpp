#include "agent/report/sighting_json_lines.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>

#include "agent/report/sighting_aggregator.h"
#include "tests/agent/report/report_test_support.h"

namespace outpost::agent {
namespace {

using rules::ObservationKind;
using namespace outpost::test::report;

// Three windows (08:00, 09:00, 10:00) of one indicator.
std::vector<ClosedWindow> three_windows() {
  Windows out;
  SightingAggregator agg(ReportOptions{}, out.sink());
  TestIndicator ind;
  for (int h = 0; h < 3; ++h)
    agg.on_match(ind.view(), observation(ObservationKind::dst_ip, "67.215.92.210",
                                         at("2019-09-27T08:10:00Z") + h * 3600 * kSecond));
  agg.flush();
  return std::move(out.closed);
}

TEST(SightingJsonLines, WritesOneBundlePerLineToAStream) {
  const PseudonymKey key = test_key();
  StixBundleWriter writer(ReportOptions{}, &key);
  std::ostringstream out;
  SightingJsonLines jsonl(writer, out);
  for (const ClosedWindow& w : three_windows()) EXPECT_TRUE(jsonl.write(w));
  EXPECT_EQ(jsonl.bundles_written(), 3u);
  std::istringstream in(out.str());
  std::string line;
  std::size_t lines = 0;
  while (std::getline(in, line)) {
    const auto doc = parse_json(line);
    EXPECT_STREQ(doc["type"].GetString(), "bundle");
    ++lines;
  }
  EXPECT_EQ(lines, 3u);
  EXPECT_EQ(out.str().back(), '\n');
}

TEST(SightingJsonLines, AppendsToAFileAndMatchesTheStreamOutput) {
  const PseudonymKey key = test_key();
  StixBundleWriter writer(ReportOptions{}, &key);
  const std::string dir = temp_dir();
  const std::string path = dir + "/sightings.jsonl";
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  SightingJsonLines to_file(writer, f);
  std::ostringstream expected;
  SightingJsonLines to_stream(writer, expected);
  for (const ClosedWindow& w : three_windows()) {
    EXPECT_TRUE(to_file.write(w));
    to_stream.write(w);
  }
  std::fclose(f);
  std::ifstream in(path);
  const std::string written((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(written, expected.str());
  remove_tree(dir);
}

TEST(SightingJsonLines, CountsWriteErrors) {
  const PseudonymKey key = test_key();
  StixBundleWriter writer(ReportOptions{}, &key);
  std::FILE* full = std::fopen("/dev/full", "w");
  if (full == nullptr) GTEST_SKIP() << "/dev/full is absent";
  SightingJsonLines jsonl(writer, full);
  EXPECT_FALSE(jsonl.write(three_windows().at(0)));
  EXPECT_EQ(jsonl.write_errors(), 1u);
  EXPECT_EQ(jsonl.bundles_written(), 0u);
  std::fclose(full);

  std::ostringstream bad;
  bad.setstate(std::ios::badbit);
  SightingJsonLines to_bad_stream(writer, bad);
  EXPECT_FALSE(to_bad_stream.write(three_windows().at(0)));
  EXPECT_EQ(to_bad_stream.write_errors(), 1u);
}

}  // namespace
}  // namespace outpost::agent
