// The nDPI 4.2 implementation of DpiClassifier, on real captures and hand-built packets.
#ifdef OUTPOST_WITH_NDPI

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "capture/dpi/classified_capture.h"
#include "capture/dpi/dpi_classifier.h"
#include "capture/flow/test_frames.h"
#include "support/corpus.h"

namespace outpost::capture {
namespace {

using test::ClassifiedCapture;
using test::ClassifiedFlow;
using test::ipv4_datagram;
using test::OwnedPacket;

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::unique_ptr<DpiClassifier> make(DpiConfig config = {}) {
  std::unique_ptr<DpiClassifier> dpi = DpiClassifier::create(config);
  EXPECT_NE(dpi, nullptr);
  return dpi;
}

// Bytes no nDPI 4.2 dissector claims (checked: the flow ends unknown).
std::vector<std::uint8_t> opaque_payload(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> out(n);
  std::uint32_t x = 0x9E3779B9u ^ seed;
  for (std::uint8_t& b : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<std::uint8_t>(x);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Classification of real captures, as nDPI's own tests name them.

TEST(NdpiClassification, NamesDnsOverPppoeInAVlanAsDns) {
  OUTPOST_REQUIRE_CORPUS();
  auto dpi = make();
  ClassifiedCapture cc(*dpi);
  ASSERT_GT(cc.run("pcap/ndpi__dns.pcap"), 0);
  cc.flush();
  ASSERT_FALSE(cc.flows().empty());
  for (const auto& [id, f] : cc.flows()) {
    EXPECT_EQ(f.family, AppFamily::dns) << f.app_proto;
    EXPECT_TRUE(starts_with(f.app_proto, "DNS")) << f.app_proto;
    EXPECT_FALSE(f.guessed);
  }
}

TEST(NdpiClassification, NamesFirefoxHttpsAsTls) {
  OUTPOST_REQUIRE_CORPUS();
  auto dpi = make();
  ClassifiedCapture cc(*dpi);
  ASSERT_GT(cc.run("pcap/ndpi__443-firefox.pcap"), 0);
  ASSERT_EQ(cc.flows().size(), 1u);
  const ClassifiedFlow& f = cc.flows().begin()->second;
  EXPECT_EQ(f.family, AppFamily::tls);
  EXPECT_TRUE(starts_with(f.app_proto, "TLS")) << f.app_proto;
  EXPECT_TRUE(f.done);  // decided (and freed) long before the 667 packets are over
  EXPECT_EQ(f.verdicts_after_done, 0);
  EXPECT_LE(dpi->stats().packets_fed, 32u);
}

TEST(NdpiClassification, NamesPlainWebBrowsingAsHttp) {
  OUTPOST_REQUIRE_CORPUS();
  auto dpi = make();
  ClassifiedCapture cc(*dpi);
  ASSERT_GT(cc.run("pcap/zeek__bro.org.pcap"), 0);
  cc.flush();
  std::size_t with_payload = 0;
  for (const auto& [id, f] : cc.flows()) {
    EXPECT_EQ(f.family, AppFamily::http) << f.app_proto;
    if (!f.guessed) {
      ++with_payload;
      EXPECT_EQ(f.app_proto, "HTTP");
    }
  }
  EXPECT_GE(with_payload, 8u);
}

// gQUIC: the SNIs nDPI extracts are exactly the CHLO SNI tags tshark sees.
TEST(NdpiClassification, ReportsEachGoogleQuicSniOncePerFlow) {
  OUTPOST_REQUIRE_CORPUS();
  for (const char* capture_file : {"ndpi__quic.pcap", "ndpi__youtube_quic.pcap"}) {
    auto dpi = make();
    ClassifiedCapture cc(*dpi);
    ASSERT_GT(cc.run(std::string("pcap/") + capture_file), 0);
    cc.flush();
    const std::set<std::string> truth = test::truth_values(capture_file, "gquic_sni");
    ASSERT_FALSE(truth.empty()) << capture_file;
    EXPECT_EQ(cc.quic_snis(), truth) << capture_file;
    for (const auto& [id, f] : cc.flows()) {
      EXPECT_LE(f.quic_snis.size(), 1u);
      if (!f.quic_snis.empty()) {
        EXPECT_EQ(f.family, AppFamily::quic);
        EXPECT_TRUE(starts_with(f.app_proto, "QUIC")) << f.app_proto;
      }
    }
    std::size_t reported = 0;
    for (const auto& [id, f] : cc.flows()) reported += f.quic_snis.size();
    EXPECT_EQ(dpi->stats().quic_sni_reported, reported);
  }
}

TEST(NdpiClassification, NamesYoutubeOverQuicAsQuicYoutube) {
  OUTPOST_REQUIRE_CORPUS();
  auto dpi = make();
  ClassifiedCapture cc(*dpi);
  ASSERT_GT(cc.run("pcap/ndpi__youtube_quic.pcap"), 0);
  bool youtube = false;
  for (const auto& [id, f] : cc.flows()) youtube = youtube || f.app_proto == "QUIC.YouTube";
  EXPECT_TRUE(youtube);
}

// IETF QUIC v1: nDPI decrypts the Initial and reads the ClientHello's server_name.
TEST(NdpiClassification, ReportsTheIetfQuicSni) {
  OUTPOST_REQUIRE_CORPUS();
  const char* capture_file = "zeek__firefox-102.13.0esr-blog-cloudflare-com.pcap";
  auto dpi = make();
  ClassifiedCapture cc(*dpi);
  ASSERT_GT(cc.run(std::string("pcap/") + capture_file), 0);
  EXPECT_EQ(cc.quic_snis(), test::truth_values(capture_file, "tls_sni"));
  EXPECT_EQ(cc.count_family(AppFamily::quic), 1u);
}

TEST(NdpiClassification, NamesNonTcpUdpFlowsByIpProtocolWithoutState) {
  auto dpi = make();
  DpiFlowSlot slot;
  const PacketView icmp = test::ipv4_packet(1, "10.0.0.9", 0, "10.0.0.1", 0, 1);
  const DpiVerdict v = dpi->process(slot, icmp, true);
  EXPECT_TRUE(v.done);
  EXPECT_TRUE(v.guessed);
  EXPECT_EQ(v.app_proto, "ICMP");
  EXPECT_EQ(slot.state, nullptr);
  EXPECT_EQ(dpi->stats().states_created, 0u);
}

// ---------------------------------------------------------------------------------------------
// nDPI state: none before payload, freed when done, bounded.

TEST(NdpiState, IsNeverAllocatedForSynOnlyFlows) {
  OUTPOST_REQUIRE_CORPUS();
  auto dpi = make();
  ClassifiedCapture cc(*dpi, 4096);
  const std::size_t heap_before = dpi->stats().engine_heap_in_use;
  ASSERT_GT(cc.run("pcap/stopddos__pkt.TCP.synflood.spoofed.pcap"), 37000);
  const DpiStats s = dpi->stats();
  EXPECT_GT(s.flows_seen, 37000u);
  EXPECT_EQ(s.states_created, 0u);
  EXPECT_EQ(s.states_peak, 0u);
  EXPECT_EQ(s.packets_fed, 0u);
  EXPECT_GT(s.packets_without_payload, 37000u);
  EXPECT_EQ(s.engine_heap_in_use, heap_before);
  EXPECT_EQ(s.flow_heap_peak, 0u);
}

TEST(NdpiState, IsFreedAsSoonAsDetectionCompletes) {
  OUTPOST_REQUIRE_CORPUS();
  auto dpi = make();
  ClassifiedCapture cc(*dpi);
  ASSERT_GT(cc.run("pcap/ndpi__youtube_quic.pcap"), 0);
  ASSERT_GT(cc.run("pcap/zeek__bro.org.pcap"), 0);
  // No flush: every flow decided on its own and gave its state back.
  const DpiStats s = dpi->stats();
  EXPECT_GE(s.states_created, 11u);
  EXPECT_EQ(s.flows_detected, s.states_created);
  EXPECT_EQ(s.states_live, 0u);
  EXPECT_EQ(s.flow_heap_in_use, 0u);
  EXPECT_GT(s.flow_heap_peak, 0u);  // HTTP flows hold URL/User-Agent copies while inspected
}

TEST(NdpiState, IsFreedForEveryFlowWhenTheCaptureEnds) {
  OUTPOST_REQUIRE_CORPUS();
  auto dpi = make();
  ClassifiedCapture cc(*dpi);
  ASSERT_GT(cc.run("pcap/ndpi__quic.pcap"), 0);
  ASSERT_GT(cc.run("pcap/ndpi__dns.pcap"), 0);
  EXPECT_GT(dpi->stats().states_live, 0u);  // some flows were still under inspection
  cc.flush();
  const DpiStats s = dpi->stats();
  EXPECT_EQ(s.states_live, 0u);
  EXPECT_EQ(s.flow_heap_in_use, 0u);
  for (const auto& [id, f] : cc.flows()) EXPECT_TRUE(f.done);
}

TEST(NdpiState, StopsFeedingAFlowAtThePacketCap) {
  DpiConfig config;
  config.max_packets_per_flow = 4;
  auto dpi = make(config);
  DpiFlowSlot slot;
  int calls_until_done = 0;
  for (int i = 0; i < 20 && !slot.done(); ++i) {
    const OwnedPacket p = ipv4_datagram(17, "10.0.0.9", 40000, "10.0.0.1", 40001,
                                        opaque_payload(120, static_cast<std::uint8_t>(i)), 1000 + i);
    dpi->process(slot, p.view, true);
    ++calls_until_done;
  }
  EXPECT_EQ(calls_until_done, 4);
  const DpiStats s = dpi->stats();
  EXPECT_EQ(s.packets_fed, 4u);
  EXPECT_EQ(s.flows_given_up, 1u);
  EXPECT_EQ(s.states_live, 0u);
  EXPECT_EQ(slot.state, nullptr);
  EXPECT_EQ(slot.packets_fed, 4u);
}

TEST(NdpiState, NamesAFlowFromItsPortsWhenNoStateIsFree) {
  DpiConfig config;
  config.max_flow_states = 1;
  auto dpi = make(config);
  DpiFlowSlot first, second;
  const OwnedPacket a = ipv4_datagram(17, "10.0.0.9", 40000, "10.0.0.1", 40001, opaque_payload(80, 1), 1);
  const OwnedPacket b = ipv4_datagram(17, "10.0.0.9", 40002, "10.0.0.1", 123, opaque_payload(80, 2), 2);
  EXPECT_FALSE(dpi->process(first, a.view, true).done);
  const DpiVerdict v = dpi->process(second, b.view, true);
  EXPECT_TRUE(v.done);
  EXPECT_TRUE(v.guessed);
  EXPECT_EQ(v.app_proto, "NTP");
  EXPECT_EQ(second.state, nullptr);
  EXPECT_EQ(dpi->stats().state_cap_hits, 1u);
  dpi->release(first);
  EXPECT_EQ(dpi->stats().states_live, 0u);
}

TEST(NdpiState, ReleasingAnUndecidedFlowFreesItsStateAndCountsIt) {
  auto dpi = make();
  DpiFlowSlot slot;
  const OwnedPacket p = ipv4_datagram(17, "10.0.0.9", 40000, "10.0.0.1", 40001, opaque_payload(64, 3), 1);
  dpi->process(slot, p.view, true);
  ASSERT_NE(slot.state, nullptr);
  dpi->release(slot);
  dpi->release(slot);  // idempotent
  EXPECT_EQ(slot.state, nullptr);
  EXPECT_TRUE(slot.done());
  const DpiStats s = dpi->stats();
  EXPECT_EQ(s.flows_released_early, 1u);
  EXPECT_EQ(s.states_live, 0u);
}

TEST(NdpiState, FinishingAFlowWithoutPayloadKeepsItsPortName) {
  auto dpi = make();
  DpiFlowSlot slot;
  const OwnedPacket syn = ipv4_datagram(6, "10.0.0.9", 40000, "10.0.0.1", 443, {}, 1, 0x02);
  const DpiVerdict first = dpi->process(slot, syn.view, true);
  EXPECT_FALSE(first.done);
  EXPECT_TRUE(first.changed);
  const DpiVerdict last = dpi->finish(slot);
  EXPECT_TRUE(last.done);
  EXPECT_TRUE(last.guessed);
  EXPECT_EQ(last.app_proto, "TLS");
  EXPECT_EQ(last.family, AppFamily::tls);
  EXPECT_EQ(dpi->stats().states_created, 0u);
  EXPECT_EQ(dpi->stats().flows_guessed_only, 1u);
  dpi->finish(slot);
  EXPECT_EQ(dpi->stats().flows_guessed_only, 1u);
}

// ---------------------------------------------------------------------------------------------
// What we hand to nDPI: never more than was captured, never more than 65535 bytes.

TEST(NdpiInput, FeedsOnlyTheCapturedBytesOfATruncatedPacket) {
  auto dpi = make();
  DpiFlowSlot slot;
  OwnedPacket p = ipv4_datagram(17, "10.0.0.9", 40000, "10.0.0.1", 40001, opaque_payload(1000, 4), 1);
  // Simulate a 100-byte snaplen: the view claims the whole datagram, the buffer ends early.
  p.bytes.resize(100);
  p.bytes.shrink_to_fit();
  ASSERT_EQ(test::decode_ip_packet(p.bytes.data(), p.bytes.size(), 1, p.view, 1028), DecodeStatus::ok);
  ASSERT_EQ(p.view.l3_len, 1028u);
  ASSERT_TRUE(p.view.payload_truncated);
  dpi->process(slot, p.view, true);
  EXPECT_EQ(dpi->stats().packets_cut, 1u);
  EXPECT_EQ(dpi->stats().packets_fed, 1u);
  dpi->release(slot);
}

TEST(NdpiInput, ClampsDatagramsLongerThan65535Bytes) {
  auto dpi = make();
  DpiFlowSlot slot;
  OwnedPacket p = ipv4_datagram(17, "10.0.0.9", 40000, "10.0.0.1", 40001, opaque_payload(70000, 5), 1);
  // A reassembled datagram whose view is longer than nDPI's 16-bit length (the IPv4 header's
  // own total length field wrapped).
  p.view.l3_len = p.bytes.size();
  p.view.payload_len = p.bytes.size() - 28;
  ASSERT_GT(p.view.l3_len, 65535u);
  dpi->process(slot, p.view, true);
  EXPECT_EQ(dpi->stats().packets_cut, 1u);
  dpi->release(slot);
}

// Found by fuzz_ndpi (LeakSanitizer): a TCP packet that leaves nDPI a partial TLS record to
// buffer, then a UDP packet in the same flow state. nDPI 4.2 frees the buffer only while the
// flow's last packet was TCP, and keeps TCP and UDP state in one union. A flow never changes
// transport, so such a packet is a caller bug: it is not fed.
TEST(NdpiInput, RefusesPacketsThatChangeTheFlowsTransport) {
  auto dpi = make();
  const std::size_t heap_before = dpi->stats().engine_heap_in_use;
  DpiFlowSlot slot;
  std::vector<std::uint8_t> partial_record = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03};
  partial_record.resize(60, 0x41);
  const OwnedPacket tcp = ipv4_datagram(6, "10.0.0.9", 40000, "10.0.0.1", 443, partial_record, 1);
  dpi->process(slot, tcp.view, true);
  ASSERT_NE(slot.state, nullptr);
  EXPECT_GT(dpi->stats().flow_heap_in_use, 0u);  // nDPI is holding the partial record
  const OwnedPacket udp = ipv4_datagram(17, "10.0.0.9", 40000, "10.0.0.1", 443, opaque_payload(60, 7), 2);
  dpi->process(slot, udp.view, true);
  EXPECT_EQ(dpi->stats().packets_mismatched, 1u);
  EXPECT_EQ(dpi->stats().packets_fed, 1u);
  dpi->release(slot);
  EXPECT_EQ(dpi->stats().flow_heap_in_use, 0u);
  EXPECT_EQ(dpi->stats().engine_heap_in_use, heap_before);
}

// ---------------------------------------------------------------------------------------------
// Memory accounting through nDPI's allocator hooks.

TEST(NdpiMemory, ReportsTheModuleCostAndReturnsItWhenDestroyed) {
  std::size_t baseline = 0;
  {
    auto probe = make();
    baseline = probe->stats().engine_heap_in_use - probe->stats().engine_module_bytes;
  }
  DpiConfig config;
  config.max_flow_states = 100;
  auto dpi = make(config);
  const DpiStats s = dpi->stats();
  EXPECT_EQ(s.engine.substr(0, 8), "nDPI 4.2");
  EXPECT_GT(s.engine_module_bytes, 1000000u);  // automata and host lists: megabytes
  EXPECT_GE(s.engine_heap_in_use, s.engine_module_bytes);
  EXPECT_GE(s.engine_heap_peak, s.engine_heap_in_use);
  EXPECT_GT(s.flow_struct_bytes, 0u);
  EXPECT_GE(s.flow_state_pool_bytes, 100 * s.flow_struct_bytes);
  dpi.reset();
  auto again = make();
  EXPECT_EQ(again->stats().engine_heap_in_use - again->stats().engine_module_bytes, baseline);
}

}  // namespace
}  // namespace outpost::capture

#endif  // OUTPOST_WITH_NDPI
