#include "agent/options.h"

#include <gtest/gtest.h>

#include <vector>

namespace outpost::agent {
namespace {

Options parse(std::vector<const char*> args) {
  args.insert(args.begin(), "outpost");
  return parse_options(static_cast<int>(args.size()), args.data());
}

std::string error_of(std::vector<const char*> args) {
  try {
    parse(std::move(args));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(Options, RepeatedOptionsAccumulateInOrder) {
  const Options o = parse({"--pcap", "a.pcap", "--pcap=b.pcap", "--indicators", "domain:x.txt", "--indicators", "y.json"});
  EXPECT_EQ(o.pcaps, (std::vector<std::string>{"a.pcap", "b.pcap"}));
  EXPECT_EQ(o.indicators, (std::vector<std::string>{"domain:x.txt", "y.json"}));
}

TEST(Options, ValuesAreTypedAndRangeChecked) {
  EXPECT_EQ(parse({"--pcap", "a", "--window", "60"}).window_seconds, 60);
  EXPECT_NE(error_of({"--pcap", "a", "--window", "0"}).find("--window"), std::string::npos);
  EXPECT_NE(error_of({"--pcap", "a", "--max-flows", "12x"}).find("'12x'"), std::string::npos);
}

TEST(Options, UnknownOptionsAndMissingValuesAreErrorsNamingTheOption) {
  EXPECT_NE(error_of({"--pcap", "a", "--bogus"}).find("--bogus"), std::string::npos);
  EXPECT_NE(error_of({"--pcap"}).find("--pcap"), std::string::npos);
  EXPECT_NE(error_of({"--pcap", "a", "--quiet=yes"}).find("--quiet"), std::string::npos);
}

TEST(Options, AnInputIsRequiredAndFilesAndLiveCaptureExcludeEachOther) {
  EXPECT_NE(error_of({"--sightings", "-"}).find("--pcap"), std::string::npos);
  EXPECT_NE(error_of({"--pcap", "a", "--interface", "eth0"}).find("--interface"), std::string::npos);
  EXPECT_TRUE(parse({"--help"}).help);
}

TEST(Options, HelpListsEveryOption) {
  const std::string h = options_help();
  for (const char* o : {"--pcap", "--indicators", "--sightings", "--observations", "--stats", "--pseudonym-key",
                        "--window", "--lan", "--interface", "--user"})
    EXPECT_NE(h.find(o), std::string::npos) << o;
}

}  // namespace
}  // namespace outpost::agent
