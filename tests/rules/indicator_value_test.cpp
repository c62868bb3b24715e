#include "rules/indicator_value.h"

#include <gtest/gtest.h>

namespace outpost::rules {
namespace {

std::string canonical(IndicatorType t, std::string_view v) {
  std::string out;
  const ValueError e = normalise_indicator_value(t, v, out);
  return e == ValueError::none ? out : "error: " + std::string(value_error_name(e));
}

TEST(IndicatorType, NamesRoundTrip) {
  for (std::size_t i = 0; i < kIndicatorTypeCount; ++i) {
    IndicatorType t;
    ASSERT_TRUE(parse_indicator_type(indicator_type_name(static_cast<IndicatorType>(i)), t));
    EXPECT_EQ(static_cast<std::size_t>(t), i);
  }
  IndicatorType t;
  EXPECT_FALSE(parse_indicator_type("stix", t));
}

TEST(DomainValue, IsLowercasedWithoutTrailingDot) {
  EXPECT_EQ(canonical(IndicatorType::domain, "  WWW.Evil.COM. "), "www.evil.com");
  EXPECT_EQ(canonical(IndicatorType::domain, "a..b"), "error: not a domain name");
  EXPECT_EQ(canonical(IndicatorType::domain, "evil com"), "error: not a domain name");
  EXPECT_EQ(canonical(IndicatorType::domain, std::string(64, 'a') + ".com"), "error: not a domain name");
}

TEST(DomainValue, ListTypingNeedsTwoLabelsAndAlphabeticTld) {
  EXPECT_TRUE(is_dns_name("evil.com", true));
  EXPECT_FALSE(is_dns_name("localhost", true));
  EXPECT_TRUE(is_dns_name("localhost", false));
  EXPECT_FALSE(is_dns_name("1.2.3.999", true));
}

TEST(AddressValue, CidrWithHostBitsBecomesItsNetwork) {
  std::string out;
  bool cleared = false;
  ASSERT_EQ(normalise_indicator_value(IndicatorType::ipv4, "192.0.2.77/24", out, &cleared), ValueError::none);
  EXPECT_EQ(out, "192.0.2.0/24");
  EXPECT_TRUE(cleared);
  ASSERT_EQ(normalise_indicator_value(IndicatorType::ipv4, "192.0.2.0/24", out, &cleared), ValueError::none);
  EXPECT_FALSE(cleared);
  EXPECT_EQ(canonical(IndicatorType::ipv4, "198.51.100.7/32"), "198.51.100.7");
  EXPECT_EQ(canonical(IndicatorType::ipv6, "2001:DB8:0:0::1/48"), "2001:db8::/48");
}

TEST(AddressValue, RefusesWrongFamilyAndSlashZero) {
  EXPECT_EQ(canonical(IndicatorType::ipv4, "2001:db8::1"), "error: bad address");
  EXPECT_EQ(canonical(IndicatorType::ipv6, "10.0.0.1"), "error: bad address");
  EXPECT_EQ(canonical(IndicatorType::ipv4, "0.0.0.0/0"), "error: bad prefix length");
  EXPECT_EQ(canonical(IndicatorType::ipv4, "10.0.0.0/33"), "error: bad prefix length");
  EXPECT_EQ(canonical(IndicatorType::ipv4, "10.0.0.0/"), "error: bad prefix length");
}

TEST(UrlValue, LowercasesSchemeAndHostAndDropsDefaultPort) {
  EXPECT_EQ(canonical(IndicatorType::url, "HTTP://Evil.COM:80/Gate.PHP?a=B"), "http://evil.com/Gate.PHP?a=B");
  EXPECT_EQ(canonical(IndicatorType::url, "https://evil.com:443/x"), "https://evil.com/x");
  EXPECT_EQ(canonical(IndicatorType::url, "http://evil.com:8080/x"), "http://evil.com:8080/x");
  EXPECT_EQ(canonical(IndicatorType::url, "http://evil.com:080/x"), "http://evil.com/x");
}

TEST(UrlValue, AddsRootPathDropsFragmentUserinfoAndUppercasesEscapes) {
  EXPECT_EQ(canonical(IndicatorType::url, "http://evil.com"), "http://evil.com/");
  EXPECT_EQ(canonical(IndicatorType::url, "http://evil.com?q=1"), "http://evil.com/?q=1");
  EXPECT_EQ(canonical(IndicatorType::url, "http://user:pw@evil.com/a#frag"), "http://evil.com/a");
  EXPECT_EQ(canonical(IndicatorType::url, "http://evil.com/a%2fb%zz"), "http://evil.com/a%2Fb%zz");
  EXPECT_EQ(canonical(IndicatorType::url, "http://[2001:DB8::1]:80/"), "http://[2001:db8::1]/");
}

TEST(UrlValue, RefusesWhatIsNotAnAbsoluteUrl) {
  EXPECT_EQ(canonical(IndicatorType::url, "/gate.php"), "error: bad url");
  EXPECT_EQ(canonical(IndicatorType::url, "http:///x"), "error: bad url");
  EXPECT_EQ(canonical(IndicatorType::url, "http://evil.com:99999/"), "error: bad url");
  EXPECT_EQ(canonical(IndicatorType::url, "http://" + std::string(3000, 'a')), "error: too long");
}

TEST(HashValue, IsCaseInsensitiveHexOfExactLength) {
  EXPECT_EQ(canonical(IndicatorType::md5, "D41D8CD98F00B204E9800998ECF8427E"), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(canonical(IndicatorType::sha256, "f00"), "error: bad hash");
  EXPECT_EQ(canonical(IndicatorType::sha1, std::string(40, 'g')), "error: bad hash");
}

TEST(IpPortValue, FormatsIpv6InBrackets) {
  EXPECT_EQ(canonical(IndicatorType::ip_port, "192.0.2.1:0443"), "192.0.2.1:443");
  EXPECT_EQ(canonical(IndicatorType::ip_port, "[2001:DB8::1]:53"), "[2001:db8::1]:53");
  EXPECT_EQ(canonical(IndicatorType::ip_port, "2001:db8::1:53"), "error: bad port");
  EXPECT_EQ(canonical(IndicatorType::ip_port, "192.0.2.1:0"), "error: bad port");
}

}  // namespace
}  // namespace outpost::rules
