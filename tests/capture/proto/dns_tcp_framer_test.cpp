// DnsTcpFramer: RFC 1035 §4.2.2 / RFC 7766 §8 two-byte length framing.

#include "capture/proto/dns_tcp_framer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace outpost::capture::proto {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes framed(const std::string& body) {
  Bytes b;
  b.reserve(body.size() + 2);
  b.push_back(static_cast<std::uint8_t>(body.size() >> 8));
  b.push_back(static_cast<std::uint8_t>(body.size()));
  for (char c : body) b.push_back(static_cast<std::uint8_t>(c));
  return b;
}

std::vector<std::string> drain(DnsTcpFramer& f, std::vector<bool>* cut = nullptr) {
  std::vector<std::string> out;
  DnsTcpFramer::Message m;
  while (f.next(m)) {
    out.emplace_back(reinterpret_cast<const char*>(m.data), m.len);
    if (cut) cut->push_back(m.cut);
  }
  return out;
}

TEST(DnsTcpFramer, SplitsSeveralMessagesOfOneSegment) {
  Bytes seg = framed("first");
  const Bytes second = framed("second message");
  seg.insert(seg.end(), second.begin(), second.end());
  DnsTcpFramer f;
  f.feed(seg.data(), seg.size());
  EXPECT_EQ(drain(f), (std::vector<std::string>{"first", "second message"}));
  EXPECT_EQ(f.messages(), 2u);
}

TEST(DnsTcpFramer, JoinsMessageAndLengthPrefixSplitAcrossSegments) {
  Bytes all = framed("alpha");
  const Bytes b = framed("bravo-bravo");
  all.insert(all.end(), b.begin(), b.end());
  DnsTcpFramer f;
  std::vector<std::string> got;
  for (std::uint8_t byte : all) {  // one byte per segment: every split point
    f.feed(&byte, 1);
    for (auto& m : drain(f)) got.push_back(m);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"alpha", "bravo-bravo"}));
}

TEST(DnsTcpFramer, CutsMessagesLongerThanItsBufferAndSkipsTheRest) {
  const std::string big(DnsTcpFramer::kBufferBytes + 100, 'x');
  Bytes all = framed(big);
  const Bytes after = framed("after");
  all.insert(all.end(), after.begin(), after.end());
  DnsTcpFramer f;
  std::vector<std::string> got;
  std::vector<bool> cut;
  for (std::size_t off = 0; off < all.size(); off += 1000) {
    const std::size_t n = std::min<std::size_t>(1000, all.size() - off);
    f.feed(all.data() + off, n);
    for (auto& m : drain(f, &cut)) got.push_back(m);
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].size(), DnsTcpFramer::kBufferBytes);
  EXPECT_TRUE(cut[0]);
  EXPECT_EQ(got[1], "after");
  EXPECT_FALSE(cut[1]);
  EXPECT_EQ(f.oversized(), 1u);
}

TEST(DnsTcpFramer, SkipsZeroLengthMessages) {
  const std::string raw("\0\0\0\1m", 5);  // an empty message, then "m"
  const Bytes seg(raw.begin(), raw.end());
  DnsTcpFramer f;
  f.feed(seg.data(), seg.size());
  EXPECT_EQ(drain(f), (std::vector<std::string>{"m"}));
  EXPECT_EQ(f.empty_messages(), 1u);
}

}  // namespace
}  // namespace outpost::capture::proto
