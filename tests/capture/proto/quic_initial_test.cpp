// QUIC Initial packets: key derivation, header protection and decryption against the RFC 9001
// and RFC 9369 sample packets; QuicInitialReader on hand-built Initials (CRYPTO reassembly,
// coalescing, Retry, limits, malformed input); real captures compared with tshark's truth.

#include "capture/proto/quic_initial.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "quic_builder.h"
#include "quic_rfc_vectors.h"
#include "support/conversations.h"
#include "support/corpus.h"
#include "support/decoded_capture.h"
#include "support/truth.h"

namespace outpost::capture::proto {
namespace {

using namespace test::proto_support;
namespace vectors = test::quic_vectors;

const Bytes kRfcDcid = from_hex("8394c8f03e515708");

struct Seen : TlsVisitor {
  std::vector<std::string> snis, ja3, ja4, ja3s;
  std::vector<bool> retry_requests;
  void on_client_hello(const TlsClientHello& h) override {
    snis.emplace_back(h.sni);
    ja3.emplace_back(h.ja3_md5);
    ja4.emplace_back(h.ja4);
  }
  void on_server_hello(const TlsServerHello& h) override {
    ja3s.emplace_back(h.ja3s_md5);
    retry_requests.push_back(h.hello_retry_request);
  }
};

std::string hex(const std::uint8_t* p, std::size_t n) { return to_hex(p, n); }

// A ClientHello handshake message (type + length + body) as QUIC carries it.
Bytes quic_client_hello(const std::string& sni, std::size_t pad_extension = 0) {
  std::vector<Extension> exts = {sni_ext(sni), alpn_ext({"h3"}), {43, {0x02, 0x03, 0x04}},
                                 {10, u16_list({0x001d})}, {13, u16_list({0x0403})}};
  if (pad_extension != 0) exts.push_back({21, Bytes(pad_extension, 0)});
  return handshake(1, client_hello_body(0x0303, {0x1301, 0x1302, 0x1303}, exts));
}

Bytes quic_server_hello(bool retry = false) {
  return handshake(2, server_hello_body(0x0303, 0x1301, {{43, {0x03, 0x04}}}, retry));
}

InitialSpec client_spec(std::uint32_t version = kQuicVersion1) {
  InitialSpec s;
  s.version = version;
  s.dcid = from_hex("0011223344556677");
  s.scid = from_hex("a1a2a3a4");
  s.pad_to = 1162;
  return s;
}

InitialSpec server_spec(const InitialSpec& client) {
  InitialSpec s;
  s.version = client.version;
  s.dcid = client.scid;
  s.scid = from_hex("b1b2b3b4b5");
  s.key_dcid = client.dcid;
  s.from_client = false;
  return s;
}

// ---- Keys and header protection (RFC 9001 A.1, RFC 9369 A.1) -----------------------------

TEST(QuicInitialKeys, DeriveRfc9001ClientAndServerKeys) {
  QuicKeys client, server;
  ASSERT_TRUE(derive_quic_initial_keys(kQuicVersion1, kRfcDcid.data(), kRfcDcid.size(), client, server));
  EXPECT_EQ(hex(client.key, 16), "1f369613dd76d5467730efcbe3b1a22d");
  EXPECT_EQ(hex(client.iv, 12), "fa044b2f42a3fd3b46fb255c");
  EXPECT_EQ(hex(client.hp, 16), "9f50449e04a0e810283a1e9933adedd2");
  EXPECT_EQ(hex(server.key, 16), "cf3a5331653c364c88f0f379b6067e37");
  EXPECT_EQ(hex(server.iv, 12), "0ac1493ca1905853b0bba03e");
  EXPECT_EQ(hex(server.hp, 16), "c206b8d9b9f0f37644430b490eeaa314");
}

TEST(QuicInitialKeys, DeriveRfc9369VersionTwoKeysWithItsSaltAndLabels) {
  QuicKeys client, server;
  ASSERT_TRUE(derive_quic_initial_keys(kQuicVersion2, kRfcDcid.data(), kRfcDcid.size(), client, server));
  EXPECT_EQ(hex(client.key, 16), "8b1a0bc121284290a29e0971b5cd045d");
  EXPECT_EQ(hex(client.iv, 12), "91f73e2351d8fa91660e909f");
  EXPECT_EQ(hex(client.hp, 16), "45b95e15235d6f45a6b19cbcb0294ba9");
  EXPECT_EQ(hex(server.key, 16), "82db637861d55e1d011f19ea71d5d2a7");
  EXPECT_EQ(hex(server.iv, 12), "dd13c276499c0249d3310652");
  EXPECT_EQ(hex(server.hp, 16), "edf6d05c83121201b436e16877593c3a");
}

TEST(QuicInitialKeys, RefuseUnknownVersionsAndOverlongConnectionIds) {
  QuicKeys client, server;
  EXPECT_FALSE(derive_quic_initial_keys(0x51303436, kRfcDcid.data(), kRfcDcid.size(), client, server));  // Q046
  EXPECT_FALSE(derive_quic_initial_keys(0, kRfcDcid.data(), kRfcDcid.size(), client, server));
  const Bytes long_cid(21, 0x42);
  EXPECT_FALSE(derive_quic_initial_keys(kQuicVersion1, long_cid.data(), long_cid.size(), client, server));
  EXPECT_TRUE(quic_initial_version_supported(0xff00001d));  // draft-29
  EXPECT_TRUE(quic_initial_version_supported(0xff000020));  // draft-32
  EXPECT_TRUE(quic_initial_version_supported(0x709a50c4));  // v2 draft
  EXPECT_FALSE(quic_initial_version_supported(0xff000016)); // draft-22: other salt, not read
}

TEST(QuicHeaderProtection, MasksMatchRfc9001Samples) {
  QuicKeys client, server;
  ASSERT_TRUE(derive_quic_initial_keys(kQuicVersion1, kRfcDcid.data(), kRfcDcid.size(), client, server));
  std::uint8_t mask[5];
  quic_header_protection_mask(client, from_hex("d1b1c98dd7689fb8ec11d242b123dc9b").data(), mask);
  EXPECT_EQ(hex(mask, 5), "437b9aec36");
  quic_header_protection_mask(server, from_hex("2cd0991cd25b0aac406a5816b6394100").data(), mask);
  EXPECT_EQ(hex(mask, 5), "2ec0d8356a");
}

TEST(QuicHeaderProtection, MasksMatchRfc9369Samples) {
  QuicKeys client, server;
  ASSERT_TRUE(derive_quic_initial_keys(kQuicVersion2, kRfcDcid.data(), kRfcDcid.size(), client, server));
  std::uint8_t mask[5];
  quic_header_protection_mask(client, from_hex("ffe67b6abcdb4298b485dd04de806071").data(), mask);
  EXPECT_EQ(hex(mask, 5), "94a0c95e80");
  quic_header_protection_mask(server, from_hex("6f05d8a4398c47089698baeea26b91eb").data(), mask);
  EXPECT_EQ(hex(mask, 5), "4dd92e91ea");
}

// ---- One packet (RFC 9001 A.2-A.4, RFC 9369 A.2-A.4) ------------------------------------------

struct Decrypted {
  QuicStatus status = QuicStatus::not_quic;
  QuicLongHeader header;
  Bytes frames;
  std::uint64_t pn = 0;
};

Decrypted decrypt(const Bytes& packet, std::uint32_t version, bool from_client) {
  Decrypted d;
  d.status = parse_quic_long_header(packet.data(), packet.size(), d.header);
  if (d.status != QuicStatus::ok) return d;
  QuicKeys client, server;
  derive_quic_initial_keys(version, kRfcDcid.data(), kRfcDcid.size(), client, server);
  std::vector<std::uint8_t> plain(packet.size());
  std::size_t n = 0;
  d.status = decrypt_quic_initial(packet.data(), d.header, from_client ? client : server, -1, plain.data(),
                                  plain.size(), &n, &d.pn);
  if (d.status == QuicStatus::ok) d.frames.assign(plain.begin(), plain.begin() + static_cast<long>(n));
  return d;
}

TEST(QuicInitialPacket, Rfc9001ClientInitialDecryptsToItsCryptoFrameAndPadding) {
  const Bytes packet = from_hex(vectors::v1::kClientPacket);
  ASSERT_EQ(packet.size(), 1200u);
  const Decrypted d = decrypt(packet, kQuicVersion1, true);
  ASSERT_EQ(d.status, QuicStatus::ok);
  EXPECT_EQ(d.header.version, kQuicVersion1);
  EXPECT_EQ(hex(d.header.dcid.data, d.header.dcid.len), "8394c8f03e515708");
  EXPECT_EQ(d.header.scid.len, 0u);
  EXPECT_EQ(d.header.packet_length, 1200u);
  EXPECT_EQ(d.pn, 2u);
  Bytes expected = from_hex(vectors::v1::kCryptoFrame);
  expected.resize(1162, 0x00);  // PADDING
  EXPECT_EQ(d.frames, expected);
}

TEST(QuicInitialPacket, Rfc9001ServerInitialDecryptsToAckAndCrypto) {
  const Decrypted d = decrypt(from_hex(vectors::v1::kServerPacket), kQuicVersion1, false);
  ASSERT_EQ(d.status, QuicStatus::ok);
  EXPECT_EQ(d.pn, 1u);
  EXPECT_EQ(d.frames, from_hex(vectors::v1::kServerPayload));
}

TEST(QuicInitialPacket, Rfc9369VersionTwoInitialsDecrypt) {
  const Decrypted c = decrypt(from_hex(vectors::v2::kClientPacket), kQuicVersion2, true);
  ASSERT_EQ(c.status, QuicStatus::ok);
  EXPECT_EQ(c.header.version, kQuicVersion2);
  EXPECT_EQ(c.pn, 2u);
  Bytes expected = from_hex(vectors::v2::kCryptoFrame);
  expected.resize(1162, 0x00);
  EXPECT_EQ(c.frames, expected);
  const Decrypted s = decrypt(from_hex(vectors::v2::kServerPacket), kQuicVersion2, false);
  ASSERT_EQ(s.status, QuicStatus::ok);
  EXPECT_EQ(s.frames, from_hex(vectors::v2::kServerPayload));
}

TEST(QuicInitialPacket, TestBuilderReproducesRfc9001ClientInitial) {
  InitialSpec s;
  s.dcid = kRfcDcid;
  s.packet_number = 2;
  s.pad_to = 1162;
  EXPECT_EQ(to_hex(protect_initial(s, from_hex(vectors::v1::kCryptoFrame)).data(), 1200),
            std::string(vectors::v1::kClientPacket));
}

TEST(QuicInitialPacket, TamperedCiphertextFailsAuthentication) {
  Bytes packet = from_hex(vectors::v1::kClientPacket);
  packet[600] ^= 0x01;
  EXPECT_EQ(decrypt(packet, kQuicVersion1, true).status, QuicStatus::decrypt_failed);
  // The right packet with the other direction's keys fails too.
  EXPECT_EQ(decrypt(from_hex(vectors::v1::kClientPacket), kQuicVersion1, false).status, QuicStatus::decrypt_failed);
}

TEST(QuicInitialPacket, TruncatedPacketIsABadHeaderAtEveryLength) {
  const Bytes packet = from_hex(vectors::v1::kClientPacket);
  for (std::size_t n = 0; n < packet.size(); ++n) {
    const Bytes cut(packet.begin(), packet.begin() + static_cast<long>(n));
    QuicLongHeader h;
    const QuicStatus s = parse_quic_long_header(cut.data(), cut.size(), h);
    EXPECT_TRUE(s == QuicStatus::bad_header || s == QuicStatus::not_quic) << n << " " << quic_status_name(s);
  }
}

TEST(QuicInitialPacket, OtherVersionsAndPacketTypesAreNotRead) {
  QuicLongHeader h;
  // Google QUIC Q046 long header, and Version Negotiation (version 0).
  const Bytes gquic = from_hex("c3513034365008aabbccddeeff0011000000000000000000000000");
  EXPECT_EQ(parse_quic_long_header(gquic.data(), gquic.size(), h), QuicStatus::unsupported_version);
  const Bytes negotiation = from_hex("c00000000008aabbccddeeff001100000000010000000100");
  EXPECT_EQ(parse_quic_long_header(negotiation.data(), negotiation.size(), h), QuicStatus::unsupported_version);
  // A short header.
  const Bytes short_header = from_hex("4200bff4655e5cd55c41f69080575d7999c25a5bfb");
  EXPECT_EQ(parse_quic_long_header(short_header.data(), short_header.size(), h), QuicStatus::not_quic);
  // Retry packets of both versions (RFC 9001 A.4, RFC 9369 A.4): type bits 11 in v1, 00 in v2.
  const Bytes retry1 = from_hex(vectors::v1::kRetryPacket), retry2 = from_hex(vectors::v2::kRetryPacket);
  EXPECT_EQ(parse_quic_long_header(retry1.data(), retry1.size(), h), QuicStatus::not_initial);
  EXPECT_EQ(h.packet_length, retry1.size());
  EXPECT_EQ(parse_quic_long_header(retry2.data(), retry2.size(), h), QuicStatus::not_initial);
  // A v1 Initial's type bits (00) mean Retry in v2; v2's Initial bits (01) mean 0-RTT in v1.
  InitialSpec s = client_spec(kQuicVersion2);
  s.type = 0;
  Bytes p = protect_initial(s, crypto_frame(0, quic_client_hello("x.example")));
  EXPECT_EQ(parse_quic_long_header(p.data(), p.size(), h), QuicStatus::not_initial);
  s = client_spec(kQuicVersion1);
  s.type = 1;
  p = protect_initial(s, crypto_frame(0, quic_client_hello("x.example")));
  EXPECT_EQ(parse_quic_long_header(p.data(), p.size(), h), QuicStatus::not_initial);
  EXPECT_EQ(h.packet_length, p.size());
}

TEST(QuicInitialPacket, LooksLikeQuicInitialOnlyForAClientsFirstInitial) {
  const Bytes client = from_hex(vectors::v1::kClientPacket);
  EXPECT_TRUE(looks_like_quic_initial(client.data(), client.size()));
  EXPECT_TRUE(looks_like_quic_initial(from_hex(vectors::v2::kClientPacket).data(), 1200));
  const Bytes server = from_hex(vectors::v1::kServerPacket);  // zero-length DCID
  EXPECT_FALSE(looks_like_quic_initial(server.data(), server.size()));
  const Bytes dns = from_hex("abcd01000001000000000000076578616d706c6503636f6d0000010001");
  EXPECT_FALSE(looks_like_quic_initial(dns.data(), dns.size()));
  EXPECT_FALSE(looks_like_quic_initial(nullptr, 0));
}

// ---- QuicInitialReader ----------------------------------------------------------------------

TEST(QuicInitialReader, ReportsRfc9001ClientAndServerHellos) {
  QuicInitialReader r;
  Seen seen;
  const Bytes c = from_hex(vectors::v1::kClientPacket), s = from_hex(vectors::v1::kServerPacket);
  EXPECT_EQ(r.on_datagram(true, c.data(), c.size(), seen), QuicStatus::ok);
  ASSERT_EQ(seen.snis.size(), 1u);
  EXPECT_EQ(seen.snis[0], "example.com");
  EXPECT_EQ(seen.ja4[0].substr(0, 10), "q13d0211an");  // 2 ciphers, 11 extensions, ALPN "alpn"
  EXPECT_FALSE(r.done());
  EXPECT_EQ(r.on_datagram(false, s.data(), s.size(), seen), QuicStatus::ok);
  ASSERT_EQ(seen.ja3s.size(), 1u);
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.version(), kQuicVersion1);
  EXPECT_EQ(r.counters().initials_decrypted, 2u);
}

TEST(QuicInitialReader, ReportsRfc9369VersionTwoHellos) {
  QuicInitialReader r;
  Seen seen;
  const Bytes c = from_hex(vectors::v2::kClientPacket), s = from_hex(vectors::v2::kServerPacket);
  r.on_datagram(true, c.data(), c.size(), seen);
  r.on_datagram(false, s.data(), s.size(), seen);
  ASSERT_EQ(seen.snis.size(), 1u);
  EXPECT_EQ(seen.snis[0], "example.com");
  ASSERT_EQ(seen.ja3s.size(), 1u);
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.version(), kQuicVersion2);
}

