#include "capture/text.h"

#include <gtest/gtest.h>

#include <string>

namespace outpost::capture {
namespace {

std::string name(std::string_view in) {
  char buf[64];
  return std::string(buf, normalize_name(in, buf, sizeof buf));
}
std::string text(std::string_view in, std::size_t cap = 64) {
  char buf[64];
  return std::string(buf, escape_text(in, buf, cap));
}

TEST(ObservationText, NamesAreLowercasedWithoutTheTrailingDot) {
  EXPECT_EQ(name("WWW.Example.COM."), "www.example.com");
  EXPECT_EQ(name("a\\."), "a\\.");  // an escaped dot inside a label stays
}

TEST(ObservationText, NameBytesOutsidePrintableAsciiAreDecimalEscapes) {
  EXPECT_EQ(name(std::string("a b\x01\xff", 5)), "a\\032b\\001\\255");
}

TEST(ObservationText, TextKeepsValidUtf8AndEscapesControlsAndInvalidBytes) {
  EXPECT_EQ(text("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(text(std::string("a\x00\x1f\x7f", 4)), "a\\x00\\x1f\\x7f");
  EXPECT_EQ(text("\xc3(\xed\xa0\x80"), "\\xc3(\\xed\\xa0\\x80");  // bad continuation, surrogate
}

TEST(ObservationText, OutputIsCutAtACharacterBoundary) {
  EXPECT_EQ(text("ab\xc3\xa9", 3), "ab");
  EXPECT_EQ(text("a\x01", 4), "a");
}

}  // namespace
}  // namespace outpost::capture
