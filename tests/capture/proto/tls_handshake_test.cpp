// TlsHandshakeParser / TlsConnection: streaming across segments and records, limits, and real
// captures compared with tshark's truth.

#include "capture/proto/tls_handshake.h"

#include <gtest/gtest.h>

#include <map>
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

using test::truth_values;

using namespace test::proto_support;

struct Seen : TlsVisitor {
  std::vector<std::string> snis, ja3, ja4, ja3s, certs;
  std::vector<std::uint16_t> versions;
  std::vector<TlsSide> cert_senders;
  std::vector<test::x509::FactsText> facts;
  void on_client_hello(const TlsClientHello& h) override {
    snis.emplace_back(h.sni);
    ja3.emplace_back(h.ja3_md5);
    ja4.emplace_back(h.ja4);
  }
  void on_server_hello(const TlsServerHello& h) override {
    ja3s.emplace_back(h.ja3s_md5);
    versions.push_back(h.selected_version);
  }
  void on_certificate(const TlsCertificate& c) override {
    certs.emplace_back(c.sha1_hex);
    cert_senders.push_back(c.sender);
    facts.push_back(test::x509::facts_text(c));
  }
};

Bytes simple_client_hello(const std::string& sni = "example.org") {
  return handshake(1, client_hello_body(0x0303, {0xc02f, 0x1301},
                                        {sni_ext(sni), {0x000a, u16_list({0x001d})}, {0x000b, {0x01, 0x00}}}));
}

// DER stand-ins: the parser hashes opaque bytes; SHA-1 values below are of these exact bytes.
Bytes der(std::size_t n, std::uint8_t fill) { return Bytes(n, fill); }

TEST(TlsHandshakeParser, ReportsClientHelloFedOneByteAtATime) {
  const Bytes stream = record(22, simple_client_hello(), 0x0301);
  TlsHandshakeParser whole, bytewise;
  Seen a, b;
  whole.feed(stream.data(), stream.size(), a);
  for (std::uint8_t byte : stream) bytewise.feed(&byte, 1, b);
  ASSERT_EQ(a.snis.size(), 1u);
  EXPECT_EQ(a.snis[0], "example.org");
  EXPECT_EQ(b.snis, a.snis);
  EXPECT_EQ(b.ja3, a.ja3);
  EXPECT_EQ(b.ja4, a.ja4);
  EXPECT_EQ(bytewise.side(), TlsSide::client);
  EXPECT_FALSE(bytewise.done());  // a TLS 1.2 client goes on with ClientKeyExchange
}

TEST(TlsHandshakeParser, ReassemblesHandshakeMessageSplitAcrossRecords) {
  const Bytes msg = simple_client_hello("split.example");
  const std::size_t cut = 7;  // inside the hello body: records of 7 bytes and the rest
  Bytes stream = record(22, Bytes(msg.begin(), msg.begin() + cut));
  append(stream, record(22, Bytes(msg.begin() + cut, msg.end())));
  TlsHandshakeParser p;
  Seen s;
  EXPECT_EQ(p.feed(stream.data(), stream.size(), s), TlsStatus::ok);
  ASSERT_EQ(s.snis.size(), 1u);
  EXPECT_EQ(s.snis[0], "split.example");
  EXPECT_EQ(p.records(), 2u);
}

TEST(TlsHandshakeParser, ReassemblesHandshakeHeaderSplitAcrossRecords) {
  const Bytes msg = simple_client_hello("hdr.example");
  Bytes stream = record(22, Bytes(msg.begin(), msg.begin() + 2));  // half the 4-byte header
  append(stream, record(22, Bytes(msg.begin() + 2, msg.end())));
  TlsHandshakeParser p;
  Seen s;
  p.feed(stream.data(), stream.size(), s);
  ASSERT_EQ(s.snis.size(), 1u);
  EXPECT_EQ(s.snis[0], "hdr.example");
}

