// 802.11 data frames, plain (DLT 105) and behind radiotap (DLT 127).

#include <gtest/gtest.h>

#include <cstring>

#include "tests/capture/decode/frame_builder.h"

namespace outpost::capture {
namespace {

using namespace test_frames;

constexpr int kWlan = 105;
constexpr int kRadiotap = 127;

void expect_macs(const PacketView& v, const Bytes& src, const Bytes& dst) {
  ASSERT_TRUE(v.has_mac);
  EXPECT_EQ(0, std::memcmp(v.src_mac, src.data(), 6));
  EXPECT_EQ(0, std::memcmp(v.dst_mac, dst.data(), 6));
}

TEST(PacketDecoderWlan, TakesSourceAndDestinationByTheDsBits) {
  PacketDecoder d;
  PacketView v;
  const Bytes body = llc_snap(0x0800, sample_udp());
  // To DS: A1 = BSSID, A2 = SA, A3 = DA.
  ASSERT_EQ(run(d, kWlan, wlan_data(0x08, 0x01, kMacA, kMacB, kMacC, body), v), DecodeStatus::ok);
  expect_macs(v, kMacB, kMacC);
  EXPECT_EQ(text(v.src), "192.0.2.1");
  // From DS: A1 = DA, A2 = BSSID, A3 = SA.
  ASSERT_EQ(run(d, kWlan, wlan_data(0x08, 0x02, kMacA, kMacB, kMacC, body), v), DecodeStatus::ok);
  expect_macs(v, kMacC, kMacA);
  // Neither: A1 = DA, A2 = SA.
  ASSERT_EQ(run(d, kWlan, wlan_data(0x08, 0x00, kMacA, kMacB, kMacC, body), v), DecodeStatus::ok);
  expect_macs(v, kMacB, kMacA);
  // Both (WDS): A3 = DA, A4 = SA.
  ASSERT_EQ(run(d, kWlan, wlan_data(0x08, 0x03, kMacA, kMacB, kMacC, body, kMacD), v), DecodeStatus::ok);
  expect_macs(v, kMacD, kMacC);
  EXPECT_EQ(v.dst_port, 53);
}

TEST(PacketDecoderWlan, SkipsQosControlAndHtControl) {
  PacketDecoder d;
  PacketView v;
  const Bytes body = llc_snap(0x86DD, ipv6("2001:db8::1", "2001:db8::2", 6, tcp(1, 443, 0x02, {})));
  ASSERT_EQ(run(d, kWlan, wlan_data(0x88, 0x01, kMacA, kMacB, kMacC, body), v), DecodeStatus::ok);
  EXPECT_EQ(v.dst_port, 443);
  ASSERT_EQ(run(d, kWlan, wlan_data(0x88, 0x81, kMacA, kMacB, kMacC, body), v), DecodeStatus::ok);
  EXPECT_EQ(v.dst_port, 443);
  EXPECT_EQ(v.tcp_flags, 0x02);
}

TEST(PacketDecoderWlan, TakesTheFirstSubframeOfAnAmsdu) {
  PacketDecoder d;
  PacketView v;
  const Bytes msdu = llc_snap(0x0800, sample_udp());
  Bytes subframe = cat({kMacD, kMacC});
  put16(subframe, static_cast<std::uint16_t>(msdu.size()));
  append(subframe, msdu);
  ASSERT_EQ(run(d, kWlan, wlan_data(0x88, 0x01, kMacA, kMacB, kMacC, subframe, {}, 0x0080), v),
            DecodeStatus::ok);
  expect_macs(v, kMacC, kMacD);
  EXPECT_EQ(v.dst_port, 53);
}

TEST(PacketDecoderWlan, ReportsProtectedManagementAndNullFramesAsNotIp) {
  PacketDecoder d;
  PacketView v;
  const Bytes body = llc_snap(0x0800, sample_udp());
  EXPECT_EQ(run(d, kWlan, wlan_data(0x08, 0x41, kMacA, kMacB, kMacC, body), v), DecodeStatus::not_ip);
  EXPECT_EQ(d.counters().wlan_protected, 1u);
  Bytes beacon = {0x80, 0x00, 0, 0};
  append(beacon, filler(40));
  EXPECT_EQ(run(d, kWlan, beacon, v), DecodeStatus::not_ip);
  EXPECT_EQ(run(d, kWlan, wlan_data(0x48, 0x01, kMacA, kMacB, kMacC, {}), v), DecodeStatus::not_ip);
  EXPECT_EQ(d.counters().not_ip, 3u);
}

TEST(PacketDecoderWlan, SkipsLaterFragmentsOfAnMsdu) {
  PacketDecoder d;
  PacketView v;
  Bytes f = wlan_data(0x08, 0x01, kMacA, kMacB, kMacC, llc_snap(0x0800, sample_udp()));
  f[22] = 0x11;  // fragment number 1
  EXPECT_EQ(run(d, kWlan, f, v), DecodeStatus::not_ip);
  EXPECT_EQ(d.counters().wlan_fragments, 1u);
}

TEST(PacketDecoderWlan, DropsAHeaderCutShort) {
  PacketDecoder d;
  PacketView v;
  const Bytes f = wlan_data(0x88, 0x01, kMacA, kMacB, kMacC, {});
  EXPECT_EQ(run(d, kWlan, Bytes(f.begin(), f.begin() + 25), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::truncated_l2);
}

Bytes radiotap(std::uint8_t flags, bool tsft) {
  Bytes b = {0, 0, 0, 0};
  put32le(b, (tsft ? 0x1u : 0u) | 0x2u);
  if (tsft) append(b, filler(8));  // already 8-byte aligned at offset 8
  b.push_back(flags);
  b.push_back(0);
  b[2] = static_cast<std::uint8_t>(b.size());
  return b;
}

TEST(PacketDecoderWlan, RemovesTheFcsWhenRadiotapSaysOne) {
  PacketDecoder d;
  PacketView v;
  const Bytes wlan = wlan_data(0x08, 0x02, kMacA, kMacB, kMacC, llc_snap(0x0800, ipv4("10.0.0.1", "10.0.0.2", 17, udp(1, 2, {}, 0))));
  // A UDP length of 0 lets the payload run to the end of the IP packet, which runs to the end of
  // the frame when Total Length is 0 (treated as "the captured length").
  Bytes ip_body = wlan;
  const std::size_t ip_at = wlan.size() - 28;
  ip_body[ip_at + 2] = 0;
  ip_body[ip_at + 3] = 0;
  const Bytes fcs = {0xDE, 0xAD, 0xBE, 0xEF};
  ASSERT_EQ(run(d, kRadiotap, cat({radiotap(0x10, true), ip_body, fcs}), v), DecodeStatus::ok);
  EXPECT_EQ(v.payload_len, 0u);
  ASSERT_EQ(run(d, kRadiotap, cat({radiotap(0x00, false), ip_body, fcs}), v), DecodeStatus::ok);
  EXPECT_EQ(v.payload_len, 4u);
}

TEST(PacketDecoderWlan, HonoursRadiotapDataPadding) {
  PacketDecoder d;
  PacketView v;
  // QoS data: a 26-byte header padded to 28.
  Bytes wlan = wlan_data(0x88, 0x02, kMacA, kMacB, kMacC, {});
  wlan.push_back(0);
  wlan.push_back(0);
  append(wlan, llc_snap(0x0800, sample_udp()));
  ASSERT_EQ(run(d, kRadiotap, cat({radiotap(0x20, false), wlan}), v), DecodeStatus::ok);
  EXPECT_EQ(v.dst_port, 53);
}

TEST(PacketDecoderWlan, DropsARadiotapHeaderLongerThanTheFrame) {
  PacketDecoder d;
  PacketView v;
  Bytes rt = radiotap(0, false);
  rt[2] = 200;
  EXPECT_EQ(run(d, kRadiotap, cat({rt, filler(30)}), v), DecodeStatus::dropped);
  EXPECT_EQ(v.drop, DropReason::truncated_l2);
}

}  // namespace
}  // namespace outpost::capture
