// FragmentReassembler on its own and through the decoder: order, overlaps, duplicates,
// timeouts, bounds, IPv6.

#include <gtest/gtest.h>

#include "capture/decode/fragment_reassembler.h"
#include "tests/capture/decode/frame_builder.h"

namespace outpost::capture {
namespace {

using namespace test_frames;

constexpr int kRaw = 101;

// IPv4 fragments of one datagram carrying `payload` (the UDP datagram), cut at `cuts` (byte
// offsets, multiples of 8).
std::vector<Bytes> ipv4_fragments(const Bytes& payload, std::initializer_list<std::size_t> cuts,
                                  std::uint16_t id = 0x1234, const char* src = "10.0.0.1") {
  std::vector<std::size_t> bounds = {0};
  bounds.insert(bounds.end(), cuts.begin(), cuts.end());
  bounds.push_back(payload.size());
  std::vector<Bytes> out;
  for (std::size_t i = 0; i + 1 < bounds.size(); ++i) {
    Ipv4Options o;
    o.id = id;
    const bool more = i + 2 < bounds.size();
    o.flags_offset = static_cast<std::uint16_t>((more ? 0x2000 : 0) | (bounds[i] / 8));
    out.push_back(ipv4(src, "10.0.0.2", 17,
                       Bytes(payload.begin() + static_cast<long>(bounds[i]), payload.begin() + static_cast<long>(bounds[i + 1])), o));
  }
  return out;
}

Bytes big_udp(std::size_t n) { return udp(5353, 53, filler(n, 7)); }

void expect_whole(const PacketView& v, const Bytes& udp_datagram) {
  EXPECT_EQ(v.l4_proto, 17);
  EXPECT_EQ(v.src_port, 5353);
  ASSERT_EQ(v.payload_len, udp_datagram.size() - 8);
  EXPECT_TRUE(std::equal(v.payload, v.payload + v.payload_len, udp_datagram.begin() + 8));
  EXPECT_FALSE(v.payload_truncated);
}

TEST(FragmentReassembly, CompletesAnIpv4DatagramArrivingInOrder) {
  PacketDecoder d;
  PacketView v;
  const Bytes datagram = big_udp(3000);
  const auto frags = ipv4_fragments(datagram, {1480, 2960});
  ASSERT_EQ(run(d, kRaw, frags[0], v), DecodeStatus::held);
  EXPECT_EQ(v.ip_count, 1);  // held fragments still report their addresses
  EXPECT_EQ(text(v.ips[0].src), "10.0.0.1");
  ASSERT_EQ(run(d, kRaw, frags[1], v), DecodeStatus::held);
  ASSERT_EQ(run(d, kRaw, frags[2], v), DecodeStatus::ok);
  expect_whole(v, datagram);
  // The rebuilt header: total length, no fragment fields, a valid checksum.
  ASSERT_EQ(v.l3, d.reassembly_buffer());
  EXPECT_EQ(v.l3_len, 20 + datagram.size());
  EXPECT_EQ((v.l3[2] << 8) | v.l3[3], static_cast<int>(20 + datagram.size()));
  EXPECT_EQ(v.l3[6], 0);
  EXPECT_EQ(v.l3[7], 0);
  std::uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += (v.l3[i] << 8) | v.l3[i + 1];
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  EXPECT_EQ(sum, 0xFFFFu);
  const auto& c = d.counters().fragments;
  EXPECT_EQ(c.reassembled, 1u);
  EXPECT_EQ(c.held, 2u);
  EXPECT_EQ(c.in_progress, 0u);
  EXPECT_EQ(c.bytes_in_use, 0u);
}

TEST(FragmentReassembly, CompletesAnIpv4DatagramArrivingOutOfOrder) {
  PacketDecoder d;
  PacketView v;
  const Bytes datagram = big_udp(4000);
  const auto frags = ipv4_fragments(datagram, {1000, 2000, 3000});
  ASSERT_EQ(run(d, kRaw, frags[3], v), DecodeStatus::held);
  ASSERT_EQ(run(d, kRaw, frags[1], v), DecodeStatus::held);
  ASSERT_EQ(run(d, kRaw, frags[0], v), DecodeStatus::held);
  ASSERT_EQ(run(d, kRaw, frags[2], v), DecodeStatus::ok);
  expect_whole(v, datagram);
}

TEST(FragmentReassembly, RebuildsTheHeaderFromTheFirstFragmentWithItsOptions) {
  PacketDecoder d;
  PacketView v;
  const Bytes datagram = big_udp(100);
  Ipv4Options first;
  first.id = 5;
  first.flags_offset = 0x2000;
  first.option_words = 2;  // options that are not copied into later fragments
  Ipv4Options last;
  last.id = 5;
  last.flags_offset = 56 / 8;
  ASSERT_EQ(run(d, kRaw, ipv4("10.0.0.1", "10.0.0.2", 17, Bytes(datagram.begin(), datagram.begin() + 56), first), v),
            DecodeStatus::held);
  ASSERT_EQ(run(d, kRaw, ipv4("10.0.0.1", "10.0.0.2", 17, Bytes(datagram.begin() + 56, datagram.end()), last), v),
            DecodeStatus::ok);
  EXPECT_EQ(v.l3[0], 0x47);
  EXPECT_EQ(v.l3_len, 28 + datagram.size());
  expect_whole(v, datagram);
}

TEST(FragmentReassembly, KeepsTheFirstCopyOfOverlappingIpv4BytesAndCountsTheOverlap) {
  PacketDecoder d;
  PacketView v;
  const Bytes datagram = big_udp(40);  // 48 bytes
  const auto frags = ipv4_fragments(datagram, {24});
  // A forged fragment covering bytes 16..31 with other content, sent before the real ones.
  Ipv4Options o;
  o.id = 0x1234;
  o.flags_offset = 0x2000 | 2;
  const Bytes forged = ipv4("10.0.0.1", "10.0.0.2", 17, Bytes(16, 0xEE), o);
  ASSERT_EQ(run(d, kRaw, forged, v), DecodeStatus::held);
  ASSERT_EQ(run(d, kRaw, frags[0], v), DecodeStatus::held);
  ASSERT_EQ(run(d, kRaw, frags[1], v), DecodeStatus::ok);
  ASSERT_EQ(v.payload_len, 40u);
  EXPECT_EQ(v.payload[7], datagram[15]);  // before the forged range: the real bytes
  EXPECT_EQ(v.payload[8], 0xEE);          // datagram bytes 16..31: the forged copy came first
  EXPECT_EQ(v.payload[23], 0xEE);
  EXPECT_EQ(v.payload[24], datagram[32]);
  EXPECT_EQ(d.counters().fragments.overlaps, 2u);
}

TEST(FragmentReassembly, DiscardsAnIpv6DatagramWithOverlappingFragments) {
  PacketDecoder d;
  PacketView v;
  auto frag6 = [](std::uint32_t offset, bool more, const Bytes& data) {
    return ipv6("2001:db8::1", "2001:db8::2", 44, cat({fragment_header(17, offset, more, 99), data}));
  };
  ASSERT_EQ(run(d, kRaw, frag6(0, true, filler(16)), v), DecodeStatus::held);
  ASSERT_EQ(run(d, kRaw, frag6(8, true, filler(16)), v), DecodeStatus::dropped);  // RFC 5722
  EXPECT_EQ(v.drop, DropReason::fragment_bad);
  // Later fragments of the same datagram are dropped too, even ones that would complete it.
  ASSERT_EQ(run(d, kRaw, frag6(16, false, filler(8)), v), DecodeStatus::dropped);
  const auto& c = d.counters().fragments;
  EXPECT_EQ(c.overlaps, 1u);
  EXPECT_EQ(c.discarded, 1u);
  EXPECT_EQ(c.reassembled, 0u);
  EXPECT_EQ(c.bytes_in_use, 0u);
}

TEST(FragmentReassembly, IgnoresAnExactDuplicate) {
  PacketDecoder d;
  PacketView v;
  const Bytes datagram = big_udp(100);
  const auto frags = ipv4_fragments(datagram, {56});
  ASSERT_EQ(run(d, kRaw, frags[0], v), DecodeStatus::held);
  ASSERT_EQ(run(d, kRaw, frags[0], v), DecodeStatus::held);
  EXPECT_EQ(d.counters().fragments.duplicates, 1u);
  EXPECT_EQ(d.counters().fragments.overlaps, 0u);
  ASSERT_EQ(run(d, kRaw, frags[1], v), DecodeStatus::ok);
  expect_whole(v, datagram);
}

TEST(FragmentReassembly, TimesOutADatagramInPacketTime) {
  DecoderConfig config;
  config.fragment_timeout = 5'000'000;
  PacketDecoder d(config);
  PacketView v;
  const Bytes datagram = big_udp(100);
  const auto frags = ipv4_fragments(datagram, {56});
  ASSERT_EQ(run(d, kRaw, frags[0], v, 1'000'000), DecodeStatus::held);
  // The last fragment arrives too late: the first was freed, this one starts a new datagram.
  ASSERT_EQ(run(d, kRaw, frags[1], v, 7'000'000), DecodeStatus::held);
  EXPECT_EQ(d.counters().fragments.timed_out, 1u);
  EXPECT_EQ(d.counters().fragments.in_progress, 1u);
  // Unrelated fragment traffic later sweeps the leftover away.
  const auto other = ipv4_fragments(datagram, {56}, 0x9999);
  ASSERT_EQ(run(d, kRaw, other[0], v, 20'000'000), DecodeStatus::held);
  EXPECT_EQ(d.counters().fragments.timed_out, 2u);
  EXPECT_EQ(d.counters().fragments.in_progress, 1u);
}

TEST(FragmentReassembly, EvictsTheLeastRecentlyUsedDatagramWhenAllSlotsAreBusy) {
  DecoderConfig config;
  config.max_fragment_datagrams = 4;
  PacketDecoder d(config);
  PacketView v;
  const Bytes datagram = big_udp(100);
  std::vector<std::vector<Bytes>> all;
  for (std::uint16_t id = 1; id <= 5; ++id) all.push_back(ipv4_fragments(datagram, {56}, id));
  for (int i = 0; i < 4; ++i) ASSERT_EQ(run(d, kRaw, all[i][0], v), DecodeStatus::held);
  ASSERT_EQ(run(d, kRaw, all[0][1], v), DecodeStatus::ok);     // frees slot of id 1
  ASSERT_EQ(run(d, kRaw, all[4][0], v), DecodeStatus::held);   // uses it
  ASSERT_EQ(run(d, kRaw, all[0][0], v), DecodeStatus::held);   // evicts id 2, the oldest
  EXPECT_EQ(d.counters().fragments.evicted, 1u);
  ASSERT_EQ(run(d, kRaw, all[1][1], v), DecodeStatus::held);   // id 2 was lost: starts again
  EXPECT_EQ(d.counters().fragments.evicted, 2u);               // ... evicting id 3
  ASSERT_EQ(run(d, kRaw, all[3][1], v), DecodeStatus::ok);     // id 4 survived
  EXPECT_LE(d.counters().fragments.in_progress, 4u);
}

TEST(FragmentReassembly, DropsADatagramLargerThanTheByteBoundAndCountsIt) {
  DecoderConfig config;
  config.max_fragment_bytes = 2048;
  PacketDecoder d(config);
  PacketView v;
  const Bytes datagram = big_udp(4000);
  const auto frags = ipv4_fragments(datagram, {1480, 2960});
  ASSERT_EQ(run(d, kRaw, frags[0], v), DecodeStatus::held);
  ASSERT_EQ(run(d, kRaw, frags[1], v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::fragment_overflow);
  EXPECT_EQ(d.counters().fragments.overflow, 1u);
  EXPECT_EQ(d.counters().dropped_by[static_cast<std::size_t>(DropReason::fragment_overflow)], 1u);
  EXPECT_EQ(d.counters().fragments.bytes_in_use, 0u);
  EXPECT_LE(d.counters().fragments.bytes_in_use, 2048u);
}

TEST(FragmentReassembly, EvictsOlderDatagramsToMakeRoomForBytes) {
  DecoderConfig config;
  config.max_fragment_bytes = 4096;
  PacketDecoder d(config);
  PacketView v;
  const Bytes datagram = big_udp(3000);
  const auto a = ipv4_fragments(datagram, {1480, 2960}, 1);
  const auto b = ipv4_fragments(datagram, {1480, 2960}, 2);
  ASSERT_EQ(run(d, kRaw, a[0], v), DecodeStatus::held);
  ASSERT_EQ(run(d, kRaw, a[1], v), DecodeStatus::held);
  ASSERT_EQ(run(d, kRaw, b[0], v), DecodeStatus::held);
  ASSERT_EQ(run(d, kRaw, b[1], v), DecodeStatus::held);  // needs a's chunks
  EXPECT_EQ(d.counters().fragments.evicted, 1u);
  ASSERT_EQ(run(d, kRaw, b[2], v), DecodeStatus::ok);
  expect_whole(v, datagram);
}

TEST(FragmentReassembly, DiscardsFragmentsThatContradictTheDatagramLength) {
  PacketDecoder d;
  PacketView v;
  const Bytes datagram = big_udp(100);
  const auto frags = ipv4_fragments(datagram, {56});
  ASSERT_EQ(run(d, kRaw, frags[1], v), DecodeStatus::held);  // the end is known now: 108
  Ipv4Options o;
  o.id = 0x1234;
  o.flags_offset = 0x2000 | 13;  // 104 .. 120, past the end
  ASSERT_EQ(run(d, kRaw, ipv4("10.0.0.1", "10.0.0.2", 17, filler(16), o), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::fragment_bad);
  EXPECT_EQ(d.counters().fragments.discarded, 1u);
}

TEST(FragmentReassembly, RejectsANonLastFragmentThatIsNotAMultipleOfEight) {
  PacketDecoder d;
  PacketView v;
  Ipv4Options o;
  o.flags_offset = 0x2000;
  ASSERT_EQ(run(d, kRaw, ipv4("10.0.0.1", "10.0.0.2", 17, filler(13), o), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::fragment_bad);
  EXPECT_EQ(d.counters().fragments.in_progress, 0u);
}

TEST(FragmentReassembly, RejectsADatagramOver65535Bytes) {
  PacketDecoder d;
  PacketView v;
  Ipv4Options o;
  o.flags_offset = 0x1FFF;  // offset 65528, last fragment
  ASSERT_EQ(run(d, kRaw, ipv4("10.0.0.1", "10.0.0.2", 17, filler(16), o), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::fragment_bad);
}

TEST(FragmentReassembly, CompletesAnIpv6DatagramAfterUnfragmentableHeaders) {
  PacketDecoder d;
  PacketView v;
  const Bytes datagram = big_udp(2000);
  const std::size_t cut = 1232;
  auto frag6 = [&](std::size_t from, std::size_t to, bool more) {
    const Bytes part(datagram.begin() + static_cast<long>(from), datagram.begin() + static_cast<long>(to));
    return ipv6("2001:db8::1", "2001:db8::2", 0, cat({ext_header(44), fragment_header(17, static_cast<std::uint32_t>(from), more, 7), part}));
  };
  ASSERT_EQ(run(d, kRaw, frag6(cut, datagram.size(), false), v), DecodeStatus::held);
  ASSERT_EQ(v.ip_count, 1);
  EXPECT_EQ(text(v.ips[0].dst), "2001:db8::2");
  ASSERT_EQ(run(d, kRaw, frag6(0, cut, true), v), DecodeStatus::ok);
  expect_whole(v, datagram);
  EXPECT_EQ(v.ip_version, 6);
  EXPECT_EQ(v.l3_len, 40 + datagram.size());
  EXPECT_EQ(v.l3[6], 17);  // Next Header now names UDP directly
  EXPECT_EQ(v.ip_count, 1);
}

TEST(FragmentReassembly, DecodesAFragmentedTunnelIntoItsInnerPacket) {
  PacketDecoder d;
  PacketView v;
  // GTP-U carrying sample_udp(), its outer UDP datagram fragmented.
  Bytes gtp = {0x30, 0xFF};
  put16(gtp, static_cast<std::uint16_t>(sample_udp().size() + 1000));
  put32(gtp, 1);
  Bytes inner = sample_udp();
  Bytes padded = inner;
  append(padded, Bytes(1000, 0));  // inner packet, then trailing bytes covered by GTP length
  append(gtp, padded);
  const Bytes outer_udp_datagram = udp(2152, 2152, gtp);
  std::vector<std::size_t> cut = {512};
  std::vector<Bytes> frags;
  for (int i = 0; i < 2; ++i) {
    Ipv4Options o;
    o.id = 42;
    const std::size_t from = i == 0 ? 0 : 512;
    const std::size_t to = i == 0 ? 512 : outer_udp_datagram.size();
    o.flags_offset = static_cast<std::uint16_t>((i == 0 ? 0x2000 : 0) | (from / 8));
    frags.push_back(ipv4("203.0.113.1", "203.0.113.2", 17,
                         Bytes(outer_udp_datagram.begin() + static_cast<long>(from), outer_udp_datagram.begin() + static_cast<long>(to)), o));
  }
  ASSERT_EQ(run(d, kRaw, frags[0], v), DecodeStatus::held);
  ASSERT_EQ(run(d, kRaw, frags[1], v), DecodeStatus::ok);
  ASSERT_EQ(v.ip_count, 2);
  EXPECT_EQ(text(v.src), "192.0.2.1");
  EXPECT_EQ(v.dst_port, 53);
  EXPECT_EQ(v.payload_len, 12u);
}

TEST(FragmentReassembly, ReportsATruncatedFirstFragmentAsATruncatedPacket) {
  PacketDecoder d;
  PacketView v;
  const auto frags = ipv4_fragments(big_udp(3000), {1480});
  const Bytes& first = frags[0];
  ASSERT_EQ(d.decode(kRaw, first.data(), 100, static_cast<std::uint32_t>(first.size()), 1, v), DecodeStatus::ok);
  EXPECT_TRUE(v.payload_truncated);
  EXPECT_EQ(v.src_port, 5353);
  EXPECT_EQ(v.payload_len, 72u);
  EXPECT_EQ(d.counters().truncated_first_fragments, 1u);
  // A later fragment cut short cannot be used at all.
  const Bytes& second = frags[1];
  ASSERT_EQ(d.decode(kRaw, second.data(), 100, static_cast<std::uint32_t>(second.size()), 1, v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::truncated_ip);
}

// The reassembler API directly: a flood of distinct datagrams never grows past the bounds.
TEST(FragmentReassemblerBounds, AFloodOfDistinctDatagramsStaysWithinTheBounds) {
  FragmentConfig config;
  config.max_datagrams = 16;
  config.max_bytes = 8192;
  FragmentReassembler r(config);
  const Bytes header = ipv4("10.0.0.1", "10.0.0.2", 17, {});
  const Bytes data = filler(1024);
  for (std::uint32_t id = 0; id < 10000; ++id) {
    Fragment f;
    f.family = 4;
    f.src = header.data() + 12;
    f.dst = header.data() + 16;
    f.id = id;
    f.protocol = 17;
    f.offset = 0;
    f.more = true;
    f.header = header.data();
    f.header_len = 20;
    f.data = data.data();
    f.data_len = data.size();
    const std::uint8_t* out = nullptr;
    std::size_t out_len = 0;
    ASSERT_EQ(r.add(f, id, out, out_len), FragmentResult::held);
    ASSERT_LE(r.counters().in_progress, 16u);
    ASSERT_LE(r.counters().bytes_in_use, 8192u);
  }
  EXPECT_EQ(r.counters().evicted, 10000u - 8u);  // 8 datagrams of 1 KiB fill 8 KiB
}

}  // namespace
}  // namespace outpost::capture
