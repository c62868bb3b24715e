// ClientHello / ServerHello parsing and the JA3, JA3S and JA4 fingerprints.

#include "capture/proto/tls_hello.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tls_builder.h"

namespace outpost::capture::proto {
namespace {

using namespace test::proto_support;

// The ClientHello of FoxIO's JA4 specification example (technical_details/JA4.md), with GREASE
// values added where browsers put them (they must not change anything).
Bytes spec_example_hello(bool with_signature_algorithms = true) {
  const std::vector<std::uint16_t> ciphers = {0x7a7a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                                              0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
                                              0x009c, 0x009d, 0x002f, 0x0035};
  Bytes sigs = u16_list({0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601});
  if (!with_signature_algorithms) sigs = u16_list({});
  std::vector<Extension> exts = {
      {0x2a2a, {}},
      {0x001b, {0x02, 0x00, 0x02}},
      sni_ext("example.com"),
      {0x0033, {0x00, 0x00}},
      alpn_ext({"h2", "http/1.1"}),
      {0x4469, {0x00, 0x03, 0x02, 'h', '2'}},
      {0x0017, {}},
      {0x002d, {0x01, 0x01}},
      {0x000d, sigs},
      {0x0005, {0x01, 0x00, 0x00, 0x00, 0x00}},
      {0x0023, {}},
      {0x0012, {}},
      {0x002b, u16_list({0x6a6a, 0x0304, 0x0303}, 1)},
      {0xff01, {0x00}},
      {0x000b, {0x01, 0x00}},
      {0x000a, u16_list({0x8a8a, 0x001d, 0x0017, 0x0018})},
      {0x0015, {0x00, 0x00}},
      {0x3a3a, {0x00}},
  };
  return client_hello_body(0x0303, ciphers, exts);
}

TEST(TlsClientHello, ComputesJa4OfTheSpecificationExample) {
  const Bytes body = spec_example_hello();
  TlsClientHello h;
  ASSERT_EQ(parse_client_hello(body.data(), body.size(), h), TlsStatus::ok);
  // JA4.md: "JA4 = t13d1516h2_8daaf6152771_e5627efa2ab1".
  EXPECT_STREQ(h.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
}

TEST(TlsClientHello, LeavesJa4EmptyWhenNobodyWantsItButKeepsJa3) {
  const Bytes body = spec_example_hello();
  TlsClientHello with, without;
  ASSERT_EQ(parse_client_hello(body.data(), body.size(), with, 't', true), TlsStatus::ok);
  ASSERT_EQ(parse_client_hello(body.data(), body.size(), without, 't', false), TlsStatus::ok);
  EXPECT_STREQ(without.ja4, "");
  EXPECT_STREQ(with.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
  EXPECT_STREQ(without.ja3_md5, with.ja3_md5);
  EXPECT_EQ(std::string(without.ja3_md5).size(), 32u);
}

TEST(TlsClientHello, EndsJa4ExtensionPartWithoutUnderscoreWhenThereAreNoSignatureAlgorithms) {
  const Bytes body = spec_example_hello(false);
  TlsClientHello h;
  ASSERT_EQ(parse_client_hello(body.data(), body.size(), h), TlsStatus::ok);
  // JA4.md: "0005,000a,...,4469,ff01 = 6d807ffa2a79".
  EXPECT_STREQ(h.ja4, "t13d1516h2_8daaf6152771_6d807ffa2a79");
}

TEST(TlsClientHello, UsesTransportLetterAndZeroHashesForEmptyLists) {
  const Bytes body = client_hello_body(0x0301, {}, {}, false);
  TlsClientHello h;
  ASSERT_EQ(parse_client_hello(body.data(), body.size(), h, 'q'), TlsStatus::ok);
  EXPECT_STREQ(h.ja4, "q10i000000_000000000000_000000000000");
}

TEST(TlsClientHello, CapsJa4CountsAt99) {
  std::vector<std::uint16_t> ciphers;
  for (std::uint16_t c = 1; c <= 150; ++c) ciphers.push_back(c);
  const Bytes body = client_hello_body(0x0303, ciphers, {});
  TlsClientHello h;
  ASSERT_EQ(parse_client_hello(body.data(), body.size(), h), TlsStatus::ok);
  EXPECT_EQ(std::string(h.ja4).substr(0, 10), "t12i990000");
}

std::string ja4_alpn_of(const std::vector<std::string>& protos) {
  const Bytes body = client_hello_body(0x0303, {0x1301}, {alpn_ext(protos)});
  TlsClientHello h;
  if (parse_client_hello(body.data(), body.size(), h) != TlsStatus::ok) return "error";
  return std::string(h.ja4).substr(8, 2);
}

TEST(TlsClientHello, TakesJa4AlpnCharactersAsTheSpecificationDescribes) {
  EXPECT_EQ(ja4_alpn_of({"h2"}), "h2");
  EXPECT_EQ(ja4_alpn_of({"http/1.1", "h2"}), "h1");
  EXPECT_EQ(ja4_alpn_of({"x"}), "xx");
  EXPECT_EQ(ja4_alpn_of({""}), "00");
  // Non-alphanumeric ends: first and last character of the hex form (JA4.md examples).
  EXPECT_EQ(ja4_alpn_of({"\xab"}), "ab");
  EXPECT_EQ(ja4_alpn_of({"\xab\xcd"}), "ad");
  EXPECT_EQ(ja4_alpn_of({" "}), "20");
  EXPECT_EQ(ja4_alpn_of({" a"}), "21");
  EXPECT_EQ(ja4_alpn_of({"a "}), "60");
  // FoxIO's Rust tool prints "99" for this ALPN (non-ASCII replaced by '9'); the specification
  // text, which we follow, gives the hex form's ends.
  EXPECT_EQ(ja4_alpn_of({"\xba\xad"}), "bd");
  EXPECT_EQ(ja4_alpn_of({"0\xab"}), "3b");
  EXPECT_EQ(ja4_alpn_of({"01\xab\xcd"}), "3d");
  EXPECT_EQ(ja4_alpn_of({"0\xab\xcd" "1"}), "01");
}

TEST(TlsClientHello, ExcludesGreaseFromJa3AndComputesItsMd5) {
  const Bytes body = spec_example_hello();
  TlsClientHello h;
  ASSERT_EQ(parse_client_hello(body.data(), body.size(), h), TlsStatus::ok);
  char text[512];
  const std::size_t n = format_ja3(h, text, sizeof text);
  const std::string want =
      "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
      "27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0";
  EXPECT_EQ(std::string(text), want);
  EXPECT_EQ(n, want.size());
  // MD5 of `want`, computed independently (Python hashlib).
  EXPECT_STREQ(h.ja3_md5, "c000e2caf3a25423f9de6c8a4b12a975");
}

TEST(TlsClientHello, FormatsJa3LikeSnprintfWhenTheBufferIsSmall) {
  const Bytes body = spec_example_hello();
  TlsClientHello h;
  ASSERT_EQ(parse_client_hello(body.data(), body.size(), h), TlsStatus::ok);
  char small[8];
  const std::size_t n = format_ja3(h, small, sizeof small);
  EXPECT_GT(n, sizeof small);
  EXPECT_STREQ(small, "771,486");
}

TEST(TlsClientHello, ComputesJa3WithoutExtensionsBlock) {
  const Bytes body = client_hello_body(0x0301, {0x002f, 0x0035, 0x000a}, {}, false);
  TlsClientHello h;
  ASSERT_EQ(parse_client_hello(body.data(), body.size(), h), TlsStatus::ok);
  EXPECT_FALSE(h.has_extensions);
  char text[64];
  format_ja3(h, text, sizeof text);
  EXPECT_STREQ(text, "769,47-53-10,,,");
  EXPECT_STREQ(h.ja3_md5, "7bc4acc37e8095387bed8c0b30a6081a");
}

TEST(TlsClientHello, ReadsSniAlpnAndVersions) {
  const Bytes body = spec_example_hello();
  TlsClientHello h;
  ASSERT_EQ(parse_client_hello(body.data(), body.size(), h), TlsStatus::ok);
  EXPECT_TRUE(h.has_sni);
  EXPECT_EQ(h.sni, "example.com");
  EXPECT_EQ(h.highest_version, 0x0304);
  AlpnList alpn(h.alpn);
  std::string_view p;
  ASSERT_TRUE(alpn.next(p));
  EXPECT_EQ(p, "h2");
  ASSERT_TRUE(alpn.next(p));
  EXPECT_EQ(p, "http/1.1");
  EXPECT_FALSE(alpn.next(p));
}

TEST(TlsClientHello, RejectsTruncatedExtension) {
  Bytes body = client_hello_body(0x0303, {0x1301}, {sni_ext("example.com"), {0x0017, {}}});
  body[body.size() - 1] = 0x05;  // the last extension claims 5 bytes but has none
  TlsClientHello h;
  EXPECT_EQ(parse_client_hello(body.data(), body.size(), h), TlsStatus::bad_hello);
  // Cut inside the fixed part, and an odd cipher list.
  EXPECT_EQ(parse_client_hello(body.data(), 30, h), TlsStatus::bad_hello);
  Bytes odd = client_hello_body(0x0303, {0x1301}, {});
  odd[2 + 32 + 1 + 32 + 1] = 3;  // cipher_suites length 3
  EXPECT_EQ(parse_client_hello(odd.data(), odd.size(), h), TlsStatus::bad_hello);
}

TEST(TlsClientHello, IgnoresMalformedSniContentsButKeepsFingerprints) {
  // server_name whose inner list length is wrong: JA3/JA4 still count the extension.
  const Bytes body = client_hello_body(0x0303, {0x1301}, {{0x0000, {0x00, 0x09, 0x00}}});
  TlsClientHello h;
  ASSERT_EQ(parse_client_hello(body.data(), body.size(), h), TlsStatus::ok);
  EXPECT_TRUE(h.has_sni);
  EXPECT_TRUE(h.sni.empty());
  char text[64];
  format_ja3(h, text, sizeof text);
  EXPECT_STREQ(text, "771,4865,0,,");
}

TEST(TlsServerHello, ComputesJa3sAndNegotiatedVersion) {
  const Bytes body = server_hello_body(0x0303, 0x1301,
                                       {{0x002b, {0x03, 0x04}}, {0x0033, {0x00, 0x1d, 0x00, 0x00}}});
  TlsServerHello h;
  ASSERT_EQ(parse_server_hello(body.data(), body.size(), h), TlsStatus::ok);
  EXPECT_EQ(h.selected_version, 0x0304);
  EXPECT_FALSE(h.hello_retry_request);
  char text[64];
  format_ja3s(h, text, sizeof text);
  EXPECT_STREQ(text, "771,4865,43-51");
  // MD5("771,4865,43-51"): also the JA3S tshark reports for zeek__tls13-ech.pcap.
  EXPECT_STREQ(h.ja3s_md5, "f4febc55ea12b31ae17cfb7e614afda8");
}

TEST(TlsServerHello, RecognisesHelloRetryRequestAndSelectedAlpn) {
  const Bytes body = server_hello_body(0x0303, 0x1302, {alpn_ext({"h2"})}, true);
  TlsServerHello h;
  ASSERT_EQ(parse_server_hello(body.data(), body.size(), h), TlsStatus::ok);
  EXPECT_TRUE(h.hello_retry_request);
  EXPECT_EQ(h.alpn, "h2");
  EXPECT_EQ(h.selected_version, 0x0303);
}

TEST(TlsServerHello, RejectsInconsistentLengths) {
  Bytes body = server_hello_body(0x0303, 0x1301, {{0x002b, {0x03, 0x04}}});
  body.push_back(0);  // trailing byte after the extensions block
  TlsServerHello h;
  EXPECT_EQ(parse_server_hello(body.data(), body.size(), h), TlsStatus::bad_hello);
  EXPECT_EQ(parse_server_hello(body.data(), 20, h), TlsStatus::bad_hello);
}

TEST(TlsGrease, MatchesExactlyTheRfc8701Values) {
  int count = 0;
  for (std::uint32_t v = 0; v <= 0xffff; ++v) count += is_grease(static_cast<std::uint16_t>(v));
  EXPECT_EQ(count, 16);
  EXPECT_TRUE(is_grease(0x0a0a));
  EXPECT_TRUE(is_grease(0xfafa));
  EXPECT_FALSE(is_grease(0x0a1a));
}

}  // namespace
}  // namespace outpost::capture::proto