TEST(QuicInitialReader, ReassemblesClientHelloFromOutOfOrderCryptoFramesAcrossPackets) {
  const Bytes hello = quic_client_hello("out-of-order.example");
  const std::size_t n = hello.size();
  InitialSpec a = client_spec(), b = client_spec();
  b.packet_number = 1;
  // Packet 0 holds the last third then the first third; packet 1 the middle (and a repeat).
  Bytes frames0 = crypto_frame(2 * n / 3, hello, 2 * n / 3, n - 2 * n / 3);
  append(frames0, crypto_frame(0, hello, 0, n / 3));
  Bytes frames1 = crypto_frame(n / 3, hello, n / 3, 2 * n / 3 - n / 3);
  append(frames1, crypto_frame(0, hello, 0, 5));
  const Bytes p0 = protect_initial(a, frames0), p1 = protect_initial(b, frames1);
  QuicInitialReader r;
  Seen seen;
  r.on_datagram(true, p0.data(), p0.size(), seen);
  EXPECT_TRUE(seen.snis.empty());
  r.on_datagram(true, p1.data(), p1.size(), seen);
  ASSERT_EQ(seen.snis.size(), 1u);
  EXPECT_EQ(seen.snis[0], "out-of-order.example");
  EXPECT_EQ(r.counters().crypto_frames, 4u);
}

