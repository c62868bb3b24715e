#include <gtest/gtest.h>

#include <string>

#include "agent/report/url_redaction.h"
#include "agent/report/utf8.h"

namespace outpost::agent {
namespace {

TEST(UrlRedaction, StripsTheQueryAndTheFragment) {
  EXPECT_EQ(strip_url_query("http://evil.test/a/b.php?user=alice&t=1"), "http://evil.test/a/b.php");
  EXPECT_EQ(strip_url_query("http://evil.test/a#section"), "http://evil.test/a");
  EXPECT_EQ(strip_url_query("http://evil.test/a#frag?notquery"), "http://evil.test/a");
  EXPECT_EQ(strip_url_query("http://evil.test:8080/"), "http://evil.test:8080/");
  EXPECT_EQ(strip_url_query(""), "");
}

TEST(UrlRedaction, RecognisesAbsoluteUrlsByTheirScheme) {
  EXPECT_TRUE(looks_like_url("http://evil.test/"));
  EXPECT_TRUE(looks_like_url("svn+ssh://host/repo"));
  EXPECT_FALSE(looks_like_url("evil.test"));
  EXPECT_FALSE(looks_like_url("://evil.test"));
  EXPECT_FALSE(looks_like_url("1http://evil.test"));
  EXPECT_FALSE(looks_like_url("a b://evil.test"));
}

TEST(UrlEscaping, PercentEncodesOnlyBytesOutsideTheUriCharacterSet) {
  EXPECT_FALSE(url_needs_escaping("http://evil.test/a-b_c.~d/%41?x=1&y=[2]"));
  EXPECT_TRUE(url_needs_escaping("http://evil.test/a b"));
  std::string out;
  append_escaped_url(out, "http://e.test/\"<>\\^`{|}\x7f\x01\xc3\xa9");
  EXPECT_EQ(out, "http://e.test/%22%3C%3E%5C%5E%60%7B%7C%7D%7F%01%C3%A9");
}

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_TRUE(is_valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
}

TEST(Utf8, RejectsOverlongsSurrogatesAndTruncation) {
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(is_valid_utf8("\xff"));
}

TEST(Utf8, ReplacesEachMaximalIllFormedSubpartWithOneReplacementCharacter) {
  std::string out;
  // Unicode §3.9 example: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 -> a FFFD FFFD FFFD b FFFD c
  // FFFD FFFD d.
  append_valid_utf8(out, "a\xf1\x80\x80\xe1\x80\xc2" "b\x80" "c\x80\xbf" "d");
  const std::string r = "\xef\xbf\xbd";
  EXPECT_EQ(out, "a" + r + r + r + "b" + r + "c" + r + r + "d");
  out.clear();
  append_valid_utf8(out, "ok \xc3\xa9");
  EXPECT_EQ(out, "ok \xc3\xa9");
}

}  // namespace
}  // namespace outpost::agent
