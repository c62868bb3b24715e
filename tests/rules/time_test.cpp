#include "rules/time.h"

#include <gtest/gtest.h>

namespace outpost::rules {
namespace {

TEST(Timestamp, ParsesStixUtcWithMilliseconds) {
  TimeUs t = 0;
  ASSERT_TRUE(parse_timestamp("2016-05-12T08:17:27.000Z", t));
  EXPECT_EQ(t, 1463041047000000LL);
}

TEST(Timestamp, RoundTripsDatesAfter2038) {
  TimeUs t = 0;
  ASSERT_TRUE(parse_timestamp("2106-02-07T06:28:16.123456Z", t));
  EXPECT_EQ(format_timestamp(t), "2106-02-07T06:28:16.123456Z");
  EXPECT_GT(t, 4294967296LL * 1000000);
}

TEST(Timestamp, RejectsMissingZone) {
  TimeUs t = 0;
  EXPECT_FALSE(parse_timestamp("2016-05-12T08:17:27", t));
  EXPECT_FALSE(parse_timestamp("2016-05-12T08:17:27+02:00", t));
  EXPECT_FALSE(parse_timestamp("2016-13-12T08:17:27Z", t));
}

TEST(Timestamp, FormatsMillisecondForm) {
  EXPECT_EQ(format_timestamp(1463041047123456LL, true), "2016-05-12T08:17:27.123Z");
  EXPECT_EQ(format_timestamp(-1, false), "1969-12-31T23:59:59.999999Z");
}

}  // namespace
}  // namespace outpost::rules