TEST(QuicInitialReader, WalksCoalescedPacketsInOneDatagram) {
  const InitialSpec c = client_spec();
  QuicInitialReader r;
  Seen seen;
  const Bytes hello = protect_initial(c, crypto_frame(0, quic_client_hello("coalesced.example")));
  r.on_datagram(true, hello.data(), hello.size(), seen);
  // Server: Initial (ACK) + Handshake (opaque to us) + Initial (ServerHello) + zero padding.
  InitialSpec s1 = server_spec(c), s2 = server_spec(c), hs = server_spec(c);
  s2.packet_number = 1;
  hs.type = 2;  // Handshake: keys we do not have, skipped by its Length
  Bytes datagram = protect_initial(s1, ack_frame(0));
  append(datagram, protect_initial(hs, Bytes(40, 0x01)));
  append(datagram, protect_initial(s2, crypto_frame(0, quic_server_hello())));
  datagram.resize(datagram.size() + 30, 0x00);
  EXPECT_EQ(r.on_datagram(false, datagram.data(), datagram.size(), seen), QuicStatus::ok);
  EXPECT_EQ(seen.ja3s.size(), 1u);
  EXPECT_EQ(r.counters().packets, 4u);
  EXPECT_TRUE(r.done());
}

TEST(QuicInitialReader, DecryptsServerInitialsWithTheClientsOriginalConnectionId) {
  InitialSpec c = client_spec();
  InitialSpec s = server_spec(c);
  QuicInitialReader r;
  Seen seen;
  Bytes p = protect_initial(c, crypto_frame(0, quic_client_hello("a.example")));
  r.on_datagram(true, p.data(), p.size(), seen);
  // Keys derived from the server packet's own DCID would not open it.
  InitialSpec wrong = s;
  wrong.key_dcid = s.dcid;
  p = protect_initial(wrong, crypto_frame(0, quic_server_hello()));
  EXPECT_EQ(r.on_datagram(false, p.data(), p.size(), seen), QuicStatus::decrypt_failed);
  EXPECT_TRUE(seen.ja3s.empty());
  p = protect_initial(s, crypto_frame(0, quic_server_hello()));
  EXPECT_EQ(r.on_datagram(false, p.data(), p.size(), seen), QuicStatus::ok);
  EXPECT_EQ(seen.ja3s.size(), 1u);
  EXPECT_EQ(r.counters().decrypt_failures, 1u);
}

