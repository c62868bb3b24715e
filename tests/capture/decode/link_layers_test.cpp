// Link layers and Ethernet shims, one behaviour per test, on hand-built frames.

#include <gtest/gtest.h>

#include <cstring>

#include "tests/capture/decode/frame_builder.h"

namespace outpost::capture {
namespace {

using namespace test_frames;

void expect_sample_udp(const PacketView& v) {
  EXPECT_EQ(text(v.src), "192.0.2.1");
  EXPECT_EQ(text(v.dst), "198.51.100.2");
  EXPECT_EQ(v.l4_proto, 17);
  EXPECT_EQ(v.src_port, 40000);
  EXPECT_EQ(v.dst_port, 53);
  EXPECT_EQ(v.payload_len, 12u);
  ASSERT_NE(v.payload, nullptr);
  EXPECT_EQ(v.payload[0], 0);
  EXPECT_EQ(v.payload[11], 11);
}

TEST(PacketDecoderEthernet, DecodesIpv4UdpWithMacsPortsAndPayload) {
  PacketDecoder d;
  PacketView v;
  const Bytes f = ethernet(0x0800, sample_udp());
  ASSERT_EQ(run(d, 1, f, v), DecodeStatus::ok);
  expect_sample_udp(v);
  EXPECT_TRUE(v.has_mac);
  EXPECT_EQ(0, std::memcmp(v.src_mac, kMacA.data(), 6));
  EXPECT_EQ(0, std::memcmp(v.dst_mac, kMacB.data(), 6));
  EXPECT_EQ(v.ip_version, 4);
  EXPECT_EQ(v.ip_count, 1);
  ASSERT_NE(v.l3, nullptr);
  EXPECT_EQ(v.l3[0], 0x45);
  EXPECT_EQ(v.payload - v.l3, 28);
  EXPECT_EQ(v.l3_len, sample_udp().size());
  EXPECT_EQ(v.vlan, 0);
  EXPECT_FALSE(v.payload_truncated);
  EXPECT_EQ(v.drop, DropReason::none);
  EXPECT_EQ(d.counters().ok, 1u);
}

TEST(PacketDecoderEthernet, ReportsTheOutermostOfThreeVlanTags) {
  PacketDecoder d;
  PacketView v;
  const Bytes f = ethernet(0x88A8, vlan_tag(100, 0x8100, vlan_tag(200, 0x8100, vlan_tag(300, 0x0800, sample_udp()))));
  ASSERT_EQ(run(d, 1, f, v), DecodeStatus::ok);
  EXPECT_EQ(v.vlan, 100);
  expect_sample_udp(v);
}

TEST(PacketDecoderEthernet, DropsAStackOfTooManyVlanTags) {
  PacketDecoder d;
  PacketView v;
  Bytes inner = sample_udp();
  std::uint16_t type = 0x0800;
  for (int i = 0; i < 12; ++i) {
    inner = vlan_tag(static_cast<std::uint16_t>(i + 1), type, inner);
    type = 0x8100;
  }
  ASSERT_EQ(run(d, 1, ethernet(0x8100, inner), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::bad_l2_header);
  EXPECT_EQ(d.counters().dropped_by[static_cast<std::size_t>(DropReason::bad_l2_header)], 1u);
}

TEST(PacketDecoderEthernet, FollowsAnMplsLabelStackToIpv4ByTheFirstNibble) {
  PacketDecoder d;
  PacketView v;
  Bytes labels;
  put32(labels, (1000u << 12) | 64);        // not bottom of stack
  put32(labels, (2000u << 12) | 0x100 | 64);  // bottom of stack
  ASSERT_EQ(run(d, 1, ethernet(0x8847, cat({labels, sample_udp()})), v), DecodeStatus::ok);
  expect_sample_udp(v);
}

TEST(PacketDecoderEthernet, TakesIpv6ExplicitNullAtTheBottomOfAnMplsStack) {
  PacketDecoder d;
  PacketView v;
  Bytes label;
  put32(label, (2u << 12) | 0x100 | 64);
  const Bytes inner = ipv6("2001:db8::1", "2001:db8::2", 17, udp(1, 2, {}));
  ASSERT_EQ(run(d, 1, ethernet(0x8847, cat({label, inner})), v), DecodeStatus::ok);
  EXPECT_EQ(v.ip_version, 6);
  EXPECT_EQ(text(v.dst), "2001:db8::2");
}

TEST(PacketDecoderEthernet, DecodesAnEthernetPseudowireWithControlWordUnderMpls) {
  PacketDecoder d;
  PacketView v;
  Bytes label;
  put32(label, (3000u << 12) | 0x100 | 64);
  const Bytes control_word = {0, 0, 0, 1};
  const Bytes inner = ethernet(0x0800, sample_udp(), kMacD, kMacC);
  ASSERT_EQ(run(d, 1, ethernet(0x8847, cat({label, control_word, inner})), v), DecodeStatus::ok);
  expect_sample_udp(v);
  EXPECT_EQ(0, std::memcmp(v.src_mac, kMacC.data(), 6));  // innermost Ethernet
}

TEST(PacketDecoderEthernet, DecodesPppoeSessionsCarryingIpv4AndIpv6) {
  PacketDecoder d;
  PacketView v;
  auto pppoe = [](std::uint16_t protocol, const Bytes& payload) {
    Bytes b = {0x11, 0x00, 0x12, 0x34};
    put16(b, static_cast<std::uint16_t>(payload.size() + 2));
    put16(b, protocol);
    append(b, payload);
    return b;
  };
  ASSERT_EQ(run(d, 1, ethernet(0x8864, pppoe(0x0021, sample_udp())), v), DecodeStatus::ok);
  expect_sample_udp(v);
  const Bytes six = ipv6("2001:db8::1", "2001:db8::2", 58, {128, 0, 0, 0, 0, 0, 0, 0});
  ASSERT_EQ(run(d, 1, ethernet(0x8864, pppoe(0x0057, six)), v), DecodeStatus::ok);
  EXPECT_EQ(v.l4_proto, 58);
  // LCP inside the session, and the discovery stage, carry no IP.
  EXPECT_EQ(run(d, 1, ethernet(0x8864, pppoe(0xC021, filler(10))), v), DecodeStatus::not_ip);
  EXPECT_EQ(run(d, 1, ethernet(0x8863, filler(20)), v), DecodeStatus::not_ip);
}

TEST(PacketDecoderEthernet, FollowsLlcSnapInAnIeee8023LengthFrame) {
  PacketDecoder d;
  PacketView v;
  const Bytes body = llc_snap(0x0800, sample_udp());
  ASSERT_EQ(run(d, 1, ethernet(static_cast<std::uint16_t>(body.size()), body), v), DecodeStatus::ok);
  expect_sample_udp(v);
  const Bytes stp = {0x42, 0x42, 0x03, 0, 0, 0, 0};
  EXPECT_EQ(run(d, 1, ethernet(static_cast<std::uint16_t>(stp.size()), stp), v), DecodeStatus::not_ip);
}

TEST(PacketDecoderEthernet, ReportsArpAsNotIp) {
  PacketDecoder d;
  PacketView v;
  EXPECT_EQ(run(d, 1, ethernet(0x0806, filler(28)), v), DecodeStatus::not_ip);
  EXPECT_EQ(d.counters().not_ip, 1u);
  EXPECT_EQ(v.ip_count, 0);
}

TEST(PacketDecoderEthernet, DropsAFrameShorterThanItsHeader) {
  PacketDecoder d;
  PacketView v;
  EXPECT_EQ(run(d, 1, filler(13), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::truncated_l2);
  EXPECT_EQ(run(d, 1, ethernet(0x8100, {0, 1}), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::truncated_l2);
}

TEST(PacketDecoderLinkTypes, ReadsBsdLoopbackFamiliesInEitherByteOrder) {
  PacketDecoder d;
  PacketView v;
  Bytes le;
  put32le(le, 2);
  ASSERT_EQ(run(d, 0, cat({le, sample_udp()}), v), DecodeStatus::ok);
  expect_sample_udp(v);
  Bytes be;
  put32(be, 30);  // IPv6 on FreeBSD, network order as DLT_LOOP writes it
  const Bytes six = ipv6("2001:db8::1", "2001:db8::2", 17, udp(5, 6, {}));
  ASSERT_EQ(run(d, 108, cat({be, six}), v), DecodeStatus::ok);
  EXPECT_EQ(v.ip_version, 6);
  Bytes le24;
  put32le(le24, 24);
  ASSERT_EQ(run(d, 0, cat({le24, six}), v), DecodeStatus::ok);
  Bytes other;
  put32le(other, 7);
  EXPECT_EQ(run(d, 0, cat({other, six}), v), DecodeStatus::not_ip);
}

TEST(PacketDecoderLinkTypes, DecodesRawIpOnEveryRawLinkType) {
  PacketDecoder d;
  PacketView v;
  for (int dlt : {12, 14, 101, 228}) {
    SCOPED_TRACE(dlt);
    ASSERT_EQ(run(d, dlt, sample_udp(), v), DecodeStatus::ok);
    expect_sample_udp(v);
    EXPECT_FALSE(v.has_mac);
  }
  const Bytes six = ipv6("2001:db8::1", "2001:db8::2", 17, udp(5, 6, {}));
  EXPECT_EQ(run(d, 229, six, v), DecodeStatus::ok);
  EXPECT_EQ(run(d, 101, six, v), DecodeStatus::ok);
  EXPECT_EQ(run(d, 228, six, v), DecodeStatus::dropped);  // DLT_IPV4 carrying version 6
  EXPECT_EQ(v.drop, DropReason::bad_ip_header);
}

TEST(PacketDecoderLinkTypes, DecodesPppWithAndWithoutAddressAndControl) {
  PacketDecoder d;
  PacketView v;
  ASSERT_EQ(run(d, 9, cat({{0xFF, 0x03, 0x00, 0x21}, sample_udp()}), v), DecodeStatus::ok);
  expect_sample_udp(v);
  ASSERT_EQ(run(d, 9, cat({{0x00, 0x21}, sample_udp()}), v), DecodeStatus::ok);
  ASSERT_EQ(run(d, 9, cat({{0x21}, sample_udp()}), v), DecodeStatus::ok);  // compressed protocol
  EXPECT_EQ(run(d, 9, {0xFF, 0x03, 0xC0, 0x21, 1, 2, 3, 4}, v), DecodeStatus::not_ip);
}

TEST(PacketDecoderLinkTypes, DecodesPppSerialInBothFramingsAndCiscoHdlc) {
  PacketDecoder d;
  PacketView v;
  ASSERT_EQ(run(d, 50, cat({{0xFF, 0x03, 0x00, 0x21}, sample_udp()}), v), DecodeStatus::ok);
  ASSERT_EQ(run(d, 50, cat({{0x0F, 0x00, 0x08, 0x00}, sample_udp()}), v), DecodeStatus::ok);
  ASSERT_EQ(run(d, 104, cat({{0x0F, 0x00, 0x08, 0x00}, sample_udp()}), v), DecodeStatus::ok);
  expect_sample_udp(v);
  Bytes mpls = {0x0F, 0x00, 0x88, 0x47};
  put32(mpls, (16u << 12) | 0x100 | 255);
  ASSERT_EQ(run(d, 104, cat({mpls, sample_udp()}), v), DecodeStatus::ok);
  expect_sample_udp(v);
}

TEST(PacketDecoderLinkTypes, DecodesLinuxCookedCapturesV1AndV2) {
  PacketDecoder d;
  PacketView v;
  Bytes sll = {0, 0, 0, 1, 0, 6};
  append(sll, kMacA);
  append(sll, {0, 0});
  put16(sll, 0x0800);
  ASSERT_EQ(run(d, 113, cat({sll, sample_udp()}), v), DecodeStatus::ok);
  expect_sample_udp(v);
  EXPECT_FALSE(v.has_mac);
  Bytes sll2;
  put16(sll2, 0x86DD);
  append(sll2, {0, 0, 0, 0, 0, 2, 0, 1, 0, 6});
  append(sll2, kMacA);
  append(sll2, {0, 0});
  ASSERT_EQ(sll2.size(), 20u);
  ASSERT_EQ(run(d, 276, cat({sll2, ipv6("fe80::1", "ff02::1", 17, udp(1, 2, {}))}), v), DecodeStatus::ok);
  EXPECT_EQ(text(v.src), "fe80::1");
  EXPECT_EQ(run(d, 113, filler(15), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::truncated_l2);
}

Bytes nflog_tlv(std::uint16_t type, const Bytes& value, bool little) {
  Bytes b;
  const auto len = static_cast<std::uint16_t>(4 + value.size());
  if (little) {
    put16le(b, len);
    put16le(b, type);
  } else {
    put16(b, len);
    put16(b, type);
  }
  append(b, value);
  while (b.size() % 4) b.push_back(0);
  return b;
}

TEST(PacketDecoderLinkTypes, FindsTheNflogPayloadTlvAfterOthersInEitherByteOrder) {
  PacketDecoder d;
  PacketView v;
  for (bool little : {true, false}) {
    SCOPED_TRACE(little);
    const Bytes frame = cat({{2, 0, 0, 0}, nflog_tlv(1, {8, 0, 1, 0}, little),
                             nflog_tlv(10, {'p', 'r', 'e'}, little), nflog_tlv(9, sample_udp(), little)});
    ASSERT_EQ(run(d, 239, frame, v), DecodeStatus::ok);
    expect_sample_udp(v);
  }
  EXPECT_EQ(run(d, 239, cat({{2, 0, 0, 0}, nflog_tlv(1, {8, 0, 1, 0}, true)}), v), DecodeStatus::not_ip);
  EXPECT_EQ(run(d, 239, cat({{2, 0, 0, 0}, {0x40, 0, 9, 0}, filler(8)}), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::truncated_l2);
}

TEST(PacketDecoderLinkTypes, FollowsPpiToTheLinkTypeItAnnounces) {
  PacketDecoder d;
  PacketView v;
  Bytes ppi = {0, 0};
  put16le(ppi, 16);
  put32le(ppi, 1);
  append(ppi, filler(8));
  ASSERT_EQ(run(d, 192, cat({ppi, ethernet(0x0800, sample_udp())}), v), DecodeStatus::ok);
  expect_sample_udp(v);
  // PPI announcing PPI is refused, not followed.
  Bytes nested = {0, 0};
  put16le(nested, 8);
  put32le(nested, 192);
  EXPECT_EQ(run(d, 192, cat({nested, nested, ethernet(0x0800, sample_udp())}), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::unsupported_link);
}

TEST(PacketDecoderLinkTypes, DropsUnknownLinkTypesAsUnsupported) {
  PacketDecoder d;
  PacketView v;
  EXPECT_FALSE(PacketDecoder::supports_link(147));
  EXPECT_TRUE(PacketDecoder::supports_link(127));
  EXPECT_EQ(run(d, 147, sample_udp(), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::unsupported_link);
  EXPECT_EQ(d.counters().dropped_by[static_cast<std::size_t>(DropReason::unsupported_link)], 1u);
}

}  // namespace
}  // namespace outpost::capture
