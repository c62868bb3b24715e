// DTLS handshakes: records and fragments (RFC 6347 §4.1, §4.2.2), retransmitted flights,
// HelloVerifyRequest, certificates, DTLS 1.3's end of cleartext, CAPWAP's preamble; and the
// CAPWAP capture compared with tshark's truth.

#include "capture/proto/dtls_handshake.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "support/conversations.h"
#include "support/corpus.h"
#include "support/decoded_capture.h"
#include "support/truth.h"
#include "tls_builder.h"
#include "x509_support.h"

namespace outpost::capture::proto {
namespace {

using namespace test::proto_support;

struct Seen : TlsVisitor {
  std::vector<std::string> snis, ja3, ja4, ja3s, certs;
  std::vector<TlsSide> cert_senders;
  std::vector<std::uint16_t> cookie_lengths;
  void on_client_hello(const TlsClientHello& h) override {
    snis.emplace_back(h.sni);
    ja3.emplace_back(h.ja3_md5);
    ja4.emplace_back(h.ja4);
    cookie_lengths.push_back(static_cast<std::uint16_t>(h.cookie.len));
  }
  void on_server_hello(const TlsServerHello& h) override { ja3s.emplace_back(h.ja3s_md5); }
  void on_certificate(const TlsCertificate& c) override {
    certs.emplace_back(c.sha1_hex);
    cert_senders.push_back(c.sender);
  }
};

// DTLS ClientHello body (RFC 6347 §4.2.1): the TLS fields with a cookie after the session id.
Bytes dtls_client_hello_body(const Bytes& cookie, const std::string& sni = "dtls.example") {
  Bytes tls = client_hello_body(0xfefd, {0xc02b, 0xc02f}, {sni_ext(sni), {10, u16_list({0x001d})}, {11, {0x01, 0x00}}});
  // client_hello_body writes version(2) random(32) session_id(1 + 32): insert after those.
  Bytes b(tls.begin(), tls.begin() + 2 + 32 + 1 + 32);
  b.push_back(static_cast<std::uint8_t>(cookie.size()));
  append(b, cookie);
  b.insert(b.end(), tls.begin() + 2 + 32 + 1 + 32, tls.end());
  return b;
}

// One handshake fragment (RFC 6347 §4.2.2) of a message body.
Bytes fragment(std::uint8_t type, const Bytes& body, std::uint16_t seq, std::size_t offset, std::size_t len) {
  Bytes b{type};
  put24(b, body.size());
  put16(b, seq);
  put24(b, offset);
  put24(b, len);
  b.insert(b.end(), body.begin() + static_cast<long>(offset), body.begin() + static_cast<long>(offset + len));
  return b;
}
Bytes message(std::uint8_t type, const Bytes& body, std::uint16_t seq) {
  return fragment(type, body, seq, 0, body.size());
}

// One DTLS record (RFC 6347 §4.1).
Bytes dtls_record(std::uint8_t type, const Bytes& body, std::uint16_t epoch = 0, std::uint64_t seq = 0,
                  std::uint16_t version = 0xfefd) {
  Bytes b{type};
  put16(b, version);
  put16(b, epoch);
  for (int i = 5; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(seq >> (8 * i)));
  put16(b, static_cast<std::uint16_t>(body.size()));
  append(b, body);
  return b;
}

TlsStatus feed(DtlsConnection& c, bool from_initiator, const Bytes& datagram, Seen& seen) {
  return c.on_datagram(from_initiator, datagram.data(), datagram.size(), seen);
}

// ---- Hellos ----------------------------------------------------------------------------------

TEST(DtlsClientHello, CookieIsReadButLeftOutOfJa3) {
  const Bytes with_cookie = dtls_client_hello_body(Bytes(20, 0xc0));
  const Bytes without = dtls_client_hello_body({});
  TlsClientHello a, b;
  ASSERT_EQ(parse_client_hello(with_cookie.data(), with_cookie.size(), a, 'd'), TlsStatus::ok);
  ASSERT_EQ(parse_client_hello(without.data(), without.size(), b, 'd'), TlsStatus::ok);
  EXPECT_EQ(a.cookie.len, 20u);
  EXPECT_EQ(std::string(a.ja3_md5), std::string(b.ja3_md5));
  EXPECT_EQ(std::string(a.ja4), std::string(b.ja4));
  EXPECT_EQ(std::string(a.ja4).substr(0, 4), "dd2d");  // DTLS, version 1.2, SNI
  char text[128];
  format_ja3(a, text, sizeof text);
  EXPECT_EQ(std::string(text), "65277,49195-49199,0-10-11,29,0");
  // Read as TLS, the cookie length byte would be taken for the cipher suites' length.
  TlsClientHello t;
  EXPECT_NE(parse_client_hello(with_cookie.data(), with_cookie.size(), t, 't'), TlsStatus::ok);
}

const std::string kSha1Aa300 = "8af54d67dfd0fb1c08a2619779d33fc35b9267bf";
const std::string kSha1Bb200 = "41388b7080b63393a59dd1757700b553ca165b23";
const std::string kSha1Cc1500 = "dfd3ef84cc9f4fcb14a99f7e71179f6ecfcb9694";
const std::string kSha1Dd900 = "b2fc6e61a515c62e645e1ba4ab3d132a1e44ee9a";

Bytes dtls_server_hello(std::uint16_t version = 0xfefd) {
  if (version == 0xfefc)  // DTLS 1.3: legacy_version 1.2, supported_versions selects 1.3
    return server_hello_body(0xfefd, 0x1301, {{43, {0xfe, 0xfc}}});
  return server_hello_body(version, 0xc02f, {{0xff01, {0x00}}});
}

TEST(DtlsHandshakeParser, ReportsHellosAndEveryCertificateOfTheServersChain) {
  DtlsConnection c;
  Seen seen;
  feed(c, true, dtls_record(22, message(1, dtls_client_hello_body({}), 0)), seen);
  const Bytes cert = certificate_body({Bytes(300, 0xaa), Bytes(200, 0xbb)});
  Bytes flight = dtls_record(22, message(2, dtls_server_hello(), 0), 0, 0);
  append(flight, dtls_record(22, message(11, cert, 1), 0, 1));
  append(flight, dtls_record(22, message(14, {}, 2), 0, 2));  // ServerHelloDone
  EXPECT_EQ(feed(c, false, flight, seen), TlsStatus::ok);
  ASSERT_EQ(seen.snis.size(), 1u);
  EXPECT_EQ(seen.snis[0], "dtls.example");
  EXPECT_EQ(seen.ja3s.size(), 1u);
  EXPECT_EQ(seen.certs, (std::vector<std::string>{kSha1Aa300, kSha1Bb200}));
  EXPECT_EQ(seen.cert_senders, (std::vector<TlsSide>{TlsSide::server, TlsSide::server}));
  EXPECT_EQ(c.responder().side(), TlsSide::server);
  EXPECT_TRUE(c.responder().done());
  EXPECT_FALSE(c.initiator().done());  // a DTLS 1.2 client goes on with its own flight
}

TEST(DtlsHandshakeParser, ReassemblesHelloFragmentsArrivingInAnyOrder) {
  const Bytes body = dtls_client_hello_body(Bytes(16, 0x01), "fragments.example");
  const std::size_t n = body.size(), a = n / 3, b = 2 * n / 3;
  DtlsConnection c;
  Seen seen;
  feed(c, true, dtls_record(22, fragment(1, body, 0, b, n - b), 0, 0), seen);
  feed(c, true, dtls_record(22, fragment(1, body, 0, 0, a), 0, 1), seen);
  EXPECT_TRUE(seen.snis.empty());
  // The middle, in a record that also repeats the start.
  Bytes record_body = fragment(1, body, 0, 0, 10);
  append(record_body, fragment(1, body, 0, a, b - a));
  feed(c, true, dtls_record(22, record_body, 0, 2), seen);
  ASSERT_EQ(seen.snis.size(), 1u);
  EXPECT_EQ(seen.snis[0], "fragments.example");
  EXPECT_EQ(seen.cookie_lengths[0], 16u);
  EXPECT_EQ(c.initiator().counters().handshake_fragments, 4u);
}

TEST(DtlsHandshakeParser, HashesACertificateMessageSplitIntoManyFragments) {
  const Bytes cert = certificate_body({Bytes(1500, 0xcc), Bytes(900, 0xdd)});
  DtlsConnection c;
  Seen seen;
  feed(c, false, dtls_record(22, message(2, dtls_server_hello(), 1)), seen);
  std::uint64_t record_seq = 1;
  for (std::size_t off = 0; off < cert.size(); off += 500) {
    const std::size_t len = std::min<std::size_t>(500, cert.size() - off);
    feed(c, false, dtls_record(22, fragment(11, cert, 2, off, len), 0, record_seq++), seen);
  }
  EXPECT_EQ(seen.certs, (std::vector<std::string>{kSha1Cc1500, kSha1Dd900}));
  EXPECT_TRUE(c.responder().done());
}

TEST(DtlsHandshakeParser, CertificateFragmentPastAGapWaitsForTheRetransmittedFlight) {
  const Bytes sh = dtls_server_hello();
  const Bytes cert = certificate_body({Bytes(1500, 0xcc)});
  DtlsConnection c;
  Seen seen;
  // First flight: ServerHello, certificate fragment 0..600, [600..1200 lost], 1200..end.
  feed(c, false, dtls_record(22, message(2, sh, 1), 0, 1), seen);
  feed(c, false, dtls_record(22, fragment(11, cert, 2, 0, 600), 0, 2), seen);
  feed(c, false, dtls_record(22, fragment(11, cert, 2, 1200, cert.size() - 1200), 0, 4), seen);
  EXPECT_TRUE(seen.certs.empty());
  EXPECT_EQ(c.responder().counters().out_of_order_fragments, 1u);
  // The retransmitted flight (RFC 6347 §4.2.4): every record again, with new record numbers.
  feed(c, false, dtls_record(22, message(2, sh, 1), 0, 5), seen);
  feed(c, false, dtls_record(22, fragment(11, cert, 2, 0, 600), 0, 6), seen);
  feed(c, false, dtls_record(22, fragment(11, cert, 2, 600, 600), 0, 7), seen);
  feed(c, false, dtls_record(22, fragment(11, cert, 2, 1200, cert.size() - 1200), 0, 8), seen);
  EXPECT_EQ(seen.certs, std::vector<std::string>{kSha1Cc1500});
  EXPECT_EQ(seen.ja3s.size(), 1u);  // the ServerHello is not reported again
  EXPECT_EQ(c.responder().counters().retransmitted_fragments, 1u);
}

TEST(DtlsHandshakeParser, RetransmittedClientHelloIsReportedOnce) {
  const Bytes datagram = dtls_record(22, message(1, dtls_client_hello_body({}), 0));
  DtlsConnection c;
  Seen seen;
  feed(c, true, datagram, seen);
  feed(c, true, datagram, seen);
  feed(c, true, datagram, seen);
  EXPECT_EQ(seen.ja3.size(), 1u);
  EXPECT_EQ(c.initiator().counters().retransmitted_fragments, 2u);
}

TEST(DtlsHandshakeParser, HelloVerifyRequestLeadsToASecondClientHelloWithTheCookie) {
  DtlsConnection c;
  Seen seen;
  feed(c, true, dtls_record(22, message(1, dtls_client_hello_body({}), 0), 0, 0), seen);
  Bytes hvr_body{0xfe, 0xff, 8};  // server_version, cookie<0..2^8-1>
  hvr_body.insert(hvr_body.end(), 8, 0x5c);
  feed(c, false, dtls_record(22, message(3, hvr_body, 0), 0, 0), seen);
  feed(c, true, dtls_record(22, message(1, dtls_client_hello_body(Bytes(8, 0x5c)), 1), 0, 1), seen);
  feed(c, false, dtls_record(22, message(2, dtls_server_hello(), 1), 0, 1), seen);
  ASSERT_EQ(seen.ja3.size(), 2u);
  EXPECT_EQ(seen.ja3[0], seen.ja3[1]);
  EXPECT_EQ(seen.cookie_lengths, (std::vector<std::uint16_t>{0, 8}));
  EXPECT_EQ(seen.ja3s.size(), 1u);
  EXPECT_EQ(c.responder().side(), TlsSide::server);
}

TEST(DtlsHandshakeParser, DirectionEndsAtChangeCipherSpecOrALaterEpoch) {
  DtlsConnection c;
  Seen seen;
  feed(c, true, dtls_record(22, message(1, dtls_client_hello_body({}), 0)), seen);
  feed(c, true, dtls_record(20, {0x01}, 0, 1), seen);
  EXPECT_TRUE(c.initiator().done());
  feed(c, false, dtls_record(22, message(2, dtls_server_hello(), 0), 0, 0), seen);
  EXPECT_FALSE(c.responder().done());
  feed(c, false, dtls_record(22, Bytes(40, 0x99), 1, 0), seen);  // encrypted Finished
  EXPECT_TRUE(c.responder().done());
  EXPECT_TRUE(c.done());
  EXPECT_EQ(c.responder().counters().encrypted_records, 1u);
}

TEST(DtlsHandshakeParser, Dtls13ServerHelloEndsBothDirections) {
  DtlsConnection c;
  Seen seen;
  feed(c, true, dtls_record(22, message(1, dtls_client_hello_body({}), 0)), seen);
  // ServerHello, then the unified-header ciphertext of the rest of the flight (RFC 9147 §4).
  Bytes flight = dtls_record(22, message(2, dtls_server_hello(0xfefc), 0));
  append(flight, Bytes{0x2c, 0x00, 0x01, 0x00, 0x10});
  flight.insert(flight.end(), 16, 0x42);
  feed(c, false, flight, seen);
  EXPECT_EQ(seen.ja3s.size(), 1u);
  EXPECT_TRUE(c.responder().saw_dtls13_server_hello());
  EXPECT_TRUE(c.done());
}

TEST(DtlsHandshakeParser, RecordsThatCannotBeDelimitedEndTheDatagram) {
  DtlsConnection c;
  Seen seen;
  Bytes bad_version = dtls_record(22, message(1, dtls_client_hello_body({}), 0), 0, 0, 0x0303);
  EXPECT_EQ(feed(c, true, bad_version, seen), TlsStatus::bad_record);
  Bytes truncated = dtls_record(22, message(1, dtls_client_hello_body({}), 0));
  truncated.resize(truncated.size() - 1);
  EXPECT_EQ(feed(c, true, truncated, seen), TlsStatus::bad_record);
  EXPECT_EQ(feed(c, true, Bytes{22, 0xfe, 0xfd, 0}, seen), TlsStatus::bad_record);
  EXPECT_EQ(feed(c, true, dtls_record(99, {1, 2, 3}), seen), TlsStatus::bad_record);
  EXPECT_TRUE(seen.ja3.empty());
  EXPECT_FALSE(c.done());
}

TEST(DtlsHandshakeParser, FragmentsInconsistentWithTheirMessageAreDroppedAndCounted) {
  const Bytes body = dtls_client_hello_body({});
  DtlsConnection c;
  Seen seen;
  // Offset + length past the message length.
  Bytes wild = fragment(1, body, 0, 0, 20);
  wild[6] = 0x00, wild[7] = 0xff, wild[8] = 0xff;  // fragment_offset 65535
  feed(c, true, dtls_record(22, wild), seen);
  // A fragment longer than its record.
  Bytes longer = fragment(1, body, 0, 0, 20);
  longer[11] = 200;
  EXPECT_EQ(feed(c, true, dtls_record(22, longer), seen), TlsStatus::bad_record);
  // Start the message, then a fragment of the same seq claiming another length.
  feed(c, true, dtls_record(22, fragment(1, body, 0, 0, 20)), seen);
  Bytes other = fragment(1, body, 0, 20, 20);
  other[3] = static_cast<std::uint8_t>(other[3] + 1);
  feed(c, true, dtls_record(22, other), seen);
  EXPECT_EQ(c.initiator().counters().bad_fragments, 3u);
  EXPECT_TRUE(seen.ja3.empty());
  feed(c, true, dtls_record(22, fragment(1, body, 0, 20, body.size() - 20)), seen);
  EXPECT_EQ(seen.ja3.size(), 1u);
}

TEST(DtlsHandshakeParser, HelloLargerThanTheBufferIsSkippedAndCounted) {
  const Bytes body = dtls_client_hello_body(Bytes(16, 0), std::string(DtlsHandshakeParser::kHelloBufferBytes, 'x'));
  DtlsConnection c;
  Seen seen;
  EXPECT_EQ(feed(c, true, dtls_record(22, fragment(1, body, 0, 0, 1000)), seen), TlsStatus::hello_too_large);
  feed(c, true, dtls_record(22, fragment(1, body, 0, 1000, 1000)), seen);
  EXPECT_TRUE(seen.ja3.empty());
  EXPECT_EQ(c.initiator().counters().hellos_too_large, 1u);
}

TEST(DtlsHandshakeParser, BadCertificateListEndsTheDirection) {
  Bytes cert = certificate_body({Bytes(100, 0xaa)});
  cert[2] = static_cast<std::uint8_t>(cert[2] + 1);  // list length one more than the message holds
  DtlsConnection c;
  Seen seen;
  feed(c, false, dtls_record(22, message(2, dtls_server_hello(), 0)), seen);
  EXPECT_EQ(feed(c, false, dtls_record(22, message(11, cert, 1)), seen), TlsStatus::bad_certificate);
  EXPECT_TRUE(seen.certs.empty());
  EXPECT_TRUE(c.responder().done());
}

// ---- Carriers --------------------------------------------------------------------------------

TEST(DtlsCarrier, CapwapPreambleIsStrippedAndCleartextCapwapSkipped) {
  Bytes hello{0x01, 0x00, 0x00, 0x00};
  append(hello, dtls_record(22, message(1, dtls_client_hello_body({}), 0)));
  DtlsCarrier carrier = DtlsCarrier::udp;
  ASSERT_TRUE(looks_like_dtls_client_hello(hello.data(), hello.size(), carrier));
  EXPECT_EQ(carrier, DtlsCarrier::capwap);
  EXPECT_EQ(dtls_carrier_name(carrier), "capwap");
  DtlsConnection c(carrier);
  Seen seen;
  const Bytes discovery{0x00, 0x10, 0x43, 0x00, 0x00, 0x00, 0x00, 0x00};  // CAPWAP header, type 0
  EXPECT_EQ(feed(c, false, discovery, seen), TlsStatus::ok);
  feed(c, true, hello, seen);
  EXPECT_EQ(seen.ja3.size(), 1u);
  EXPECT_EQ(c.datagrams_skipped(), 1u);
  EXPECT_EQ(c.datagrams(), 2u);
}

TEST(DtlsCarrier, LooksLikeDtlsClientHelloOnlyForTheFirstFragmentOfAClientHello) {
  DtlsCarrier carrier = DtlsCarrier::capwap;
  const Bytes plain = dtls_record(22, message(1, dtls_client_hello_body({}), 0));
  EXPECT_TRUE(looks_like_dtls_client_hello(plain.data(), plain.size(), carrier));
  EXPECT_EQ(carrier, DtlsCarrier::udp);
  const Bytes dtls10 = dtls_record(22, message(1, dtls_client_hello_body({}), 0), 0, 0, 0xfeff);
  EXPECT_TRUE(looks_like_dtls_client_hello(dtls10.data(), dtls10.size(), carrier));
  const Bytes server = dtls_record(22, message(2, dtls_server_hello(), 0));
  EXPECT_FALSE(looks_like_dtls_client_hello(server.data(), server.size(), carrier));
  const Bytes later = dtls_record(22, fragment(1, dtls_client_hello_body({}), 0, 10, 20));
  EXPECT_FALSE(looks_like_dtls_client_hello(later.data(), later.size(), carrier));
  const Bytes tls = record(22, handshake(1, client_hello_body(0x0303, {0x1301}, {})));
  EXPECT_FALSE(looks_like_dtls_client_hello(tls.data(), tls.size(), carrier));
  EXPECT_FALSE(looks_like_dtls_client_hello(nullptr, 0, carrier));
}

// ---- Real captures vs tshark ------------------------------------------------------------------

struct CorpusSeen : TlsVisitor {
  std::set<std::string> sni, ja3, ja3s, certs;
  std::size_t client_hellos = 0;
  std::map<std::string, TlsSide> cert_sender;
  void on_client_hello(const TlsClientHello& h) override {
    ++client_hellos;
    if (!h.sni.empty()) sni.emplace(h.sni);
    ja3.emplace(h.ja3_md5);
  }
  void on_server_hello(const TlsServerHello& h) override { ja3s.emplace(h.ja3s_md5); }
  void on_certificate(const TlsCertificate& c) override {
    certs.emplace(c.sha1_hex);
    cert_sender[c.sha1_hex] = c.sender;
    facts[c.sha1_hex] = test::x509::facts_text(c);
  }
  std::map<std::string, test::x509::FactsText> facts;
};

// As the pipeline is asked to wire it: a DtlsConnection per UDP flow from its first datagram
// that looks like a DTLS ClientHello (either carrier), fed every later datagram.
CorpusSeen observe_dtls(const std::string& capture) {
  std::string error;
  const auto packets = test::read_transport_packets(test::corpus_path("pcap/" + capture), &error);
  EXPECT_TRUE(error.empty()) << error;
  test::Conversations conversations;
  std::map<std::string, std::unique_ptr<DtlsConnection>> flows;
  CorpusSeen seen;
  for (const auto& d : packets) {
    if (!d.udp()) continue;
    const test::ConversationStep step = conversations.follow(d);
    std::unique_ptr<DtlsConnection>& dtls = flows[step.key];
    DtlsCarrier carrier = DtlsCarrier::udp;
    if (!dtls && looks_like_dtls_client_hello(d.payload(), d.payload_len(), carrier))
      dtls = std::make_unique<DtlsConnection>(carrier);
    if (dtls) dtls->on_datagram(step.from_initiator, d.payload(), d.payload_len(), seen);
  }
  return seen;
}

TEST(DtlsCorpus, CapwapControlChannelMatchesTshark) {
  OUTPOST_REQUIRE_CORPUS();
  const std::string capture = "ndpi__capwap.pcap";
  const CorpusSeen seen = observe_dtls(capture);
  EXPECT_EQ(seen.ja3, test::truth_values(capture, "ja3"));
  EXPECT_EQ(seen.ja3s, test::truth_values(capture, "ja3s"));
  EXPECT_EQ(seen.certs, test::truth_values(capture, "x509_sha1"));
  EXPECT_EQ(seen.sni, test::truth_values(capture, "tls_sni"));
  EXPECT_EQ(seen.client_hellos, 2u);  // before and after the HelloVerifyRequest
  // The controller's certificate, then the access point's (its flow initiator is the controller).
  EXPECT_EQ(seen.cert_sender.at("1021d34f33666b09fd8910c5824559d8284752a5"), TlsSide::server);
  EXPECT_EQ(seen.cert_sender.at("999b5d28b4ce88f552284be5bb119ffae71a26f7"), TlsSide::client);
}

TEST(DtlsCorpus, CapwapCertificateFactsMatchTshark) {
  OUTPOST_REQUIRE_CORPUS();
  const std::string capture = "ndpi__capwap.pcap";
  const CorpusSeen seen = observe_dtls(capture);
  const auto want = test::x509::corpus_certificate_facts().at(capture);
  ASSERT_EQ(want.size(), 2u);
  for (const auto& [sha1, facts] : want) {
    ASSERT_TRUE(seen.facts.count(sha1)) << sha1;
    EXPECT_EQ(seen.facts.at(sha1), facts);
  }
}

TEST(DtlsCorpus, EveryValueFromEveryCaptureIsInTheTruth) {
  OUTPOST_REQUIRE_CORPUS();
  std::size_t values = 0;
  for (const std::string& capture : test::corpus_captures()) {
    const CorpusSeen seen = observe_dtls(capture);
    const auto ja3 = test::truth_values(capture, "ja3");
    const auto ja3s = test::truth_values(capture, "ja3s");
    const auto certs = test::truth_values(capture, "x509_sha1");
    for (const auto& v : seen.ja3) EXPECT_TRUE(ja3.count(v)) << capture << " ja3 " << v;
    for (const auto& v : seen.ja3s) EXPECT_TRUE(ja3s.count(v)) << capture << " ja3s " << v;
    for (const auto& v : seen.certs) EXPECT_TRUE(certs.count(v)) << capture << " x509 " << v;
    values += seen.ja3.size() + seen.ja3s.size() + seen.certs.size();
  }
  EXPECT_GE(values, 4u);
}

}  // namespace
}  // namespace outpost::capture::proto