TEST(QuicInitialReader, FollowsTheClientsNewConnectionIdAfterARetry) {
  InitialSpec first = client_spec();
  const Bytes hello = quic_client_hello("retry.example");
  QuicInitialReader r;
  Seen seen;
  // The first Initial carries only part of the hello; the server answers with a Retry.
  Bytes p = protect_initial(first, crypto_frame(0, hello, 0, 20));
  r.on_datagram(true, p.data(), p.size(), seen);
  InitialSpec second = client_spec();
  second.dcid = from_hex("5e5e5e5e5e5e5e5e5e");
  second.token = Bytes(24, 0x77);
  second.packet_number = 1;
  p = protect_initial(second, crypto_frame(0, hello));
  r.on_datagram(true, p.data(), p.size(), seen);
  ASSERT_EQ(seen.snis.size(), 1u);
  EXPECT_EQ(r.counters().retries_followed, 1u);
  // The server now protects with keys from the new DCID.
  InitialSpec s = server_spec(second);
  p = protect_initial(s, crypto_frame(0, quic_server_hello()));
  r.on_datagram(false, p.data(), p.size(), seen);
  EXPECT_EQ(seen.ja3s.size(), 1u);
  EXPECT_TRUE(r.done());
}

TEST(QuicInitialReader, LearnsWhichSideIsTheClientWhenTheServerInitiatedTheFlow) {
  const InitialSpec c = client_spec();
  QuicInitialReader r;
  Seen seen;
  Bytes p = protect_initial(c, crypto_frame(0, quic_client_hello("swapped.example")));
  r.on_datagram(false, p.data(), p.size(), seen);  // the flow's initiator is the server
  p = protect_initial(server_spec(c), crypto_frame(0, quic_server_hello()));
  r.on_datagram(true, p.data(), p.size(), seen);
  EXPECT_EQ(seen.snis.size(), 1u);
  EXPECT_EQ(seen.ja3s.size(), 1u);
  EXPECT_FALSE(r.initiator_is_client());
  EXPECT_EQ(r.counters().roles_swapped, 1u);
}

