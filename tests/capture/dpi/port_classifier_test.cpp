// The port-only DpiClassifier (-DOUTPOST_WITH_NDPI=OFF).
#ifndef OUTPOST_WITH_NDPI

#include <gtest/gtest.h>

#include "capture/dpi/classified_capture.h"
#include "capture/dpi/dpi_classifier.h"
#include "capture/flow/test_frames.h"
#include "support/corpus.h"

namespace outpost::capture {
namespace {

using test::ipv4_datagram;
using test::OwnedPacket;

DpiVerdict first_verdict(DpiClassifier& dpi, std::uint8_t proto, std::uint16_t server_port) {
  DpiFlowSlot slot;
  const OwnedPacket p = ipv4_datagram(proto, "10.0.0.9", 40000, "10.0.0.1", server_port, {1, 2, 3}, 1);
  return dpi.process(slot, p.view, true);
}

TEST(PortClassifier, NamesFlowsFromWellKnownServerPorts) {
  auto dpi = DpiClassifier::create({});
  ASSERT_NE(dpi, nullptr);
  EXPECT_EQ(dpi->stats().engine, "ports");
  struct Case { std::uint8_t proto; std::uint16_t port; const char* name; AppFamily family; };
  const Case cases[] = {
      {6, 443, "TLS", AppFamily::tls},   {17, 443, "QUIC", AppFamily::quic},
      {17, 53, "DNS", AppFamily::dns},   {6, 53, "DNS", AppFamily::dns},
      {6, 80, "HTTP", AppFamily::http},  {6, 853, "DoH_DoT", AppFamily::tls},
      {17, 853, "DoH_DoT", AppFamily::quic}, {6, 12345, "Unknown", AppFamily::unknown},
  };
  for (const Case& c : cases) {
    const DpiVerdict v = first_verdict(*dpi, c.proto, c.port);
    EXPECT_EQ(v.app_proto, c.name) << int(c.proto) << "/" << c.port;
    EXPECT_EQ(v.family, c.family) << int(c.proto) << "/" << c.port;
    EXPECT_TRUE(v.guessed);
    EXPECT_FALSE(v.done);
  }
}

TEST(PortClassifier, TakesTheServerPortFromTheResponderSide) {
  auto dpi = DpiClassifier::create({});
  DpiFlowSlot slot;
  const OwnedPacket reply = ipv4_datagram(17, "10.0.0.1", 53, "10.0.0.9", 40000, {1}, 1);
  EXPECT_EQ(dpi->process(slot, reply.view, false).app_proto, "DNS");
}

TEST(PortClassifier, LetsOurParsersHintsOverrideThePortAndDecide) {
  auto dpi = DpiClassifier::create({});
  DpiFlowSlot slot;
  const OwnedPacket p = ipv4_datagram(6, "10.0.0.9", 40000, "10.0.0.1", 8888, {'G', 'E', 'T'}, 1);
  const DpiVerdict v = dpi->process(slot, p.view, true, PayloadHint::http_request);
  EXPECT_TRUE(v.done);
  EXPECT_FALSE(v.guessed);
  EXPECT_TRUE(v.changed);
  EXPECT_EQ(v.app_proto, "HTTP");
  EXPECT_EQ(v.family, AppFamily::http);
  EXPECT_EQ(dpi->stats().flows_detected, 1u);
}

TEST(PortClassifier, StopsAfterThePacketCapAndNeverHoldsState) {
  DpiConfig config;
  config.max_packets_per_flow = 3;
  auto dpi = DpiClassifier::create(config);
  DpiFlowSlot slot;
  int calls = 0;
  while (!slot.done() && calls < 10) {
    const OwnedPacket p = ipv4_datagram(17, "10.0.0.9", 40000, "10.0.0.1", 40001, {9, 9}, calls);
    dpi->process(slot, p.view, true);
    EXPECT_EQ(slot.state, nullptr);
    ++calls;
  }
  EXPECT_EQ(calls, 3);
  const DpiStats s = dpi->stats();
  EXPECT_EQ(s.flows_given_up, 1u);
  EXPECT_EQ(s.states_created, 0u);
  EXPECT_EQ(s.engine_heap_in_use, 0u);
}

TEST(PortClassifier, NamesNonTcpUdpFlowsByIpProtocol) {
  auto dpi = DpiClassifier::create({});
  DpiFlowSlot slot;
  const DpiVerdict v = dpi->process(slot, test::ipv4_packet(58, "10.0.0.9", 0, "10.0.0.1", 0, 1), true);
  EXPECT_TRUE(v.done);
  EXPECT_EQ(v.app_proto, "ICMPV6");
}

TEST(PortClassifier, NamesRealWebAndDnsCapturesFromTheirPorts) {
  OUTPOST_REQUIRE_CORPUS();
  auto dpi = DpiClassifier::create({});
  test::ClassifiedCapture web(*dpi);
  ASSERT_GT(web.run("pcap/zeek__bro.org.pcap"), 0);
  web.flush();
  ASSERT_FALSE(web.flows().empty());
  EXPECT_EQ(web.count_family(AppFamily::http), web.flows().size());
  test::ClassifiedCapture dns(*dpi);
  ASSERT_GT(dns.run("pcap/ndpi__dns.pcap"), 0);
  dns.flush();
  ASSERT_FALSE(dns.flows().empty());
  EXPECT_EQ(dns.count_family(AppFamily::dns), dns.flows().size());
}

}  // namespace
}  // namespace outpost::capture

#endif  // !OUTPOST_WITH_NDPI
