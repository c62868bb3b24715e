#include "rules/lists/list_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/corpus.h"

namespace outpost::rules::lists {
namespace {

TEST(ListSpec, TakesOnlyAKnownKindAsPrefix) {
  ListSpec s = parse_list_spec("domain:/data/feeds:2024/bad.txt");
  ASSERT_TRUE(s.kind.has_value());
  EXPECT_EQ(*s.kind, IndicatorType::domain);
  EXPECT_EQ(s.path, "/data/feeds:2024/bad.txt");
  s = parse_list_spec("/data/feeds:2024/bad.txt");
  EXPECT_FALSE(s.kind.has_value());
  EXPECT_EQ(s.path, "/data/feeds:2024/bad.txt");
  s = parse_list_spec("x509_sha1:certs.txt");
  EXPECT_EQ(*s.kind, IndicatorType::x509_sha1);
  s = parse_list_spec("stix:feed.json");
  EXPECT_FALSE(s.kind.has_value());
  EXPECT_EQ(s.path, "stix:feed.json");
}

TEST(ListValueTyping, TypesEachFormByItsShape) {
  const std::vector<std::pair<std::string, IndicatorType>> cases = {
      {"198.51.100.7", IndicatorType::ipv4},
      {"198.51.100.0/24", IndicatorType::ipv4},
      {"2001:db8::1", IndicatorType::ipv6},
      {"2001:678:6c4::/48", IndicatorType::ipv6},
      {"198.51.100.7:8080", IndicatorType::ip_port},
      {"[2001:db8::1]:443", IndicatorType::ip_port},
      {"http://evil.example/gate.php", IndicatorType::url},
      {"evil.example/gate.php", IndicatorType::url},
      {"198.51.100.7:81/x.exe", IndicatorType::url},
      {std::string(32, 'a'), IndicatorType::md5},
      {std::string(40, 'B'), IndicatorType::sha1},
      {std::string(64, 'c'), IndicatorType::sha256},
      {"Evil.Example.", IndicatorType::domain},
      {"xn--80ak6aa92e.com", IndicatorType::domain},
  };
  for (const auto& [value, type] : cases) {
    IndicatorType t;
    ASSERT_TRUE(classify_list_value(value, t)) << value;
    EXPECT_EQ(t, type) << value;
  }
}

TEST(ListValueTyping, RefusesWhatFitsNoForm) {
  const std::vector<std::string> values = {"localhost",    "1.2.3.999", "evil_domain",   "198.51.100.7:0",
                                          "198.51.100.7:70000", "abc/def", "ftp//x", "[2001:db8::1]",
                                          std::string(33, 'a'), "http://a:b:c/"};
  for (const auto& v : values) {
    IndicatorType t;
    EXPECT_FALSE(classify_list_value(v, t)) << v;
  }
}

TEST(ListLine, SkipsCommentsAndBlanksAndToleratesCrlf) {
  EXPECT_EQ(split_list_line("").kind, LineKind::skip);
  EXPECT_EQ(split_list_line("   \r").kind, LineKind::skip);
  EXPECT_EQ(split_list_line("# comment").kind, LineKind::skip);
  EXPECT_EQ(split_list_line("  #indented comment").kind, LineKind::skip);
  ListLine l = split_list_line("evil.example\r");
  EXPECT_EQ(l.kind, LineKind::value);
  EXPECT_EQ(l.value, "evil.example");
  l = split_list_line("\tevil.example   # seen 2024-01-01\r");
  EXPECT_EQ(l.kind, LineKind::value);
  EXPECT_EQ(l.value, "evil.example");
  EXPECT_EQ(split_list_line("0.0.0.0 evil.example").kind, LineKind::invalid);
}

TEST(ListReader, SplitsLinesBoundsTheirLengthAndNumbersThem) {
  std::vector<std::string> lines;
  std::vector<bool> too_long;
  std::vector<std::uint64_t> numbers;
  const std::string text = "\xEF\xBB\xBF" "a.example\r\n\r\n" + std::string(kMaxLineLength + 10, 'x') + "\nlast.example";
  read_list_memory(text, [&](std::uint64_t n, std::string_view l, bool tl) {
    numbers.push_back(n);
    lines.emplace_back(l);
    too_long.push_back(tl);
  });
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "a.example\r");
  EXPECT_TRUE(too_long[2]);
  EXPECT_EQ(lines[2].size(), kMaxLineLength);
  EXPECT_EQ(lines[3], "last.example");
  EXPECT_EQ(numbers, (std::vector<std::uint64_t>{1, 2, 3, 4}));
}

TEST(ListReader, ReadsTheGzipDomainListTransparently) {
  OUTPOST_REQUIRE_CORPUS();
  std::uint64_t count = 0;
  std::string first;
  const std::string err = read_list_file(test::corpus_path("indicators/domains.txt.gz"),
                                         [&](std::uint64_t, std::string_view l, bool) {
                                           if (count++ == 0) first.assign(l);
                                         });
  EXPECT_EQ(err, "");
  EXPECT_EQ(count, 1107467u);
  EXPECT_EQ(first, "0--0.gq");
  bool json = true;
  EXPECT_EQ(sniff_json(test::corpus_path("indicators/domains.txt.gz"), json), "");
  EXPECT_FALSE(json);
  EXPECT_EQ(sniff_json(test::corpus_path("stix/bundles/oasis-examples/threat-reports/apt1.json"), json), "");
  EXPECT_TRUE(json);
}

TEST(ListReader, ReportsUnreadableAndCorruptFiles) {
  std::string err = read_list_file("/nonexistent/outpost/list.txt", [](std::uint64_t, std::string_view, bool) {});
  EXPECT_EQ(err.find("/nonexistent/outpost/list.txt: cannot open"), 0u) << err;
  OUTPOST_REQUIRE_CORPUS();
  // A gzip stream cut in the middle.
  const std::string cut = std::string(OUTPOST_BINARY_DIR) + "/truncated-list-test.gz";
  ASSERT_EQ(std::system(("head -c 100000 '" + test::corpus_path("indicators/domains.txt.gz") + "' > '" + cut + "'").c_str()), 0);
  err = read_list_file(cut, [](std::uint64_t, std::string_view, bool) {});
  EXPECT_NE(err.find("gzip"), std::string::npos) << err;
  std::remove(cut.c_str());
}

}  // namespace
}  // namespace outpost::rules::lists