TEST(TlsHandshakeParser, HashesEveryCertificateOfTheChainAcrossRecordsAndStops) {
  // ServerHello + Certificate(3 certs) + ServerHelloDone, the Certificate split over records.
  const Bytes sh = handshake(2, server_hello_body(0x0303, 0xc02f, {{0xff01, {0x00}}}));
  const Bytes cert = handshake(11, certificate_body({der(1000, 0xa1), der(3000, 0xb2), der(1, 0xc3)}));
  Bytes hs = sh;
  append(hs, cert);
  append(hs, handshake(14, {}));
  Bytes stream;
  for (std::size_t off = 0; off < hs.size(); off += 1500) {
    const std::size_t n = std::min<std::size_t>(1500, hs.size() - off);
    append(stream, record(22, Bytes(hs.begin() + off, hs.begin() + off + n)));
  }
  append(stream, record(23, {1, 2, 3}));
  TlsHandshakeParser p;
  Seen s;
  // Feed in uneven segments.
  for (std::size_t off = 0; off < stream.size(); off += 333) {
    const std::size_t n = std::min<std::size_t>(333, stream.size() - off);
    p.feed(stream.data() + off, n, s);
  }
  EXPECT_EQ(p.status(), TlsStatus::ok);
  EXPECT_TRUE(p.done());
  ASSERT_EQ(s.ja3s.size(), 1u);
  ASSERT_EQ(s.certs.size(), 3u);
  // SHA-1 of 1000 x 0xa1, 3000 x 0xb2 and 1 x 0xc3 (computed with Python hashlib).
  EXPECT_EQ(s.certs[0], "7d380d123e66d5f9cfb52feb92235f9f6c53dabc");
  EXPECT_EQ(s.certs[1], "5c1d54a35fafd591aaebf150db35cb9d3f2d009b");
  EXPECT_EQ(s.certs[2], "8bf7b464aaa2c2b536aa1d76a1297c19155f5603");
  // SHA-256 alongside (Python hashlib); the stand-ins are no DER, so their facts are unknown.
  EXPECT_EQ(s.facts[0].sha256, "433d2bbc4cc45d59ca2c51472dd81112b0244050a189d337ef65f1322b110237");
  EXPECT_EQ(s.facts[1].sha256, "44f20adbb2a74da3aa24ec0ab1658732468620c4b4faa47f6cfd6b16542351f0");
  EXPECT_EQ(s.facts[2].sha256, "ae3f4619b0413d70d3004b9131c3752153074e45725be13b9a148978895e359e");
  for (const auto& f : s.facts) {
    EXPECT_EQ(f.status, X509Status::malformed);
    EXPECT_EQ(f.subject, "");
  }
  EXPECT_EQ(s.cert_senders[0], TlsSide::server);
  EXPECT_EQ(p.certificates(), 3u);
}

TEST(TlsHandshakeParser, ReportsTheSameCertificateFactsWhereverTheStreamIsCut) {
  // Two certificates in one Certificate message cut into records of 200 bytes, so their DER
  // crosses record and (below) segment boundaries everywhere.
  test::x509::Parts self_signed;
  self_signed.subject = self_signed.issuer;
  self_signed.length_octets = 3;
  const Bytes chain = handshake(11, certificate_body({test::x509::certificate({}), test::x509::certificate(self_signed)}));
  Bytes hs = handshake(2, server_hello_body(0x0303, 0xc02f, {}));
  append(hs, chain);
  append(hs, handshake(14, {}));
  Bytes stream;
  for (std::size_t off = 0; off < hs.size(); off += 200)
    append(stream, record(22, Bytes(hs.begin() + off, hs.begin() + std::min(hs.size(), off + 200))));

  TlsHandshakeParser whole_parser;
  Seen whole;
  whole_parser.feed(stream.data(), stream.size(), whole);
  ASSERT_EQ(whole.facts.size(), 2u);
  EXPECT_EQ(whole.facts[0].status, X509Status::ok);
  EXPECT_EQ(whole.facts[0].subject, "CN=example.com");
  EXPECT_EQ(whole.facts[0].self_signed, 0);
  EXPECT_EQ(whole.facts[1].status, X509Status::ok);
  EXPECT_EQ(whole.facts[1].subject, "O=Example CA,C=US");
  EXPECT_EQ(whole.facts[1].self_signed, 1);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    TlsHandshakeParser p;
    Seen s;
    p.feed(stream.data(), cut, s);
    p.feed(stream.data() + cut, stream.size() - cut, s);
    ASSERT_EQ(s.facts, whole.facts) << "cut at " << cut;
  }
}

TEST(TlsHandshakeParser, AcceptsWarningAlertBeforeServerHello) {
  Bytes stream = record(21, {1, 112});  // warning, unrecognized_name (RFC 6066 §3)
  append(stream, record(22, handshake(2, server_hello_body(0x0303, 0xc02f, {}))));
  TlsHandshakeParser p;
  Seen s;
  EXPECT_EQ(p.feed(stream.data(), stream.size(), s), TlsStatus::ok);
  EXPECT_EQ(s.ja3s.size(), 1u);
}

