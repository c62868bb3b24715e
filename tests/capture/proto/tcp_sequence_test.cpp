// TcpSequenceCursor: in-order bytes from captured segments (RFC 9293 §3.4 sequence space).

#include "capture/proto/tcp_sequence.h"

#include <gtest/gtest.h>

#include <string>

namespace outpost::capture::proto {
namespace {

const std::uint8_t* bytes(const char* s) { return reinterpret_cast<const std::uint8_t*>(s); }

std::string text(TcpSequenceCursor::Span s) {
  return std::string(reinterpret_cast<const char*>(s.data), s.len);
}

TEST(TcpSequenceCursor, PassesInOrderSegmentsThrough) {
  TcpSequenceCursor c;
  c.start(1001);
  EXPECT_EQ(text(c.accept(1001, bytes("abc"), 3)), "abc");
  EXPECT_EQ(text(c.accept(1004, bytes("def"), 3)), "def");
  EXPECT_EQ(c.next_seq(), 1007u);
}

TEST(TcpSequenceCursor, DropsRetransmissionsAndTrimsOverlaps) {
  TcpSequenceCursor c;
  EXPECT_EQ(text(c.accept(50, bytes("hello"), 5)), "hello");  // first data segment starts it
  EXPECT_EQ(c.accept(50, bytes("hello"), 5).len, 0u);
  EXPECT_EQ(text(c.accept(53, bytes("lo world"), 8)), " world");
  EXPECT_EQ(c.duplicates(), 1u);
  EXPECT_EQ(c.trimmed_bytes(), 7u);
  EXPECT_FALSE(c.gave_up());
}

TEST(TcpSequenceCursor, GivesUpForGoodOnAGap) {
  TcpSequenceCursor c;
  c.start(10);
  EXPECT_EQ(c.accept(12, bytes("late"), 4).len, 0u);
  EXPECT_TRUE(c.gave_up());
  EXPECT_EQ(c.gaps(), 1u);
  EXPECT_EQ(c.accept(10, bytes("ab"), 2).len, 0u);  // even the missing bytes: no way back
}

TEST(TcpSequenceCursor, HandlesSequenceNumberWrapAround) {
  TcpSequenceCursor c;
  c.start(0xfffffffeu);
  EXPECT_EQ(text(c.accept(0xfffffffeu, bytes("abcd"), 4)), "abcd");
  EXPECT_EQ(c.next_seq(), 2u);
  EXPECT_EQ(text(c.accept(1, bytes("def"), 3)), "ef");  // overlap across the wrap
  EXPECT_EQ(c.accept(0xffffffffu, bytes("bc"), 2).len, 0u);
}

TEST(TcpSequenceCursor, IgnoresEmptySegments) {
  TcpSequenceCursor c;
  EXPECT_EQ(c.accept(5, nullptr, 0).len, 0u);
  EXPECT_FALSE(c.started());
}

}  // namespace
}  // namespace outpost::capture::proto