TEST(QuicInitialReader, CountsCryptoDataPastTheBufferAndStillReportsTheHello) {
  const InitialSpec c = client_spec();
  Bytes frames = crypto_frame(QuicInitialReader::kCryptoBufferBytes + 1000, Bytes(100, 0x55));
  append(frames, crypto_frame(QuicInitialReader::kCryptoBufferBytes - 10, Bytes(30, 0x55)));
  append(frames, crypto_frame(0, quic_client_hello("big-offset.example")));
  const Bytes p = protect_initial(c, frames);
  QuicInitialReader r;
  Seen seen;
  EXPECT_EQ(r.on_datagram(true, p.data(), p.size(), seen), QuicStatus::crypto_overflow);
  EXPECT_EQ(r.counters().crypto_bytes_dropped, 120u);
  EXPECT_EQ(seen.snis.size(), 1u);
}

TEST(QuicInitialReader, GivesUpOnAHelloLargerThanTheBuffer) {
  const Bytes hello = quic_client_hello("huge.example", QuicInitialReader::kCryptoBufferBytes);
  InitialSpec c = client_spec();
  QuicInitialReader r;
  Seen seen;
  for (std::size_t off = 0; off < hello.size(); off += 1000) {
    const Bytes p = protect_initial(c, crypto_frame(off, hello, off, std::min<std::size_t>(1000, hello.size() - off)));
    r.on_datagram(true, p.data(), p.size(), seen);
    ++c.packet_number;
  }
  EXPECT_TRUE(seen.snis.empty());
  EXPECT_EQ(r.counters().hellos_too_large, 1u);
  EXPECT_EQ(r.counters().gave_up, 1u);
  EXPECT_FALSE(r.done());  // the server direction may still report its ServerHello
}

