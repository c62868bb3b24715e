#include "capture/lan_prefixes.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace outpost::capture {
namespace {

TEST(LanPrefixes, ParsesCidrsAndClearsHostBits) {
  Prefix p;
  ASSERT_TRUE(parse_prefix("192.168.1.77/24", p));
  rules::IpAddress a;
  ASSERT_TRUE(rules::parse_ip("192.168.1.200", a));
  EXPECT_TRUE(prefix_contains(p, a));
  ASSERT_TRUE(rules::parse_ip("192.168.2.1", a));
  EXPECT_FALSE(prefix_contains(p, a));
  EXPECT_FALSE(parse_prefix("10.0.0.0/33", p));
  EXPECT_FALSE(parse_prefix("10.0.0/8", p));
  EXPECT_THROW(LanPrefixes({"fe80::/129"}), std::invalid_argument);
}

TEST(LanPrefixes, DefaultsAreRfc1918UniqueLocalAndLinkLocal) {
  const LanPrefixes lan = LanPrefixes::defaults();
  for (const char* in : {"10.1.2.3", "172.31.0.1", "192.168.0.1", "fd00::1", "fe80::1"}) {
    rules::IpAddress a;
    ASSERT_TRUE(rules::parse_ip(in, a));
    EXPECT_TRUE(lan.contains(a)) << in;
  }
  for (const char* out : {"8.8.8.8", "172.32.0.1", "2001:db8::1"}) {
    rules::IpAddress a;
    ASSERT_TRUE(rules::parse_ip(out, a));
    EXPECT_FALSE(lan.contains(a)) << out;
  }
}

}  // namespace
}  // namespace outpost::capture