TEST(TlsHandshakeParser, StopsAfterTls13ServerHello) {
  Bytes stream = record(22, handshake(2, server_hello_body(0x0303, 0x1301, {{0x002b, {0x03, 0x04}}})));
  append(stream, record(20, {1}));
  TlsHandshakeParser p;
  Seen s;
  p.feed(stream.data(), stream.size(), s);
  EXPECT_TRUE(p.done());
  ASSERT_EQ(s.versions.size(), 1u);
  EXPECT_EQ(s.versions[0], 0x0304);
}

TEST(TlsHandshakeParser, StopsAtChangeCipherSpecAndApplicationData) {
  for (std::uint8_t type : {std::uint8_t{20}, std::uint8_t{23}}) {
    Bytes stream = record(22, simple_client_hello());
    append(stream, record(type, {1}));
    append(stream, record(22, simple_client_hello("never.example")));
    TlsHandshakeParser p;
    Seen s;
    p.feed(stream.data(), stream.size(), s);
    EXPECT_TRUE(p.done());
    EXPECT_EQ(p.status(), TlsStatus::ok);
    EXPECT_EQ(s.snis.size(), 1u);
  }
}

TEST(TlsHandshakeParser, CountsAndSkipsOversizedHello) {
  std::vector<std::uint16_t> ciphers(5000, 0x002f);  // 10 KB of cipher suites
  const Bytes big = handshake(1, client_hello_body(0x0303, ciphers, {}));
  ASSERT_GT(big.size(), TlsHandshakeParser::kHelloBufferBytes);
  Bytes stream;
  for (std::size_t off = 0; off < big.size(); off += 16000) {
    const std::size_t n = std::min<std::size_t>(16000, big.size() - off);
    append(stream, record(22, Bytes(big.begin() + off, big.begin() + off + n)));
  }
  TlsHandshakeParser p;
  Seen s;
  p.feed(stream.data(), stream.size(), s);
  EXPECT_EQ(p.hellos_too_large(), 1u);
  EXPECT_EQ(p.status(), TlsStatus::hello_too_large);
  EXPECT_TRUE(s.snis.empty());
  EXPECT_FALSE(p.done());  // the stream itself is still well-formed
}

TEST(TlsHandshakeParser, ReportsMalformedHelloAndStops) {
  Bytes body = client_hello_body(0x0303, {0x1301}, {{0x0017, {}}});
  body[body.size() - 1] = 9;  // truncated extension
  const Bytes stream = record(22, handshake(1, body));
  TlsHandshakeParser p;
  Seen s;
  EXPECT_EQ(p.feed(stream.data(), stream.size(), s), TlsStatus::bad_hello);
  EXPECT_TRUE(p.done());
  EXPECT_TRUE(s.snis.empty());
}

TEST(TlsHandshakeParser, RejectsCertificateListLongerThanTheMessage) {
  Bytes body = certificate_body({der(10, 1)});
  body[2] = 50;  // list length 50 in a 16-byte message
  const Bytes stream = record(22, handshake(11, body));
  TlsHandshakeParser p;
  Seen s;
  EXPECT_EQ(p.feed(stream.data(), stream.size(), s), TlsStatus::bad_certificate);
  EXPECT_TRUE(s.certs.empty());
}

TEST(TlsHandshakeParser, RecognisesNonTlsAndSslv2Streams) {
  const std::string http = "GET / HTTP/1.1\r\n\r\n";
  TlsHandshakeParser p;
  Seen s;
  EXPECT_EQ(p.feed(reinterpret_cast<const std::uint8_t*>(http.data()), http.size(), s), TlsStatus::not_tls);
  EXPECT_TRUE(p.done());
  // SSLv2 CLIENT-HELLO: 2-byte header with the top bit set, msg_type 1 (RFC 5246 E.2).
  const Bytes v2 = {0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00};
  TlsHandshakeParser q;
  EXPECT_EQ(q.feed(v2.data(), v2.size(), s), TlsStatus::sslv2_hello);
  // Record longer than TLS allows.
  const Bytes huge = {22, 3, 3, 0xff, 0xff};
  TlsHandshakeParser r;
  EXPECT_EQ(r.feed(huge.data(), huge.size(), s), TlsStatus::not_tls);
}