TEST(QuicInitialReader, StopsAtAFrameTypeNotAllowedInInitialsButKeepsEarlierCrypto) {
  const InitialSpec c = client_spec();
  Bytes frames = crypto_frame(0, quic_client_hello("stream.example"));
  append(frames, Bytes{0x08, 0x00, 0x01, 0x02});  // STREAM
  const Bytes p = protect_initial(c, frames);
  QuicInitialReader r;
  Seen seen;
  EXPECT_EQ(r.on_datagram(true, p.data(), p.size(), seen), QuicStatus::bad_frame);
  EXPECT_EQ(r.counters().bad_frames, 1u);
  EXPECT_EQ(seen.snis.size(), 1u);
}

TEST(QuicInitialReader, RejectsCryptoFramesWhoseLengthPassesThePacket) {
  const InitialSpec c = client_spec();
  Bytes frames{0x06, 0x00, 0x44, 0x00};  // offset 0, length 1024 ...
  append(frames, Bytes(100, 0x01));      // ... but only 100 bytes follow before the padding ends
  InitialSpec small = c;
  small.pad_to = 0;
  const Bytes p = protect_initial(small, frames);
  QuicInitialReader r;
  Seen seen;
  EXPECT_EQ(r.on_datagram(true, p.data(), p.size(), seen), QuicStatus::bad_frame);
  EXPECT_EQ(r.counters().crypto_frames, 0u);
}

TEST(QuicInitialReader, GivesUpOnAStreamThatDoesNotStartWithItsHello) {
  const InitialSpec c = client_spec();
  const Bytes p = protect_initial(c, crypto_frame(0, quic_server_hello()));  // wrong side's message
  QuicInitialReader r;
  Seen seen;
  EXPECT_EQ(r.on_datagram(true, p.data(), p.size(), seen), QuicStatus::bad_hello);
  EXPECT_EQ(r.counters().bad_hellos, 1u);
  EXPECT_TRUE(seen.snis.empty() && seen.ja3s.empty());
}

TEST(QuicInitialReader, ReportsBothHellosAfterAHelloRetryRequest) {
  const InitialSpec c = client_spec();
  const Bytes hello1 = quic_client_hello("hrr.example"), hello2 = quic_client_hello("hrr.example", 8);
  QuicInitialReader r;
  Seen seen;
  Bytes p = protect_initial(c, crypto_frame(0, hello1));
  r.on_datagram(true, p.data(), p.size(), seen);
  InitialSpec s = server_spec(c);
  p = protect_initial(s, crypto_frame(0, quic_server_hello(true)));
  r.on_datagram(false, p.data(), p.size(), seen);
  EXPECT_FALSE(r.done());
  InitialSpec c2 = c;
  c2.packet_number = 1;
  p = protect_initial(c2, crypto_frame(hello1.size(), hello2));
  r.on_datagram(true, p.data(), p.size(), seen);
  s.packet_number = 1;
  p = protect_initial(s, crypto_frame(quic_server_hello(true).size(), quic_server_hello()));
  r.on_datagram(false, p.data(), p.size(), seen);
  EXPECT_EQ(seen.snis.size(), 2u);
  ASSERT_EQ(seen.retry_requests.size(), 2u);
  EXPECT_TRUE(seen.retry_requests[0]);
  EXPECT_FALSE(seen.retry_requests[1]);
  EXPECT_TRUE(r.done());
}

