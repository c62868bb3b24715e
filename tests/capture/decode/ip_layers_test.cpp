// IPv4, IPv6 extension headers, TCP, UDP and ICMP quotes on hand-built frames; every drop
// reason of these layers.

#include <gtest/gtest.h>

#include "tests/capture/decode/frame_builder.h"

namespace outpost::capture {
namespace {

using namespace test_frames;

constexpr int kRaw = 101;

TEST(PacketDecoderIpv4, FindsTheTransportHeaderAfterOptions) {
  PacketDecoder d;
  PacketView v;
  Ipv4Options o;
  o.option_words = 3;
  const Bytes f = ipv4("10.1.1.1", "10.2.2.2", 6, tcp(1234, 80, 0x18, {'G', 'E', 'T'}, 7, 9), o);
  ASSERT_EQ(run(d, kRaw, f, v), DecodeStatus::ok);
  EXPECT_EQ(v.src_port, 1234);
  EXPECT_EQ(v.dst_port, 80);
  EXPECT_EQ(v.tcp_flags, 0x18);
  EXPECT_EQ(v.tcp_seq, 7u);
  EXPECT_EQ(v.tcp_ack, 9u);
  ASSERT_EQ(v.payload_len, 3u);
  EXPECT_EQ(v.payload[0], 'G');
}

TEST(PacketDecoderIpv4, ClipsThePayloadToTotalLengthBeforeEthernetPadding) {
  PacketDecoder d;
  PacketView v;
  const Bytes ip = ipv4("10.1.1.1", "10.2.2.2", 17, udp(1, 2, {7}));
  const Bytes f = ethernet(0x0800, cat({ip, Bytes(20, 0xEE)}));
  ASSERT_EQ(run(d, 1, f, v), DecodeStatus::ok);
  EXPECT_EQ(v.payload_len, 1u);
  EXPECT_EQ(v.l3_len, ip.size());
  EXPECT_FALSE(v.payload_truncated);
}

TEST(PacketDecoderIpv4, MarksThePayloadTruncatedWhenTheCaptureEndsFirst) {
  PacketDecoder d;
  PacketView v;
  const Bytes ip = ipv4("10.1.1.1", "10.2.2.2", 6, tcp(1, 2, 0x10, filler(100)));
  const Bytes cut(ip.begin(), ip.begin() + 60);
  ASSERT_EQ(d.decode(kRaw, cut.data(), cut.size(), static_cast<std::uint32_t>(ip.size()), 1, v), DecodeStatus::ok);
  EXPECT_TRUE(v.payload_truncated);
  EXPECT_EQ(v.l3_len, ip.size());
  EXPECT_EQ(v.payload_len, 20u);
}

TEST(PacketDecoderIpv4, UsesTheCapturedLengthWhenTotalLengthIsZero) {
  PacketDecoder d;
  PacketView v;
  Ipv4Options o;
  o.total_length = 0;
  ASSERT_EQ(run(d, kRaw, ipv4("10.1.1.1", "10.2.2.2", 6, tcp(1, 2, 0x10, filler(30)), o), v), DecodeStatus::ok);
  EXPECT_EQ(v.payload_len, 30u);
}

TEST(PacketDecoderIpv4, DropsMalformedHeadersByReason) {
  PacketDecoder d;
  PacketView v;
  EXPECT_EQ(run(d, kRaw, Bytes(sample_udp().begin(), sample_udp().begin() + 19), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::truncated_ip);
  EXPECT_EQ(v.ip_count, 0);

  Ipv4Options short_ihl;
  short_ihl.ihl_override = 4;
  EXPECT_EQ(run(d, kRaw, ipv4("10.1.1.1", "10.2.2.2", 17, udp(1, 2, {}), short_ihl), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::bad_ip_header);

  Ipv4Options long_ihl;
  long_ihl.ihl_override = 15;  // 60 bytes of header in a 28-byte packet
  EXPECT_EQ(run(d, kRaw, ipv4("10.1.1.1", "10.2.2.2", 17, udp(1, 2, {}), long_ihl), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::truncated_ip);

  Ipv4Options short_total;
  short_total.total_length = 19;
  EXPECT_EQ(run(d, kRaw, ipv4("10.1.1.1", "10.2.2.2", 17, udp(1, 2, {}), short_total), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::bad_ip_header);

  EXPECT_EQ(d.counters().dropped, 4u);
  EXPECT_EQ(d.counters().dropped_by[static_cast<std::size_t>(DropReason::bad_ip_header)], 2u);
}

TEST(PacketDecoderTransport, DropsATcpDataOffsetBelowFiveButKeepsTheAddresses) {
  PacketDecoder d;
  PacketView v;
  ASSERT_EQ(run(d, kRaw, ipv4("10.1.1.1", "10.2.2.2", 6, tcp(1, 2, 0x02, {}, 0, 0, 4)), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::bad_l4_header);
  ASSERT_EQ(v.ip_count, 1);
  EXPECT_EQ(text(v.ips[0].src), "10.1.1.1");
}

TEST(PacketDecoderTransport, SeparatesTruncatedFromMalformedTransportHeaders) {
  PacketDecoder d;
  PacketView v;
  // The capture ends inside the TCP header: truncated.
  const Bytes ip = ipv4("10.1.1.1", "10.2.2.2", 6, tcp(1, 2, 0x02, {}, 0, 0, 8));
  const Bytes cut(ip.begin(), ip.begin() + 30);
  EXPECT_EQ(d.decode(kRaw, cut.data(), cut.size(), static_cast<std::uint32_t>(ip.size()), 1, v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::truncated_l4);
  // The datagram itself ends inside the UDP header: malformed.
  EXPECT_EQ(run(d, kRaw, ipv4("10.1.1.1", "10.2.2.2", 17, {0, 1, 0, 2}), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::bad_l4_header);
  // Options longer than the segment.
  Bytes bad = ipv4("10.1.1.1", "10.2.2.2", 6, tcp(1, 2, 0x02, {}));
  bad[20 + 12] = 0xF0;
  EXPECT_EQ(run(d, kRaw, bad, v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::bad_l4_header);
}

TEST(PacketDecoderTransport, BoundsTheUdpPayloadByTheUdpLength) {
  PacketDecoder d;
  PacketView v;
  ASSERT_EQ(run(d, kRaw, ipv4("10.1.1.1", "10.2.2.2", 17, udp(1, 2, filler(10), 12)), v), DecodeStatus::ok);
  EXPECT_EQ(v.payload_len, 4u);
  ASSERT_EQ(run(d, kRaw, ipv4("10.1.1.1", "10.2.2.2", 17, udp(1, 2, filler(10), 200)), v), DecodeStatus::ok);
  EXPECT_EQ(v.payload_len, 10u);
}

TEST(PacketDecoderTransport, KeysOtherProtocolsWithoutPorts) {
  PacketDecoder d;
  PacketView v;
  ASSERT_EQ(run(d, kRaw, ipv4("10.1.1.1", "10.2.2.2", 50, filler(40)), v), DecodeStatus::ok);
  EXPECT_EQ(v.l4_proto, 50);
  EXPECT_EQ(v.src_port, 0);
  EXPECT_EQ(v.payload, nullptr);
}

TEST(PacketDecoderIcmp, AddsTheQuotedHeaderOfAnIcmpErrorWithoutChangingTheFlow) {
  PacketDecoder d;
  PacketView v;
  const Bytes quoted = ipv4("192.168.1.5", "203.0.113.9", 17, udp(5353, 53, {}));
  const Bytes icmp = cat({{3, 3, 0, 0, 0, 0, 0, 0}, Bytes(quoted.begin(), quoted.begin() + 28)});
  ASSERT_EQ(run(d, kRaw, ipv4("10.0.0.1", "192.168.1.5", 1, icmp), v), DecodeStatus::ok);
  ASSERT_EQ(v.ip_count, 2);
  EXPECT_EQ(text(v.ips[1].src), "192.168.1.5");
  EXPECT_EQ(text(v.ips[1].dst), "203.0.113.9");
  EXPECT_EQ(text(v.src), "10.0.0.1");
  EXPECT_EQ(v.l4_proto, 1);
  // An echo request quotes nothing.
  ASSERT_EQ(run(d, kRaw, ipv4("10.0.0.1", "192.168.1.5", 1, cat({{8, 0, 0, 0, 0, 0, 0, 0}, quoted})), v), DecodeStatus::ok);
  EXPECT_EQ(v.ip_count, 1);
}

TEST(PacketDecoderIcmp, AddsTheQuotedHeaderOfAnIcmpv6Error) {
  PacketDecoder d;
  PacketView v;
  const Bytes quoted = ipv6("2001:db8::5", "2001:db8::9", 17, udp(1, 2, {}));
  const Bytes icmp = cat({{1, 4, 0, 0, 0, 0, 0, 0}, quoted});
  ASSERT_EQ(run(d, kRaw, ipv6("2001:db8::1", "2001:db8::5", 58, icmp), v), DecodeStatus::ok);
  ASSERT_EQ(v.ip_count, 2);
  EXPECT_EQ(text(v.ips[1].dst), "2001:db8::9");
  EXPECT_EQ(text(v.dst), "2001:db8::5");
  // Informational messages (128+) quote nothing.
  ASSERT_EQ(run(d, kRaw, ipv6("2001:db8::1", "2001:db8::5", 58, cat({{128, 0, 0, 0, 0, 0, 0, 0}, quoted})), v), DecodeStatus::ok);
  EXPECT_EQ(v.ip_count, 1);
}

TEST(PacketDecoderIpv6, WalksHopByHopRoutingAndDestinationOptionsToTcp) {
  PacketDecoder d;
  PacketView v;
  const Bytes chain = cat({ext_header(43, 0), ext_header(60, 2), ext_header(6, 1), tcp(5000, 443, 0x12, {1, 2})});
  ASSERT_EQ(run(d, kRaw, ipv6("2001:db8::1", "2001:db8::2", 0, chain), v), DecodeStatus::ok);
  EXPECT_EQ(v.l4_proto, 6);
  EXPECT_EQ(v.dst_port, 443);
  EXPECT_EQ(v.payload_len, 2u);
  EXPECT_EQ(v.l3_len, 40 + chain.size());
}

TEST(PacketDecoderIpv6, SkipsAnAuthenticationHeaderInFourByteUnits) {
  PacketDecoder d;
  PacketView v;
  Bytes ah = {17, 4, 0, 0};  // Payload Len 4: (4 + 2) * 4 = 24 bytes
  append(ah, filler(20));
  ASSERT_EQ(run(d, kRaw, ipv6("2001:db8::1", "2001:db8::2", 51, cat({ah, udp(7, 8, {9})})), v), DecodeStatus::ok);
  EXPECT_EQ(v.dst_port, 8);
  EXPECT_EQ(v.payload_len, 1u);
}

TEST(PacketDecoderIpv6, DecodesAnAtomicFragmentAsAWholePacket) {
  PacketDecoder d;
  PacketView v;
  ASSERT_EQ(run(d, kRaw, ipv6("2001:db8::1", "2001:db8::2", 44, cat({fragment_header(17, 0, false, 77), udp(1, 2, {3})})), v),
            DecodeStatus::ok);
  EXPECT_EQ(v.l4_proto, 17);
  EXPECT_EQ(d.counters().fragments.fragments, 0u);
}

TEST(PacketDecoderIpv6, DropsAnExtensionChainThatIsTooLong) {
  PacketDecoder d;
  PacketView v;
  Bytes chain = udp(1, 2, {});
  std::uint8_t next = 17;
  for (int i = 0; i < 20; ++i) {
    chain = cat({ext_header(next), chain});
    next = 60;
  }
  EXPECT_EQ(run(d, kRaw, ipv6("2001:db8::1", "2001:db8::2", 60, chain), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::bad_ipv6_ext);
  EXPECT_EQ(v.ip_count, 1);
}

TEST(PacketDecoderIpv6, DropsAnExtensionHeaderRunningPastThePayloadLength) {
  PacketDecoder d;
  PacketView v;
  const Bytes chain = cat({ext_header(17, 4), udp(1, 2, {})});
  EXPECT_EQ(run(d, kRaw, ipv6("2001:db8::1", "2001:db8::2", 0, chain, 16), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::bad_ipv6_ext);
  // The same header cut by the capture instead: truncated.
  const Bytes full = ipv6("2001:db8::1", "2001:db8::2", 0, chain);
  EXPECT_EQ(d.decode(kRaw, full.data(), 50, static_cast<std::uint32_t>(full.size()), 1, v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::truncated_ip);
}

TEST(PacketDecoderIpv6, DropsAHeaderShorterThanFortyBytes) {
  PacketDecoder d;
  PacketView v;
  const Bytes full = ipv6("2001:db8::1", "2001:db8::2", 59, {});
  EXPECT_EQ(d.decode(kRaw, full.data(), 39, 39, 1, v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::truncated_ip);
}

TEST(PacketDecoderView, ResetsEveryFieldBetweenFrames) {
  PacketDecoder d;
  PacketView v;
  ASSERT_EQ(run(d, 1, ethernet(0x8100, vlan_tag(5, 0x0800, ipv4("10.0.0.1", "10.0.0.2", 6, tcp(1, 2, 0x02, {1})))), v),
            DecodeStatus::ok);
  ASSERT_EQ(run(d, 1, ethernet(0x0806, filler(28)), v), DecodeStatus::not_ip);
  EXPECT_EQ(v.vlan, 0);
  EXPECT_EQ(v.ip_count, 0);
  EXPECT_EQ(v.l3, nullptr);
  EXPECT_EQ(v.payload, nullptr);
  EXPECT_EQ(v.src_port, 0);
  EXPECT_EQ(v.tcp_flags, 0);
  EXPECT_EQ(v.src.family, 0);
  EXPECT_EQ(v.drop, DropReason::none);
}

}  // namespace
}  // namespace outpost::capture