TEST(TlsConnection, FollowsHelloRetryRequestToTheSecondHellos) {
  TlsConnection c;
  Seen s;
  const Bytes ch1 = record(22, simple_client_hello("retry.example"), 0x0301);
  Bytes server = record(22, handshake(2, server_hello_body(0x0303, 0x1301, {{0x002b, {0x03, 0x04}}}, true)));
  append(server, record(20, {1}));
  append(server, record(22, handshake(2, server_hello_body(0x0303, 0x1301, {{0x002b, {0x03, 0x04}}, {0x0033, {0, 0x1d, 0, 0}}}))));
  Bytes client2 = record(20, {1});
  append(client2, record(22, simple_client_hello("retry.example")));
  append(client2, record(23, {9, 9}));

  c.on_segment(true, 1000, true, nullptr, 0, s);
  c.on_segment(false, 5000, true, nullptr, 0, s);
  c.on_segment(true, 1001, false, ch1.data(), ch1.size(), s);
  c.on_segment(false, 5001, false, server.data(), server.size(), s);
  c.on_segment(true, static_cast<std::uint32_t>(1001 + ch1.size()), false, client2.data(), client2.size(), s);
  EXPECT_EQ(s.snis.size(), 2u);
  EXPECT_EQ(s.ja3s.size(), 2u);
  EXPECT_TRUE(c.done());
}

TEST(TlsConnection, TrimsRetransmissionsAndGivesUpOnAGap) {
  const Bytes stream = record(22, simple_client_hello("seq.example"));
  TlsConnection c;
  Seen s;
  c.on_segment(true, 99, true, nullptr, 0, s);
  c.on_segment(true, 100, false, stream.data(), 20, s);
  c.on_segment(true, 100, false, stream.data(), 30, s);  // retransmission with 10 new bytes
  c.on_segment(true, 130, false, stream.data() + 30, stream.size() - 30, s);
  ASSERT_EQ(s.snis.size(), 1u);
  EXPECT_EQ(c.client_cursor().trimmed_bytes(), 20u);

  TlsConnection gap;
  Seen t;
  gap.on_segment(true, 99, true, nullptr, 0, t);
  gap.on_segment(true, 100, false, stream.data(), 20, t);
  gap.on_segment(true, 140, false, stream.data() + 40, stream.size() - 40, t);
  EXPECT_TRUE(t.snis.empty());
  EXPECT_TRUE(gap.client_cursor().gave_up());
  EXPECT_EQ(gap.client_cursor().gaps(), 1u);
}

// ---- real captures -------------------------------------------------------------------------

struct CaptureTls : TlsVisitor {
  std::set<std::string> snis, ja3, ja3s, ja4, certs;
  std::map<std::string, test::x509::FactsText> facts;  // by SHA-1
  std::vector<TlsStatus> statuses;
  void on_client_hello(const TlsClientHello& h) override {
    if (h.has_sni) snis.emplace(h.sni);
    ja3.emplace(h.ja3_md5);
    ja4.emplace(h.ja4);
  }
  void on_server_hello(const TlsServerHello& h) override { ja3s.emplace(h.ja3s_md5); }
  void on_certificate(const TlsCertificate& c) override {
    certs.emplace(c.sha1_hex);
    facts[c.sha1_hex] = test::x509::facts_text(c);
  }
};

// Feeds every TCP connection of the capture to a TlsConnection, in capture order. The client
// is the sender of the SYN, else the first sender.
CaptureTls tls_of_capture(const std::string& capture) {
  CaptureTls out;
  const auto segments = test::read_transport_packets(test::corpus_path("pcap/" + capture));
  test::Conversations conversations;
  std::map<std::string, TlsConnection> conns;
  for (const test::TransportPacket& s : segments) {
    if (!s.tcp()) continue;
    const test::ConversationStep step = conversations.follow(s);
    if (step.restarted) conns.erase(step.key);  // port reuse: a new connection
    conns[step.key].on_segment(step.from_initiator, s.view().tcp_seq, s.syn(), s.payload(),
                               s.payload_len(), out);
  }
  for (const auto& [key, c] : conns) {
    out.statuses.push_back(c.client().status());
    out.statuses.push_back(c.server().status());
  }
  return out;
}

