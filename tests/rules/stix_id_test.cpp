#include "rules/stix/stix_id.h"

#include <gtest/gtest.h>

namespace outpost::rules {
namespace {

// python-stix2: DomainName(value="example.com") has this deterministic id.
TEST(StixId, DomainNameIdMatchesReferenceImplementation) {
  EXPECT_EQ(sco_id_for_value("domain-name", "example.com"),
            "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7");
}

TEST(StixId, JcsEscapesControlCharactersOnly) {
  std::string out;
  append_jcs_string(out, "a\"b\\c\n\x01\xc3\xa9");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"");
}

TEST(StixId, UuidParsesAndPrintsRoundTrip) {
  Uuid u;
  ASSERT_TRUE(parse_uuid("00abedb4-aa42-466c-9c01-fed23315a9b7", u));
  EXPECT_EQ(u.str(), "00abedb4-aa42-466c-9c01-fed23315a9b7");
  EXPECT_FALSE(parse_uuid("00abedb4-aa42-466c-9c01-fed23315a9b", u));
}

}  // namespace
}  // namespace outpost::rules