TEST(QuicInitialReader, ShortHeaderDatagramEndsItsDirectionAndDoneIgnoresTheRest) {
  const InitialSpec c = client_spec();
  QuicInitialReader r;
  Seen seen;
  Bytes p = protect_initial(c, crypto_frame(0, quic_client_hello("short.example")));
  r.on_datagram(true, p.data(), p.size(), seen);
  const Bytes one_rtt = from_hex("4200bff4655e5cd55c41f69080575d7999c25a5bfb");
  EXPECT_EQ(r.on_datagram(false, one_rtt.data(), one_rtt.size(), seen), QuicStatus::not_quic);
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.counters().gave_up, 1u);
  p = protect_initial(server_spec(c), crypto_frame(0, quic_server_hello()));
  EXPECT_EQ(r.on_datagram(false, p.data(), p.size(), seen), QuicStatus::ok);
  EXPECT_TRUE(seen.ja3s.empty());
}

TEST(QuicInitialReader, GivesUpAfterTooManyUndecryptableInitials) {
  InitialSpec c = client_spec();
  c.key_dcid = from_hex("ffffffffffffffff");  // keys the reader cannot guess
  QuicInitialReader r;
  Seen seen;
  for (std::uint32_t i = 0; i < QuicInitialReader::kMaxInitialsPerDirection; ++i) {
    const Bytes p = protect_initial(c, crypto_frame(0, quic_client_hello("x.example")));
    EXPECT_EQ(r.on_datagram(true, p.data(), p.size(), seen), QuicStatus::decrypt_failed);
  }
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.counters().decrypt_failures, QuicInitialReader::kMaxInitialsPerDirection);
}

TEST(QuicInitialReader, SkipsGoogleQuicAndGarbage) {
  QuicInitialReader r;
  Seen seen;
  const Bytes gquic = from_hex("c3513034365008aabbccddeeff0011000000000000000000000000");
  EXPECT_EQ(r.on_datagram(true, gquic.data(), gquic.size(), seen), QuicStatus::unsupported_version);
  const Bytes junk = from_hex("ff000000010bff");
  EXPECT_EQ(r.on_datagram(true, junk.data(), junk.size(), seen), QuicStatus::bad_header);
  EXPECT_EQ(r.on_datagram(true, nullptr, 0, seen), QuicStatus::ok);
  EXPECT_EQ(r.counters().unsupported_versions, 1u);
  EXPECT_EQ(r.counters().bad_headers, 1u);
  EXPECT_TRUE(seen.snis.empty());
}

// ---- Real captures vs tshark (../shared/corpus/truth) ---------------------------------------

struct CorpusSeen : TlsVisitor {
  std::set<std::string> sni, ja3, ja3s, ja4;
  void on_client_hello(const TlsClientHello& h) override {
    if (!h.sni.empty()) sni.emplace(h.sni);
    ja3.emplace(h.ja3_md5);
    ja4.emplace(h.ja4);
  }
  void on_server_hello(const TlsServerHello& h) override { ja3s.emplace(h.ja3s_md5); }
};

// As the pipeline is asked to wire it: a reader per UDP flow whose datagram looks like a
// client's first Initial, fed every later datagram of the flow.
CorpusSeen observe_quic(const std::string& capture, QuicCounters* counters = nullptr) {
  std::string error;
  const auto packets = test::read_transport_packets(test::corpus_path("pcap/" + capture), &error);
  EXPECT_TRUE(error.empty()) << error;
  test::Conversations conversations;
  std::map<std::string, std::unique_ptr<QuicInitialReader>> flows;
  CorpusSeen seen;
  for (const auto& d : packets) {
    if (!d.udp()) continue;
    const test::ConversationStep step = conversations.follow(d);
    std::unique_ptr<QuicInitialReader>& reader = flows[step.key];
    if (!reader && looks_like_quic_initial(d.payload(), d.payload_len()))
      reader = std::make_unique<QuicInitialReader>();
    if (reader) reader->on_datagram(step.from_initiator, d.payload(), d.payload_len(), seen);
  }
  if (counters != nullptr)
    for (const auto& [key, reader] : flows)
      if (reader) {
        counters->initials_decrypted += reader->counters().initials_decrypted;
        counters->decrypt_failures += reader->counters().decrypt_failures;
      }
  return seen;
}