// Every SNI, JA3, JA3S and certificate hash tshark sees in the capture, and no other.
void expect_same_as_tshark(const CaptureTls& got, const std::string& cap) {
  EXPECT_EQ(got.snis, truth_values(cap, "tls_sni")) << cap;
  EXPECT_EQ(got.ja3, truth_values(cap, "ja3")) << cap;
  EXPECT_EQ(got.ja3s, truth_values(cap, "ja3s")) << cap;
  EXPECT_EQ(got.certs, truth_values(cap, "x509_sha1")) << cap;
}

TEST(TlsHandshakeCorpus, MatchesTsharkOnFirefoxSession) {
  OUTPOST_REQUIRE_CORPUS();
  const std::string cap = "ndpi__443-firefox.pcap";
  const auto got = tls_of_capture(cap);
  expect_same_as_tshark(got, cap);
  // Derived independently from tshark's dissection by tests/data/proto/ja4_from_tshark.py.
  EXPECT_EQ(got.ja4, std::set<std::string>{"t13d1814h2_29a2cd9e9f10_d267a5f792d4"});
}

TEST(TlsHandshakeCorpus, HashesAllThreeCertificatesOfMaliciousChain) {
  OUTPOST_REQUIRE_CORPUS();
  const std::string cap = "ndpi__tls_malicious_sha1.pcapng";
  const auto got = tls_of_capture(cap);
  EXPECT_EQ(got.certs.size(), 3u);
  expect_same_as_tshark(got, cap);
}

TEST(TlsHandshakeCorpus, FingerprintsClientHelloWithHundredsOfCipherSuites) {
  OUTPOST_REQUIRE_CORPUS();
  const std::string cap = "ndpi__ja3_lots_of_cipher_suites.pcap";
  const auto got = tls_of_capture(cap);
  expect_same_as_tshark(got, cap);
  EXPECT_EQ(got.ja4, std::set<std::string>{"t12i990300_28808c40d9f1_1e2a54cae03f"});
}

TEST(TlsHandshakeCorpus, ReadsSelfSignedCertificateOverNullLinkType) {
  OUTPOST_REQUIRE_CORPUS();
  const std::string cap = "ndpi__selfsigned.pcap";
  const auto got = tls_of_capture(cap);
  expect_same_as_tshark(got, cap);
}

TEST(TlsHandshakeCorpus, FindsTheTcpHandshakesOfManySites) {
  OUTPOST_REQUIRE_CORPUS();
  const std::string cap = "ndpi__sites.pcapng";
  const auto got = tls_of_capture(cap);
  // The truth also holds QUIC ClientHellos (tshark decrypts QUIC Initials); over TCP tshark
  // sees 55 SNIs, 13 JA3, 18 JA3S and 29 certificates
  // (tshark -Y 'tcp and tls.handshake.type==1' -T fields -e ..., sorted and de-duplicated).
  const auto want_sni = truth_values(cap, "tls_sni");
  const auto want_ja3 = truth_values(cap, "ja3");
  for (const auto& v : got.snis) EXPECT_TRUE(want_sni.count(v)) << v;
  for (const auto& v : got.ja3) EXPECT_TRUE(want_ja3.count(v)) << v;
  EXPECT_EQ(got.snis.size(), 55u);
  EXPECT_EQ(got.ja3.size(), 13u);
  EXPECT_EQ(got.ja3s, truth_values(cap, "ja3s"));
  EXPECT_EQ(got.certs, truth_values(cap, "x509_sha1"));
  // tests/data/proto/ja4_from_tshark.py on the TCP hellos; the Firefox ones carry
  // delegated_credentials, whose algorithm list JA4 leaves out.
  EXPECT_EQ(got.ja4, (std::set<std::string>{
      "t00d0309h2_55b375c5d22e_2d3f7b9fe3d5", "t13d1515h2_8daaf6152771_de4a06bb82e3",
      "t13d1516h2_8daaf6152771_02713d6af862", "t13d1516h2_8daaf6152771_e5627efa2ab1",
      "t13d1517h2_8daaf6152771_b0da82dd1658", "t13d1615h2_46e7e9700bed_45f260be83e2",
      "t13d1713h1_5b57614c22b0_eca864cca44a", "t13d1715h2_5b57614c22b0_3d5424432f57",
      "t13d1715h2_5b57614c22b0_5c2c66f702b0", "t13d1715h2_5b57614c22b0_7121afd63204",
      "t13d1815h2_e8a523a41297_3d5424432f57", "t13d3113h2_e8f1e7e78f70_1b3407e2c936",
      "t13d571100_131602cb7446_24695f2957a7"}));
}

