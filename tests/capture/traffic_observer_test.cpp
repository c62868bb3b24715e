#include "capture/traffic_observer.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "capture/lan_prefixes.h"
#include "proto/x509_support.h"
#include "support/corpus.h"

namespace outpost::capture {
namespace {

using rules::ObservationKind;

struct Seen {
  ObservationKind kind;
  std::string value, context, proto;
  std::uint64_t flow;
  rules::Direction direction;
  rules::Device device;
  rules::IpAddress remote;
  bool has_certificate = false;
  test::x509::FactsText certificate;  // of an x509_sha1 observation (status not carried)
};

class Recorder : public ObservationSink {
 public:
  void on_observation(const rules::Observation& o) override {
    all.push_back({o.kind, std::string(o.value), std::string(o.context), std::string(o.app_proto), o.flow, o.direction,
                   o.device, o.remote, false, {}});
    if (o.certificate != nullptr) {
      Seen& s = all.back();
      s.has_certificate = true;
      s.certificate.sha1 = s.value;
      s.certificate.sha256 = o.certificate->sha256;
      s.certificate.serial_number = o.certificate->serial_number;
      s.certificate.subject = o.certificate->subject;
      s.certificate.issuer = o.certificate->issuer;
      s.certificate.not_before = o.certificate->not_before;
      s.certificate.not_after = o.certificate->not_after;
      s.certificate.self_signed = o.certificate->self_signed;
    }
  }
  std::vector<const Seen*> of(ObservationKind k) const {
    std::vector<const Seen*> out;
    for (const auto& s : all)
      if (s.kind == k) out.push_back(&s);
    return out;
  }
  std::vector<Seen> all;
};

TrafficStats replay(const std::string& capture, TrafficObserverConfig config, Recorder& rec) {
  TrafficObserver obs(config, rec);
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline_with_tstamp_precision(test::corpus_path("pcap/" + capture).c_str(),
                                                       PCAP_TSTAMP_PRECISION_MICRO, err);
  EXPECT_NE(p, nullptr) << err;
  if (p == nullptr) return {};
  pcap_pkthdr* h;
  const u_char* d;
  while (pcap_next_ex(p, &h, &d) == 1)
    obs.process(pcap_datalink(p), d, h->caplen, h->len, h->ts.tv_sec * 1000000LL + h->ts.tv_usec);
  pcap_close(p);
  obs.flush();
  return obs.stats();
}

TEST(TrafficObserver, EmitsEachKindValueAndFlowOnce) {
  OUTPOST_REQUIRE_CORPUS();
  Recorder rec;
  replay("ndpi__1kxun.pcap", {}, rec);
  std::set<std::tuple<int, std::string, std::uint64_t>> seen;
  for (const auto& s : rec.all)
    EXPECT_TRUE(seen.emplace(static_cast<int>(s.kind), s.value, s.flow).second)
        << rules::observation_kind_name(s.kind) << " " << s.value << " flow " << s.flow;
  EXPECT_GT(rec.all.size(), 500u);
}

TEST(TrafficObserver, ProducesOnlyTheWantedKindsAndSkipsParsersNobodyNeeds) {
  OUTPOST_REQUIRE_CORPUS();
  TrafficObserverConfig c;
  c.wanted.fill(false);
  c.wanted[static_cast<std::size_t>(ObservationKind::tls_sni)] = true;
  Recorder rec;
  const TrafficStats st = replay("ndpi__sites.pcapng", c, rec);
  ASSERT_FALSE(rec.all.empty());
  for (const auto& s : rec.all) EXPECT_EQ(s.kind, ObservationKind::tls_sni);
  EXPECT_EQ(st.http_requests, 0u);  // the HTTP parser did not run
  EXPECT_EQ(st.dns_messages, 0u);
}

TEST(TrafficObserver, AttributesAConnectionToTheNameItsAddressWasResolvedFrom) {
  OUTPOST_REQUIRE_CORPUS();
  Recorder rec;
  replay("ndpi__netflix.pcap", {}, rec);
  std::size_t with_context = 0;
  for (const Seen* s : rec.of(ObservationKind::dst_ip))
    if (!s->context.empty()) ++with_context;
  EXPECT_GT(with_context, 0u);
  // Every named dst_ip was announced before in a DNS answer with that owner/question name.
  std::set<std::pair<std::string, std::string>> answers;
  for (const Seen* s : rec.of(ObservationKind::dns_answer)) answers.emplace(s->value, s->context);
  for (const Seen* s : rec.of(ObservationKind::dst_ip)) {
    if (!s->context.empty()) {
      EXPECT_EQ(answers.count({s->value, s->context}), 1u) << s->value << " " << s->context;
    }
  }
}

TEST(TrafficObserver, TheDeviceIsTheLanSidesMacAndTheDirectionFollowsTheLanPrefixes) {
  OUTPOST_REQUIRE_CORPUS();
  Recorder rec;
  replay("ndpi__443-firefox.pcap", {}, rec);  // 192.168.1.x client, public server
  const auto sni = rec.of(ObservationKind::tls_sni);
  ASSERT_EQ(sni.size(), 1u);
  EXPECT_EQ(sni[0]->direction, rules::Direction::outbound);
  EXPECT_EQ(sni[0]->device.kind, rules::Device::Kind::mac);
  char remote[64];
  rules::format_ip(sni[0]->remote, remote);
  EXPECT_EQ(std::string(remote).rfind("192.168.", 0), std::string::npos) << remote;

  // Declaring the server's network LAN as well makes the flow internal.
  TrafficObserverConfig c;
  Prefix all;
  ASSERT_TRUE(parse_prefix("0.0.0.0/0", all));
  c.lan = {all};
  Recorder rec2;
  replay("ndpi__443-firefox.pcap", c, rec2);
  EXPECT_EQ(rec2.of(ObservationKind::tls_sni).at(0)->direction, rules::Direction::internal);
}

TEST(TrafficObserver, WithoutLayerTwoTheDeviceIsTheLanAddress) {
  OUTPOST_REQUIRE_CORPUS();
  Recorder rec;
  replay("ndpi__hls.pcapng", {}, rec);  // raw IP link type
  ASSERT_FALSE(rec.all.empty());
  const auto urls = rec.of(ObservationKind::http_url);
  ASSERT_FALSE(urls.empty());
  EXPECT_EQ(urls[0]->device.kind, rules::Device::Kind::ip);
}

TEST(TrafficObserver, BusyParserPoolsAreCountedNotGrown) {
  OUTPOST_REQUIRE_CORPUS();
  TrafficObserverConfig c;
  c.max_tls_handshakes = 1;
  c.max_http_streams = 1;
  Recorder rec;
  const TrafficStats st = replay("ndpi__sites.pcapng", c, rec);
  EXPECT_GT(st.tls_pool_exhausted, 0u);
  EXPECT_GT(st.tls_handshakes, 0u);
}

TEST(TrafficObserver, ASynFloodIsHeldByTheFlowCap) {
  OUTPOST_REQUIRE_CORPUS();
  TrafficObserverConfig c;
  c.flows.max_flows = 1024;
  Recorder rec;
  const TrafficStats st = replay("stopddos__pkt.TCP.synflood.spoofed.pcap", c, rec);
  EXPECT_EQ(st.flows.capacity, 1024u);
  EXPECT_LE(st.flows.peak_active, 1024u);
  EXPECT_GT(st.flows.ended[static_cast<std::size_t>(FlowEndReason::evicted)], 30000u);
  EXPECT_EQ(st.dpi.states_created, 0u);  // no payload, no nDPI state
  EXPECT_EQ(st.memory_reserved_bytes, TrafficObserver(c, rec).stats().memory_reserved_bytes);
}

TEST(TrafficObserver, EveryCertificateObservationCarriesWhatTheCertificateSays) {
  OUTPOST_REQUIRE_CORPUS();
  std::set<std::pair<std::string, std::string>> compared;  // (capture, SHA-1): once per flow
  for (const auto& [capture, want] : test::x509::corpus_certificate_facts()) {
    Recorder rec;
    const TrafficStats st = replay(capture, {}, rec);
    EXPECT_EQ(st.x509_malformed + st.x509_too_long, 0u) << capture;
    for (const Seen& s : rec.all) {
      EXPECT_EQ(s.has_certificate, s.kind == ObservationKind::x509_sha1) << capture << " " << s.value;
      if (s.kind != ObservationKind::x509_sha1) continue;
      const auto it = want.find(s.value);
      if (it == want.end()) continue;  // one ndpi__malware.pcap certificate tshark cannot reassemble
      EXPECT_EQ(s.certificate, it->second) << capture;
      compared.emplace(capture, s.value);
    }
  }
  EXPECT_EQ(compared.size(), 82u);
}

TEST(TrafficObserver, SkippedFramesAreCountedByReason) {
  OUTPOST_REQUIRE_CORPUS();
  Recorder rec;
  const TrafficStats st = replay("zeek__truncated-header.pcap", {}, rec);
  std::uint64_t dropped = 0;
  for (auto n : st.decoder.dropped_by) dropped += n;
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(dropped, st.decoder.dropped);
}

}  // namespace
}  // namespace outpost::capture
