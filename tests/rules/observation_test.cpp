#include "rules/observation.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace outpost::rules {
namespace {

std::string text(const IpAddress& a) {
  char buf[64];
  return std::string(buf, format_ip(a, buf));
}

std::string reference(const IpAddress& a) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(a.family == 4 ? AF_INET : AF_INET6, a.bytes, buf, sizeof buf);
  return buf;
}

TEST(IpAddressText, MatchesInetNtopOnEdgeCasesAndRandomAddresses) {
  const char* cases[] = {"0.0.0.0", "255.255.255.255", "10.0.0.1", "::", "::1", "1::", "2001:db8::1",
                         "2001:db8:0:0:1:0:0:1", "2001:0:0:1:0:0:0:1", "::ffff:1.2.3.4", "::1.2.3.4",
                         "fe80::a667:6ff:fef7:ec54", "1:0:1:0:1:0:1:0", "ff02::1:3", "::ffff:0:1.2.3.4"};
  for (const char* c : cases) {
    IpAddress a;
    ASSERT_TRUE(parse_ip(c, a)) << c;
    EXPECT_EQ(text(a), reference(a)) << c;
  }
  std::mt19937 rng(42);
  for (int n = 0; n < 20000; ++n) {
    IpAddress a;
    a.family = n % 3 == 0 ? 4 : 6;
    for (auto& b : a.bytes) b = static_cast<std::uint8_t>(rng() % 4 == 0 ? rng() : 0);  // many zero groups
    EXPECT_EQ(text(a), reference(a));
  }
}

TEST(IpAddressText, ParsesOnlyWholeAddresses) {
  IpAddress a;
  EXPECT_FALSE(parse_ip("1.2.3", a));
  EXPECT_FALSE(parse_ip("1.2.3.4/8", a));
  EXPECT_FALSE(parse_ip("", a));
  EXPECT_TRUE(parse_ip("2001:db8::", a));
  EXPECT_EQ(a.family, 6);
}

TEST(IpAddressText, ReadsIpv4ExactlyAsInetPtonDoes) {
  // parse_ip reads IPv4 itself (it is on the match path); it must agree with inet_pton.
  std::vector<std::string> cases = {"1.2.3.4", "01.2.3.4", "1.2.3.04", "0.0.0.0", "256.1.1.1", "1.2.3.4.",
                                    ".1.2.3.4", "1..2.3", "1.2.3.4 ", " 1.2.3.4", "1.2.3.999", "1.2.3.-1",
                                    "1.2.3.4a", "00.0.0.0", "255.255.255.255", "1.2.3", "1234.1.1.1", "1.2.3.4.5"};
  std::mt19937 rng(7);
  const char alphabet[] = "0123456789.....x";
  for (int n = 0; n < 20000; ++n) {
    std::string t;
    const std::size_t len = 1 + rng() % 16;
    for (std::size_t i = 0; i < len; ++i) t += alphabet[rng() % (sizeof alphabet - 1)];
    cases.push_back(t);
  }
  for (const auto& c : cases) {
    std::uint8_t want[4];
    const bool ok = inet_pton(AF_INET, c.c_str(), want) == 1;
    IpAddress a;
    const bool got = parse_ip(c, a) && a.family == 4;
    ASSERT_EQ(got, ok) << "'" << c << "'";
    if (ok) {
      EXPECT_EQ(std::memcmp(a.bytes, want, 4), 0) << c;
    }
  }
}

TEST(ObservationKinds, NamesRoundTripAndUnknownNamesAreRefused) {
  for (std::size_t i = 0; i < kObservationKindCount; ++i) {
    ObservationKind k;
    ASSERT_TRUE(parse_observation_kind(observation_kind_name(static_cast<ObservationKind>(i)), k));
    EXPECT_EQ(static_cast<std::size_t>(k), i);
  }
  ObservationKind k;
  EXPECT_FALSE(parse_observation_kind("dns", k));
}

}  // namespace
}  // namespace outpost::rules