TEST(TlsHandshakeCorpus, FindsServerHelloAfterAWarningAlert) {
  OUTPOST_REQUIRE_CORPUS();
  // The server of tcp.stream 3 opens with Alert(warning, unrecognized_name), then ServerHello.
  const std::string cap = "ndpi__http_ipv6.pcap";
  const auto got = tls_of_capture(cap);
  expect_same_as_tshark(got, cap);
}

// tests/data/proto/certificate_facts.tsv: every certificate tshark finds in the corpus, with
// its facts from Python's cryptography (see certificate_facts.py there).
TEST(TlsCertificateCorpus, AgreesWithTsharkOnEveryFactOfEveryCertificateOverTcp) {
  OUTPOST_REQUIRE_CORPUS();
  const auto fixture = test::x509::corpus_certificate_facts();
  ASSERT_EQ(fixture.size(), 15u);
  std::size_t compared = 0;
  for (const auto& [cap, want] : fixture) {
    if (cap == "ndpi__capwap.pcap") continue;  // DTLS: DtlsCorpus.CapwapCertificateFactsMatchTshark
    const auto got = tls_of_capture(cap);
    for (const auto& [sha1, facts] : want) {
      const auto it = got.facts.find(sha1);
      ASSERT_NE(it, got.facts.end()) << cap << " " << sha1;
      EXPECT_EQ(it->second, facts) << cap;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 80u);
}

TEST(TlsCertificateCorpus, CallsTheCertificateOfNdpiSelfsignedSelfSigned) {
  OUTPOST_REQUIRE_CORPUS();
  const auto got = tls_of_capture("ndpi__selfsigned.pcap");
  ASSERT_EQ(got.facts.size(), 1u);
  const test::x509::FactsText& f = got.facts.begin()->second;
  EXPECT_EQ(f.self_signed, 1);
  EXPECT_EQ(f.subject, "O=ntop.org,ST=Some-State,C=IT");
  EXPECT_EQ(f.issuer, f.subject);
  EXPECT_EQ(f.serial_number, "91:6a:4c:d1:67:87:16:02");  // DER 00 91 6a ...: the sign octet dropped
}

TEST(TlsHandshakeCorpus, ReadsTls13EchOuterHellos) {
  OUTPOST_REQUIRE_CORPUS();
  const std::string cap = "zeek__tls13-ech.pcap";
  const auto got = tls_of_capture(cap);
  expect_same_as_tshark(got, cap);
  EXPECT_EQ(got.ja4, std::set<std::string>{"t13d1517h2_8daaf6152771_b1ff8ab2d16f"});
}

}  // namespace
}  // namespace outpost::capture::proto

namespace outpost::capture::proto {
namespace {

TEST(TlsHandshakeCorpus, ReportsOnlyValuesTsharkAlsoSeesInEveryCapture) {
  OUTPOST_REQUIRE_CORPUS();
  std::size_t captures = 0, values = 0;
  for (const std::string& cap : test::corpus_captures()) {
    const auto got = tls_of_capture(cap);
    ++captures;
    const auto sni = truth_values(cap, "tls_sni"), ja3 = truth_values(cap, "ja3");
    const auto ja3s = truth_values(cap, "ja3s");
    auto certs = truth_values(cap, "x509_sha1");
    // In ndpi__malware.pcap (frames 32-37) the capture misses the segment after the one that
    // carries the first certificate of a chain. tshark reports no certificate of a message it
    // cannot reassemble; we hash each certificate as it passes, so the complete first one is
    // reported (SHA-1 of DER bytes 1362-1258..1362 of frame 32's payload, checked by hand).
    if (cap == "ndpi__malware.pcap") certs.insert("30c908a75dac712c070051204d91dc3cba7e0a46");
    for (const auto& v : got.snis) EXPECT_TRUE(sni.count(v)) << cap << " sni " << v;
    for (const auto& v : got.ja3) EXPECT_TRUE(ja3.count(v)) << cap << " ja3 " << v;
    for (const auto& v : got.ja3s) EXPECT_TRUE(ja3s.count(v)) << cap << " ja3s " << v;
    for (const auto& v : got.certs) EXPECT_TRUE(certs.count(v)) << cap << " x509 " << v;
    values += got.snis.size() + got.ja3.size() + got.ja3s.size() + got.certs.size();
  }
  EXPECT_GT(captures, 60u);
  EXPECT_GT(values, 150u);
}

}  // namespace
}  // namespace outpost::capture::proto
