// Behaviour every DpiClassifier build shares.
#include "capture/dpi/dpi_classifier.h"

#include <gtest/gtest.h>

#include "capture/flow/test_frames.h"

namespace outpost::capture {
namespace {

TEST(DpiNames, NameEveryFamilyAndHint) {
  EXPECT_EQ(app_family_name(AppFamily::tls), "tls");
  EXPECT_EQ(app_family_name(AppFamily::quic), "quic");
  EXPECT_EQ(app_family_name(AppFamily::count_), "unknown");
  EXPECT_EQ(payload_hint_name(PayloadHint::tls_client_hello), "tls_client_hello");
  EXPECT_EQ(payload_hint_name(PayloadHint::count_), "unknown");
}

TEST(DpiVerdictOf, ReflectsTheSlot) {
  DpiFlowSlot slot;
  slot.app_proto = "DNS";
  slot.family = AppFamily::dns;
  slot.flags = DpiFlowSlot::kDone | DpiFlowSlot::kGuessed;
  const DpiVerdict v = verdict_of(slot);
  EXPECT_TRUE(v.done);
  EXPECT_TRUE(v.guessed);
  EXPECT_EQ(v.app_proto, "DNS");
  EXPECT_EQ(v.family, AppFamily::dns);
  EXPECT_TRUE(v.quic_sni.empty());
}

TEST(DpiClassifierContract, GivesLaterPacketsOfADecidedFlowTheSameVerdictCheaply) {
  auto dpi = DpiClassifier::create({});
  ASSERT_NE(dpi, nullptr);
  DpiFlowSlot slot;
  const PacketView icmp = test::ipv4_packet(1, "10.0.0.9", 0, "10.0.0.1", 0, 1);
  const DpiVerdict first = dpi->process(slot, icmp, true);
  ASSERT_TRUE(first.done);
  const DpiVerdict again = dpi->process(slot, icmp, false);
  EXPECT_TRUE(again.done);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(again.app_proto, first.app_proto);
  EXPECT_EQ(dpi->stats().flows_seen, 1u);
}

TEST(DpiClassifierContract, NamesAPayloadlessFlowFromItsServerPortAtFinish) {
  auto dpi = DpiClassifier::create({});
  ASSERT_NE(dpi, nullptr);
  DpiFlowSlot slot;
  const test::OwnedPacket syn = test::ipv4_datagram(6, "10.0.0.9", 40000, "10.0.0.1", 53, {}, 1, 0x02);
  dpi->process(slot, syn.view, true);
  const DpiVerdict v = dpi->finish(slot);
  EXPECT_TRUE(v.done);
  EXPECT_TRUE(v.guessed);
  EXPECT_EQ(v.app_proto, "DNS");
  EXPECT_EQ(v.family, AppFamily::dns);
  EXPECT_EQ(dpi->stats().states_created, 0u);
}

}  // namespace
}  // namespace outpost::capture
