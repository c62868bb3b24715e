// Tunnels: the inner packet becomes the flow packet, every IP header lands in ips[] outermost
// first, and a tunnel whose payload cannot be decoded leaves the outer packet as the flow packet.

#include <gtest/gtest.h>

#include <cstring>

#include "tests/capture/decode/frame_builder.h"

namespace outpost::capture {
namespace {

using namespace test_frames;

const char* const kOuterSrc = "203.0.113.1";
const char* const kOuterDst = "203.0.113.2";

Bytes outer_udp(std::uint16_t sport, std::uint16_t dport, const Bytes& payload) {
  return ethernet(0x0800, ipv4(kOuterSrc, kOuterDst, 17, udp(sport, dport, payload)));
}
Bytes outer_ip(std::uint8_t proto, const Bytes& payload) {
  return ethernet(0x0800, ipv4(kOuterSrc, kOuterDst, proto, payload));
}

// The inner packet is sample_udp() (192.0.2.1:40000 -> 198.51.100.2:53, 12 bytes of payload).
void expect_inner(const PacketView& v, std::size_t ip_count = 2) {
  ASSERT_EQ(v.ip_count, ip_count) << ips_text(v);
  EXPECT_EQ(text(v.ips[0].src), kOuterSrc);
  EXPECT_EQ(text(v.src), "192.0.2.1");
  EXPECT_EQ(text(v.dst), "198.51.100.2");
  EXPECT_EQ(v.dst_port, 53);
  EXPECT_EQ(v.payload_len, 12u);
  EXPECT_EQ(v.drop, DropReason::none);
}

Bytes gre(std::uint16_t flags, std::uint16_t protocol, std::size_t optional_words, const Bytes& payload) {
  Bytes b;
  put16(b, flags);
  put16(b, protocol);
  for (std::size_t i = 0; i < optional_words; ++i) put32(b, 0x11223344);
  append(b, payload);
  return b;
}

TEST(PacketDecoderGre, DecodesIpv4WithChecksumKeyAndSequence) {
  PacketDecoder d;
  PacketView v;
  ASSERT_EQ(run(d, 1, outer_ip(47, gre(0xB000, 0x0800, 3, sample_udp())), v), DecodeStatus::ok);
  expect_inner(v);
  EXPECT_EQ(d.counters().tunnelled, 1u);
}

TEST(PacketDecoderGre, DecodesTransparentEthernetBridging) {
  PacketDecoder d;
  PacketView v;
  ASSERT_EQ(run(d, 1, outer_ip(47, gre(0x2000, 0x6558, 1, ethernet(0x0800, sample_udp(), kMacD, kMacC))), v),
            DecodeStatus::ok);
  expect_inner(v);
  EXPECT_EQ(0, std::memcmp(v.src_mac, kMacC.data(), 6));
}

TEST(PacketDecoderGre, DecodesPptpEnhancedGreCarryingPpp) {
  PacketDecoder d;
  PacketView v;
  // Version 1 with Key, Sequence and Acknowledgment: 3 optional words.
  const Bytes ppp = cat({{0xFF, 0x03, 0x00, 0x21}, sample_udp()});
  ASSERT_EQ(run(d, 1, outer_ip(47, gre(0x3081, 0x880B, 3, ppp)), v), DecodeStatus::ok);
  expect_inner(v);
}

TEST(PacketDecoderGre, DecodesErspanTypesTwoAndThree) {
  PacketDecoder d;
  PacketView v;
  const Bytes mirrored = ethernet(0x0800, sample_udp(), kMacD, kMacC);
  const Bytes type2 = cat({{0x10, 0x64, 0x00, 0x01, 0, 0, 0, 0}, mirrored});
  ASSERT_EQ(run(d, 1, outer_ip(47, gre(0x1000, 0x88BE, 1, type2)), v), DecodeStatus::ok);
  expect_inner(v);
  // Type III with the optional 8-byte platform-specific subheader (O bit).
  const Bytes type3 = cat({{0x20, 0x64, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x00, 0x01}, filler(8), mirrored});
  ASSERT_EQ(run(d, 1, outer_ip(47, gre(0x1000, 0x22EB, 1, type3)), v), DecodeStatus::ok);
  expect_inner(v);
  // Type I (no sequence number): Ethernet right after GRE.
  ASSERT_EQ(run(d, 1, outer_ip(47, gre(0x0000, 0x88BE, 0, mirrored)), v), DecodeStatus::ok);
  expect_inner(v);
}

TEST(PacketDecoderGre, DecodesAruba80211Frames) {
  PacketDecoder d;
  PacketView v;
  const Bytes wlan = wlan_data(0x88, 0x01, kMacA, kMacB, kMacC, llc_snap(0x0800, sample_udp()));
  ASSERT_EQ(run(d, 1, outer_ip(47, gre(0x0000, 0x8200, 0, wlan)), v), DecodeStatus::ok);
  expect_inner(v);
  EXPECT_EQ(0, std::memcmp(v.src_mac, kMacB.data(), 6));
}

TEST(PacketDecoderGre, KeepsTheOuterPacketWhenGreIsMalformed) {
  PacketDecoder d;
  PacketView v;
  ASSERT_EQ(run(d, 1, outer_ip(47, gre(0x0003, 0x0800, 0, sample_udp())), v), DecodeStatus::ok);
  EXPECT_EQ(v.drop, DropReason::bad_tunnel_header);
  EXPECT_EQ(text(v.src), kOuterSrc);
  EXPECT_EQ(v.l4_proto, 47);
  EXPECT_EQ(d.counters().inner_dropped_by[static_cast<std::size_t>(DropReason::bad_tunnel_header)], 1u);
  EXPECT_EQ(d.counters().tunnelled, 0u);
}

TEST(PacketDecoderIpInIp, DecodesIpv4InIpv4AndIpv6InIpv4) {
  PacketDecoder d;
  PacketView v;
  ASSERT_EQ(run(d, 1, outer_ip(4, sample_udp()), v), DecodeStatus::ok);
  expect_inner(v);
  const Bytes six = ipv6("2001:db8::1", "2001:db8::2", 6, tcp(1, 443, 0x02, {}));
  ASSERT_EQ(run(d, 1, outer_ip(41, six), v), DecodeStatus::ok);
  ASSERT_EQ(v.ip_count, 2);
  EXPECT_EQ(v.ip_version, 6);
  EXPECT_EQ(v.dst_port, 443);
}

TEST(PacketDecoderIpInIp, StopsAtKMaxIpHeadersAndReportsTheDeepestThatFits) {
  PacketDecoder d;
  PacketView v;
  Bytes packet = sample_udp();
  for (int i = 0; i < 10; ++i) {
    const std::string src = "10.0.0." + std::to_string(i + 1);
    packet = ipv4(src.c_str(), "10.9.9.9", 4, packet);
  }
  ASSERT_EQ(run(d, 12, packet, v), DecodeStatus::ok);
  EXPECT_EQ(v.ip_count, PacketView::kMaxIpHeaders);
  EXPECT_EQ(v.drop, DropReason::tunnel_too_deep);
  EXPECT_EQ(text(v.src), "10.0.0.3");  // the eighth header from the outside
  EXPECT_EQ(v.l4_proto, 4);
  EXPECT_EQ(d.counters().inner_dropped_by[static_cast<std::size_t>(DropReason::tunnel_too_deep)], 1u);
}

TEST(PacketDecoderUdpTunnels, DecodesVxlan) {
  PacketDecoder d;
  PacketView v;
  const Bytes vxlan = cat({{0x08, 0, 0, 0, 0, 0, 0x2A, 0}, ethernet(0x0800, sample_udp())});
  ASSERT_EQ(run(d, 1, outer_udp(51000, 4789, vxlan), v), DecodeStatus::ok);
  expect_inner(v);
}

TEST(PacketDecoderUdpTunnels, DecodesGeneveWithOptions) {
  PacketDecoder d;
  PacketView v;
  const Bytes geneve = cat({{0x02, 0, 0x65, 0x58, 0, 0, 1, 0}, filler(8), ethernet(0x0800, sample_udp())});
  ASSERT_EQ(run(d, 1, outer_udp(51000, 6081, geneve), v), DecodeStatus::ok);
  expect_inner(v);
}

TEST(PacketDecoderUdpTunnels, DecodesGtpUWithAnExtensionHeader) {
  PacketDecoder d;
  PacketView v;
  const Bytes ext = {0x01, 0x00, 0x09, 0x00};  // PDU session container, 4 bytes, next type 0
  const Bytes opt = {0x00, 0x01, 0x00, 0x85};  // sequence number, N-PDU, next extension 0x85
  Bytes gtp = {0x34, 0xFF};                     // version 1, PT, E
  put16(gtp, static_cast<std::uint16_t>(opt.size() + ext.size() + sample_udp().size()));
  put32(gtp, 0xAABBCCDD);
  append(gtp, opt);
  append(gtp, ext);
  append(gtp, sample_udp());
  ASSERT_EQ(run(d, 1, outer_udp(2152, 2152, gtp), v), DecodeStatus::ok);
  expect_inner(v);
  // A GTP-U echo request is not a user packet.
  Bytes echo = {0x32, 0x01, 0x00, 0x04, 0, 0, 0, 0, 0, 1, 0, 0};
  ASSERT_EQ(run(d, 1, outer_udp(2152, 2152, echo), v), DecodeStatus::ok);
  EXPECT_EQ(v.dst_port, 2152);
  EXPECT_EQ(d.counters().tunnel_not_ip, 1u);
}

TEST(PacketDecoderUdpTunnels, DecodesTeredoWithAuthenticationAndOriginIndication) {
  PacketDecoder d;
  PacketView v;
  const Bytes six = ipv6("2001:0:4136:e378::1", "2001:db8::2", 17, udp(1, 2, {}));
  Bytes auth = {0x00, 0x01, 2, 3, 'i', 'd', 'a', 'u', 't'};
  append(auth, filler(8));
  auth.push_back(0);
  const Bytes origin = {0x00, 0x00, 0x12, 0x34, 1, 2, 3, 4};
  ASSERT_EQ(run(d, 1, outer_udp(3544, 50000, cat({auth, origin, six})), v), DecodeStatus::ok);
  ASSERT_EQ(v.ip_count, 2);
  EXPECT_EQ(text(v.src), "2001:0:4136:e378::1");
  // Something else on port 3544 stays a plain UDP packet.
  ASSERT_EQ(run(d, 1, outer_udp(3544, 50000, filler(60)), v), DecodeStatus::ok);
  EXPECT_EQ(v.ip_count, 1);
  EXPECT_EQ(v.payload_len, 60u);
}

Bytes capwap_header(bool native) {
  // HLEN 2 words, RID 1, WBID 1 (802.11), T per argument.
  Bytes b = {0x00, 0x10, static_cast<std::uint8_t>(0x40 | 0x02 | (native ? 1 : 0)), 0x00, 0, 0, 0, 0};
  return b;
}

TEST(PacketDecoderUdpTunnels, DecodesCapwap8023And80211IncludingCiscoSwappedFrameControl) {
  PacketDecoder d;
  PacketView v;
  ASSERT_EQ(run(d, 1, outer_udp(12000, 5247, cat({capwap_header(false), ethernet(0x0800, sample_udp())})), v),
            DecodeStatus::ok);
  expect_inner(v);
  Bytes wlan = wlan_data(0x08, 0x01, kMacA, kMacB, kMacC, llc_snap(0x0800, sample_udp()));
  ASSERT_EQ(run(d, 1, outer_udp(12000, 5247, cat({capwap_header(true), wlan})), v), DecodeStatus::ok);
  expect_inner(v);
  std::swap(wlan[0], wlan[1]);
  std::swap(wlan[22], wlan[23]);
  ASSERT_EQ(run(d, 1, outer_udp(12000, 5247, cat({capwap_header(true), wlan})), v), DecodeStatus::ok);
  expect_inner(v);
  // The DTLS-protected variant is not decoded further.
  ASSERT_EQ(run(d, 1, outer_udp(12000, 5247, cat({{0x01, 0, 0, 0}, filler(40)})), v), DecodeStatus::ok);
  EXPECT_EQ(v.ip_count, 1);
}

TEST(PacketDecoderUdpTunnels, KeepsTheOuterPacketWhenTheTunnelCarriesNoIp) {
  PacketDecoder d;
  PacketView v;
  const Bytes vxlan = cat({{0x08, 0, 0, 0, 0, 0, 0x2A, 0}, ethernet(0x0806, filler(28), kMacD, kMacC)});
  const Bytes frame = outer_udp(51000, 4789, vxlan);
  ASSERT_EQ(run(d, 1, frame, v), DecodeStatus::ok);
  EXPECT_EQ(v.ip_count, 1);
  EXPECT_EQ(text(v.src), kOuterSrc);
  EXPECT_EQ(v.dst_port, 4789);
  EXPECT_EQ(v.payload_len, vxlan.size());
  EXPECT_EQ(0, std::memcmp(v.src_mac, kMacA.data(), 6));  // the outer frame's, restored
  EXPECT_EQ(d.counters().tunnel_not_ip, 1u);
}

TEST(PacketDecoderUdpTunnels, KeepsTheOuterPacketWhenTheInnerPacketIsMalformed) {
  PacketDecoder d;
  PacketView v;
  Bytes inner = sample_udp();
  inner[0] = 0x44;  // IHL 4
  const Bytes vxlan = cat({{0x08, 0, 0, 0, 0, 0, 0x2A, 0}, ethernet(0x0800, inner)});
  ASSERT_EQ(run(d, 1, outer_udp(51000, 4789, vxlan), v), DecodeStatus::ok);
  EXPECT_EQ(v.drop, DropReason::bad_ip_header);
  EXPECT_EQ(text(v.src), kOuterSrc);
  EXPECT_EQ(v.dst_port, 4789);
}

}  // namespace
}  // namespace outpost::capture
