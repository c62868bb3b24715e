#include "rules/observation.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

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