void expect_matches_truth(const std::string& capture) {
  const CorpusSeen seen = observe_quic(capture);
  EXPECT_EQ(seen.sni, test::truth_values(capture, "tls_sni")) << capture;
  EXPECT_EQ(seen.ja3, test::truth_values(capture, "ja3")) << capture;
  EXPECT_EQ(seen.ja3s, test::truth_values(capture, "ja3s")) << capture;
}

TEST(QuicInitialCorpus, VersionTwoHandshakeMatchesTshark) {
  OUTPOST_REQUIRE_CORPUS();
  expect_matches_truth("ndpi__quic-v2.pcapng");
  // JA4 from tests/data/proto/ja4_from_tshark.py's reading of the same hello, with 'q'.
  EXPECT_EQ(observe_quic("ndpi__quic-v2.pcapng").ja4,
            std::set<std::string>{"q13d0310h3_55b375c5d22e_0a3b52e28cea"});
}

TEST(QuicInitialCorpus, DraftThirtyTwoDnsOverQuicMatchesTshark) {
  OUTPOST_REQUIRE_CORPUS();
  expect_matches_truth("ndpi__doq.pcapng");
}

TEST(QuicInitialCorpus, ClientHelloSplitOverTwoInitialsMatchesTshark) {
  OUTPOST_REQUIRE_CORPUS();
  expect_matches_truth("ndpi__quic_frags_ch_in_multiple_packets.pcapng");
}

TEST(QuicInitialCorpus, DraftTwentyNineInitialOverPppMatchesTshark) {
  OUTPOST_REQUIRE_CORPUS();
  expect_matches_truth("ndpi__dlt_ppp.pcap");
}

TEST(QuicInitialCorpus, FirefoxToCloudflareMatchesTshark) {
  OUTPOST_REQUIRE_CORPUS();
  expect_matches_truth("zeek__firefox-102.13.0esr-blog-cloudflare-com.pcap");
  // From ja4_from_tshark.py. The hello also carries delegated_credentials, whose algorithm list
  // JA4 leaves out (tshark shows it in the same sig_hash_alg field):
  // sha256("0005,000a,000d,0015,0017,001c,0022,002b,002d,0033,0039,ff01_0403,0503,0603,0203,
  // 0804,0805,0806,0401,0501,0601,0201") starts 2d2a40a25571.
  EXPECT_EQ(observe_quic("zeek__firefox-102.13.0esr-blog-cloudflare-com.pcap").ja4,
            std::set<std::string>{"q13d0314h3_55b375c5d22e_2d2a40a25571"});
}

TEST(QuicInitialCorpus, QuicFlowsAmongTcpSitesGiveTsharksValues) {
  OUTPOST_REQUIRE_CORPUS();
  const CorpusSeen seen = observe_quic("ndpi__sites.pcapng");
  EXPECT_EQ(seen.ja3, (std::set<std::string>{"2a18e6bf307f97c5e27f0ab407dc65db", "7a8e625dea44f20fe8d8d657583506d1",
                                             "a27a03a8478393fe7f8958648bb71ff4", "b719940c5ab9a3373cb4475d8143ff88"}));
  EXPECT_EQ(seen.ja3s, (std::set<std::string>{"2b0648ab686ee45e0e7c35fcfb0eea7e", "eb1d94daa7e0344597e756a1fb6e7054"}));
  EXPECT_EQ(seen.sni, (std::set<std::string>{"classroom.google.com", "hangouts.google.com", "plus.google.com",
                                             "www.threads.net"}));
  const auto truth_ja3 = test::truth_values("ndpi__sites.pcapng", "ja3");
  for (const auto& v : seen.ja3) EXPECT_TRUE(truth_ja3.count(v)) << v;
}

TEST(QuicInitialCorpus, EveryValueFromEveryCaptureIsInTheTruth) {
  OUTPOST_REQUIRE_CORPUS();
  QuicCounters total;
  for (const std::string& capture : test::corpus_captures()) {
    const CorpusSeen seen = observe_quic(capture, &total);
    const auto sni = test::truth_values(capture, "tls_sni");
    const auto ja3 = test::truth_values(capture, "ja3");
    const auto ja3s = test::truth_values(capture, "ja3s");
    for (const auto& v : seen.sni) EXPECT_TRUE(sni.count(v)) << capture << " sni " << v;
    for (const auto& v : seen.ja3) EXPECT_TRUE(ja3.count(v)) << capture << " ja3 " << v;
    for (const auto& v : seen.ja3s) EXPECT_TRUE(ja3s.count(v)) << capture << " ja3s " << v;
  }
  EXPECT_GE(total.initials_decrypted, 15u);
  EXPECT_EQ(total.decrypt_failures, 0u);
}

}  // namespace
}  // namespace outpost::capture::proto
