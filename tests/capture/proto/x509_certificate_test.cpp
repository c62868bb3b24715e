// CertificateReader and the text of certificate facts: hand-built DER for every edge of
// RFC 5280 §4.1 / X.690 / RFC 4514 the reader meets. Real certificates: tls_handshake_test.cpp
// and dtls_handshake_test.cpp (TlsCertificateCorpus.*, DtlsCorpus.*).

#include "capture/proto/x509_certificate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "x509_support.h"

namespace outpost::capture::proto {
namespace {

using namespace test::x509;

constexpr rules::TimeUs kSecond = 1000000;

ByteView view(const Bytes& b) { return ByteView{b.data(), b.size()}; }

std::string name_of(const Bytes& der) { return name_text(view(der)); }

rules::TimeUs time_of(std::uint8_t tag, const std::string& s) {
  const Bytes b = text(s);
  rules::TimeUs t = kNoX509Time;
  return parse_x509_time(tag, view(b), t) ? t : kNoX509Time;
}

std::string sha256_hex(const Bytes& b) {
  std::uint8_t d[kSha256Bytes];
  sha256(b.data(), b.size(), d);
  char hex[2 * kSha256Bytes + 1];
  hex_lower(d, kSha256Bytes, hex);
  return hex;
}

// ---- CertificateReader ----------------------------------------------------------------------

TEST(CertificateReader, ReadsSerialNamesAndValidityOfAWellFormedCertificate) {
  const Bytes der = certificate({});
  const FactsText f = read_certificate(der);
  EXPECT_EQ(f.status, X509Status::ok);
  EXPECT_EQ(f.serial_number, "88:de:2e");
  EXPECT_EQ(f.issuer, "O=Example CA,C=US");
  EXPECT_EQ(f.subject, "CN=example.com");
  EXPECT_EQ(f.not_before, 1577934245 * kSecond);  // 2020-01-02T03:04:05Z
  EXPECT_EQ(f.not_after, 2569738150 * kSecond);   // 2051-06-07T08:09:10Z
  EXPECT_EQ(f.self_signed, 0);
  EXPECT_EQ(f.sha256, sha256_hex(der));
}

TEST(CertificateReader, GivesTheSameFactsWhereverItsBytesAreCut) {
  const Bytes der = certificate({});
  const FactsText whole = read_certificate(der);
  for (std::size_t cut = 0; cut <= der.size(); ++cut) EXPECT_EQ(read_certificate(der, {cut}), whole) << cut;
  EXPECT_EQ(read_certificate(der, std::vector<std::size_t>(der.size(), 1)), whole);  // a byte at a time
}

TEST(CertificateReader, ReadsLongFormLengthsEvenWithMoreOctetsThanNeeded) {
  Parts p;
  p.length_octets = 4;  // Certificate, TBSCertificate and Validity: 0x84 + 4 length octets
  p.subject = tlv(0x30, rdn({{kCn, kUtf8, text(std::string(300, 'a'))}}), 2);
  const Bytes der = certificate(p);
  const FactsText f = read_certificate(der);
  EXPECT_EQ(f.status, X509Status::ok);
  EXPECT_EQ(f.subject, "CN=" + std::string(300, 'a'));
  EXPECT_EQ(f.not_after, 2569738150 * kSecond);
  for (std::size_t cut = 0; cut <= 12; ++cut) EXPECT_EQ(read_certificate(der, {cut}), f) << cut;
}

TEST(CertificateReader, ReadsAVersion1CertificateWithoutTheVersionField) {
  Parts p;
  p.version = false;
  const FactsText f = read_certificate(certificate(p));
  EXPECT_EQ(f.status, X509Status::ok);
  EXPECT_EQ(f.serial_number, "88:de:2e");
  EXPECT_EQ(f.subject, "CN=example.com");
}

TEST(CertificateReader, CallsACertificateWhoseIssuerIsItsSubjectSelfSigned) {
  Parts p;
  p.subject = p.issuer;
  EXPECT_EQ(read_certificate(certificate(p)).self_signed, 1);
  // The same text from different bytes (PrintableString vs UTF8String) is another Name.
  p.subject = name({{kC, kUtf8, text("US")}, {kO, kPrintable, text("Example CA")}});
  const FactsText f = read_certificate(certificate(p));
  EXPECT_EQ(f.subject, f.issuer);
  EXPECT_EQ(f.self_signed, 0);
}

TEST(CertificateReader, CountsALengthPastItsParentAsMalformedAndStillHashesEveryByte) {
  Bytes der = certificate({});
  // notBefore claims 0x30 bytes, past the end of the Validity that holds it.
  const Bytes not_before = tlv(kUtc, text("200102030405Z"));
  const auto at = std::search(der.begin(), der.end(), not_before.begin(), not_before.end()) - der.begin();
  der[static_cast<std::size_t>(at) + 1] = 0x30;
  const FactsText f = read_certificate(der);
  EXPECT_EQ(f.status, X509Status::malformed);
  EXPECT_EQ(f.serial_number, "88:de:2e");  // read before the bad element
  EXPECT_EQ(f.issuer, "O=Example CA,C=US");
  EXPECT_EQ(f.not_before, kNoX509Time);
  EXPECT_EQ(f.not_after, kNoX509Time);
  EXPECT_EQ(f.subject, "");
  EXPECT_EQ(f.self_signed, -1);
  EXPECT_EQ(f.sha256, sha256_hex(der));
}

TEST(CertificateReader, ReportsANameWithABadInnerLengthAsUnknownAndReadsOn) {
  Parts p;
  Bytes der = certificate(p);
  // The issuer's first RDN claims 0x7f bytes: the Name's own length still delimits it.
  const auto at = std::search(der.begin(), der.end(), p.issuer.begin(), p.issuer.end()) - der.begin();
  der[static_cast<std::size_t>(at) + 3] = 0x7f;
  const FactsText f = read_certificate(der);
  EXPECT_EQ(f.status, X509Status::malformed);
  EXPECT_EQ(f.issuer, "");
  EXPECT_EQ(f.subject, "CN=example.com");
  EXPECT_EQ(f.not_before, 1577934245 * kSecond);
  EXPECT_EQ(f.self_signed, -1);
}

TEST(CertificateReader, CountsALengthPastTheTlsCertificateAsMalformed) {
  const Bytes der = certificate({});
  for (std::size_t keep : {std::size_t{1}, std::size_t{5}, std::size_t{40}, der.size() - 1}) {
    const Bytes cut(der.begin(), der.begin() + static_cast<std::ptrdiff_t>(keep));  // the ASN.1Cert is shorter
    const FactsText f = read_certificate(cut);
    EXPECT_EQ(f.status, X509Status::malformed) << keep;
    EXPECT_EQ(f.serial_number, "") << keep;
    EXPECT_EQ(f.sha256, sha256_hex(cut));
  }
  Bytes longer = der;
  longer.push_back(0);  // a byte after the Certificate inside its ASN.1Cert
  EXPECT_EQ(read_certificate(longer).status, X509Status::malformed);
}

TEST(CertificateReader, KeepsTheFactsReadBeforeAMalformedTime) {
  Parts p;
  p.not_before = tlv(kUtc, text("201302030405Z"));  // month 13
  const FactsText f = read_certificate(certificate(p));
  EXPECT_EQ(f.status, X509Status::malformed);
  EXPECT_EQ(f.not_before, kNoX509Time);
  EXPECT_EQ(f.not_after, 2569738150 * kSecond);
  EXPECT_EQ(f.subject, "CN=example.com");
}

TEST(CertificateReader, CountsAMissingOrExtraValidityFieldAsMalformed) {
  Parts p;
  p.not_after = {};  // Validity with only notBefore
  EXPECT_EQ(read_certificate(certificate(p)).status, X509Status::malformed);
  p = Parts{};
  p.not_after = cat({p.not_after, tlv(kUtc, text("200102030405Z"))});
  EXPECT_EQ(read_certificate(certificate(p)).status, X509Status::malformed);
  p = Parts{};
  p.not_before = tlv(0x04, text("200102030405Z"));  // an OCTET STRING is no Time
  EXPECT_EQ(read_certificate(certificate(p)).status, X509Status::malformed);
}

TEST(CertificateReader, RejectsIndefiniteLengthsHighTagNumbersAndHugeLengths) {
  const Bytes der = certificate({});
  Bytes indefinite = der;
  indefinite[1] = 0x80;
  EXPECT_EQ(read_certificate(indefinite).status, X509Status::malformed);
  Bytes high_tag = der;
  high_tag[0] = 0x3f;
  EXPECT_EQ(read_certificate(high_tag).status, X509Status::malformed);
  Bytes five_octets = {0x30, 0x85, 0x00, 0x00, 0x00, 0x01, 0x00};
  EXPECT_EQ(read_certificate(five_octets).status, X509Status::malformed);
  Bytes four_gigabytes = {0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30};  // no 32-bit wrap-around
  EXPECT_EQ(read_certificate(four_gigabytes).status, X509Status::malformed);
}

TEST(CertificateReader, HashesBytesThatAreNoCertificateAndReportsNoFacts) {
  const Bytes junk(1000, 0xa1);
  const FactsText f = read_certificate(junk);
  EXPECT_EQ(f.status, X509Status::malformed);
  EXPECT_EQ(f.serial_number, "");
  EXPECT_EQ(f.subject, "");
  EXPECT_EQ(f.sha1, "7d380d123e66d5f9cfb52feb92235f9f6c53dabc");
  EXPECT_EQ(f.sha256, "433d2bbc4cc45d59ca2c51472dd81112b0244050a189d337ef65f1322b110237");
}

TEST(CertificateReader, ReportsWhatFitsWhenTheHeadIsLongerThanItsStore) {
  Parts p;
  p.subject = name({{kCn, kUtf8, text(std::string(CertificateReader::kStoreBytes, 'x'))}});
  const Bytes der = certificate(p);
  const FactsText f = read_certificate(der);
  EXPECT_EQ(f.status, X509Status::too_long);
  EXPECT_EQ(f.serial_number, "88:de:2e");
  EXPECT_EQ(f.issuer, "O=Example CA,C=US");
  EXPECT_EQ(f.not_after, 2569738150 * kSecond);
  EXPECT_EQ(f.subject, "");
  EXPECT_EQ(f.self_signed, -1);
  EXPECT_EQ(f.sha256, sha256_hex(der));
  // Without a store: the digests only.
  const FactsText none = read_certificate(certificate({}), {}, 0);
  EXPECT_EQ(none.status, X509Status::too_long);
  EXPECT_EQ(none.serial_number, "");
  EXPECT_EQ(none.not_before, kNoX509Time);
  EXPECT_EQ(none.sha256, sha256_hex(certificate({})));
}

TEST(CertificateReader, SkipsASerialLongerThanItKeeps) {
  Parts p;
  p.serial = Bytes(CertificateReader::kMaxSerialOctets + 1, 0x11);
  const FactsText f = read_certificate(certificate(p));
  EXPECT_EQ(f.status, X509Status::too_long);
  EXPECT_EQ(f.serial_number, "");
  EXPECT_EQ(f.subject, "CN=example.com");
  p.serial = Bytes(CertificateReader::kMaxSerialOctets, 0x11);
  EXPECT_EQ(read_certificate(certificate(p)).status, X509Status::ok);
  p.serial = {};  // an INTEGER needs a content octet (X.690 §8.3.1)
  EXPECT_EQ(read_certificate(certificate(p)).status, X509Status::malformed);
}

// ---- serial ---------------------------------------------------------------------------------

TEST(X509Serial, IsLowercaseHexPairsWithoutTheOctetDerAddsForTheSign) {
  EXPECT_EQ(serial_text(view({0x00, 0x88, 0xde})), "88:de");  // positive, top bit set
  EXPECT_EQ(serial_text(view({0x0c, 0x48, 0x73})), "0c:48:73");
  EXPECT_EQ(serial_text(view({0x00})), "00");                // zero (non-conforming, seen in the corpus)
  EXPECT_EQ(serial_text(view({0x00, 0x7f})), "00:7f");      // not DER, written as encoded
  EXPECT_EQ(serial_text(view({0xff, 0x01})), "ff:01");      // negative: as encoded
  EXPECT_EQ(serial_text(view({})), "");
}

TEST(X509Serial, TruncatesLikeSnprintf) {
  const Bytes s = {0x01, 0x02, 0x03};
  char buf[5];
  EXPECT_EQ(format_x509_serial(view(s), buf, sizeof buf), 8u);
  EXPECT_STREQ(buf, "01:0");
  EXPECT_EQ(format_x509_serial(view(s), nullptr, 0), 8u);
}

// ---- Name -----------------------------------------------------------------------------------

TEST(X509Name, ListsRdnsLastFirstUnderTheirShortNames) {
  EXPECT_EQ(name_of(name({{kDc, kIa5, text("com")},
                          {kDc, kIa5, text("example")},
                          {kC, kPrintable, text("US")},
                          {kSt, kUtf8, text("California")},
                          {kL, kUtf8, text("San Francisco")},
                          {kStreet, kUtf8, text("1 Main St")},
                          {kO, kUtf8, text("Example")},
                          {kOu, kUtf8, text("Ops")},
                          {kUid, kUtf8, text("jdoe")},
                          {kCn, kUtf8, text("www.example.com")}})),
            "CN=www.example.com,UID=jdoe,OU=Ops,O=Example,STREET=1 Main St,L=San Francisco,ST=California,C=US,"
            "DC=example,DC=com");
}

TEST(X509Name, WritesEmailAddressAndOtherTypesAsDottedOids) {
  EXPECT_EQ(name_of(name({{kSerialAttr, kPrintable, text("12345")},
                          {kEmail, kIa5, text("user@example.com")},
                          {{0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x3c, 0x02, 0x01, 0x03}, kPrintable, text("US")}})),
            "1.3.6.1.4.1.311.60.2.1.3=US,1.2.840.113549.1.9.1=user@example.com,2.5.4.5=12345");
  // The first sub-identifier carries two arcs (X.690 §8.19.4): 0.x, 1.x and 2.x past 39.
  EXPECT_EQ(name_of(name({{{0x27}, kUtf8, text("a")}, {{0x4f}, kUtf8, text("b")}, {{0x88, 0x37}, kUtf8, text("c")}})),
            "2.999=c,1.39=b,0.39=a");
  EXPECT_EQ(name_of(name({{{0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, kUtf8, text("max")}})),
            "2.9223372036854775728=max");  // 2^63 - 80
}

TEST(X509Name, JoinsTheAttributesOfAMultiValuedRdnWithPlusInEncodedOrder) {
  const Bytes multi = tlv(0x30, cat({rdn({{kC, kPrintable, text("US")}}),
                                     rdn({{kOu, kUtf8, text("Sales")}, {kCn, kUtf8, text("Jane")}})}));
  EXPECT_EQ(name_of(multi), "OU=Sales+CN=Jane,C=US");
}

TEST(X509Name, EscapesTheCharactersRfc4514Reserves) {
  EXPECT_EQ(name_of(name({{kO, kUtf8, text("Example, Inc.")}})), "O=Example\\, Inc.");
  EXPECT_EQ(name_of(name({{kCn, kUtf8, text("a+b\"c\\d<e>f;g=h")}})), "CN=a\\+b\\\"c\\\\d\\<e\\>f\\;g=h");
  EXPECT_EQ(name_of(name({{kCn, kUtf8, text("#1 in the middle # stays")}})), "CN=\\#1 in the middle # stays");
  EXPECT_EQ(name_of(name({{kCn, kUtf8, text(" padded ")}})), "CN=\\ padded\\ ");
  EXPECT_EQ(name_of(name({{kCn, kUtf8, text(" ")}})), "CN=\\ ");
  EXPECT_EQ(name_of(name({{kCn, kUtf8, {'a', 0x00, 'b', 0x0a, 0x7f}}})), "CN=a\\00b\\0a\\7f");
  EXPECT_EQ(name_of(name({{kCn, kUtf8, {}}})), "CN=");
}

TEST(X509Name, DecodesBmpStringFromUcs2AndSurrogatePairsToUtf8) {
  // "Zürich €" and U+1F600 (a surrogate pair).
  const Bytes bmp = {0x00, 'Z', 0x00, 0xfc, 0x00, 'r', 0x00, 'i', 0x00, 'c', 0x00, 'h',
                     0x00, ' ', 0x20, 0xac, 0xd8, 0x3d, 0xde, 0x00};
  EXPECT_EQ(name_of(name({{kL, kBmp, bmp}})), "L=Z\xc3\xbcrich \xe2\x82\xac\xf0\x9f\x98\x80");
  EXPECT_EQ(name_of(name({{kCn, kBmp, {0x00, ','}}})), "CN=\\,");
}

TEST(X509Name, ReadsTeletexStringAsLatin1) {
  EXPECT_EQ(name_of(name({{kO, kTeletex, {'M', 0xfc, 'n', 'c', 'h', 'e', 'n'}}})), "O=M\xc3\xbcnchen");
}

TEST(X509Name, DecodesUniversalStringFromUcs4) {
  EXPECT_EQ(name_of(name({{kCn, kUniversal, {0, 0, 0, 'h', 0, 0, 0x00, 0xe9, 0, 0x01, 0xf6, 0x00}}})),
            "CN=h\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(X509Name, WritesValuesThatDoNotDecodeAsTheHexOfTheirEncoding) {
  EXPECT_EQ(name_of(name({{kCn, kUtf8, {'a', 0xff}}})), "CN=#0c0261ff");            // invalid UTF-8
  EXPECT_EQ(name_of(name({{kCn, kUtf8, {0xc0, 0xaf}}})), "CN=#0c02c0af");           // overlong '/'
  EXPECT_EQ(name_of(name({{kCn, kUtf8, {0xed, 0xa0, 0x80}}})), "CN=#0c03eda080");   // a surrogate
  EXPECT_EQ(name_of(name({{kCn, kPrintable, {0xe9}}})), "CN=#1301e9");              // Latin-1 in PrintableString
  EXPECT_EQ(name_of(name({{kCn, kBmp, {0x00, 'a', 0x00}}})), "CN=#1e03006100");  // odd length
  EXPECT_EQ(name_of(name({{kCn, kBmp, {0xdc, 0x00}}})), "CN=#1e02dc00");            // lone low surrogate
  EXPECT_EQ(name_of(name({{kCn, kUniversal, {0x00, 0x11, 0x00, 0x00}}})), "CN=#1c0400110000");  // > U+10FFFF
  EXPECT_EQ(name_of(name({{kUid, 0x03, {0x00, 0xab}}})), "UID=#030200ab");          // BIT STRING
  EXPECT_EQ(name_of(name({{kCn, 0x30, tlv(0x0c, text("x"))}})), "CN=#3003" "0c0178");  // constructed
}

TEST(X509Name, GivesAnEmptyStringForANameWithoutRdns) {
  const Bytes empty = {0x30, 0x00};
  const X509NameText t = format_x509_name(view(empty), nullptr, 0);
  EXPECT_TRUE(t.ok);
  EXPECT_EQ(t.length, 0u);
}

TEST(X509Name, RefusesBytesThatAreNoName) {
  const Bytes good = name({{kCn, kUtf8, text("x")}});
  const auto refused = [](const Bytes& b) { return !format_x509_name(view(b), nullptr, 0).ok; };
  EXPECT_FALSE(refused(good));
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_TRUE(refused(trailing));
  EXPECT_TRUE(refused(Bytes(good.begin(), good.end() - 1)));                          // truncated
  EXPECT_TRUE(refused({0x31, 0x00}));                                                  // a SET is no Name
  EXPECT_TRUE(refused({0x30, 0x02, 0x31, 0x00}));                                      // empty RDN
  EXPECT_TRUE(refused(tlv(0x30, tlv(0x30, seq({tlv(0x06, kCn), tlv(0x0c, text("x"))})))));  // RDN not a SET
  EXPECT_TRUE(refused(tlv(0x30, tlv(0x31, seq({tlv(0x06, kCn), tlv(0x0c, text("x")), tlv(0x05, {})})))));
  EXPECT_TRUE(refused(tlv(0x30, tlv(0x31, seq({tlv(0x06, kCn)})))));                   // no value
  EXPECT_TRUE(refused(tlv(0x30, tlv(0x31, seq({tlv(0x04, kCn), tlv(0x0c, text("x"))})))));  // type no OID
  EXPECT_TRUE(refused(name({{{0x55, 0x84}, kUtf8, text("x")}})));                      // OID ends mid-arc
  EXPECT_TRUE(refused(name({{{0x55, 0x80, 0x03}, kUtf8, text("x")}})));                // non-minimal arc
  EXPECT_TRUE(refused(name({{{}, kUtf8, text("x")}})));                                // empty OID
  EXPECT_TRUE(refused(name({{{0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, kUtf8, text("x")}})));  // > 64 bits
  EXPECT_TRUE(refused({0x30, 0x80, 0x00, 0x00}));                                      // indefinite length
}

TEST(X509Name, NeedsAtMostFourCharactersPerDerByte) {
  // The costliest encodings: control characters (3 characters for 1 byte), one-octet arcs of
  // an OID (".127" for 1 byte), and short undecodable values (#, 2 per byte of the header).
  const std::vector<Bytes> names = {
      name({{kCn, kUtf8, Bytes(100, 0x01)}}),
      name({{{0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f}, kUtf8, {}}}),
      name({{{0x7f}, 0x05, {}}, {{0x7f}, 0x05, {}}}),
      name({{{0x7f}, kBmp, {0x00, 0x01}}}),
  };
  for (const Bytes& n : names) {
    const X509NameText t = format_x509_name(view(n), nullptr, 0);
    ASSERT_TRUE(t.ok);
    EXPECT_LE(t.length, 4 * n.size()) << name_of(n);
  }
}

TEST(X509Name, TruncatesLikeSnprintf) {
  const Bytes n = name({{kCn, kUtf8, text("example.com")}});
  char buf[6];
  const X509NameText t = format_x509_name(view(n), buf, sizeof buf);
  EXPECT_TRUE(t.ok);
  EXPECT_EQ(t.length, 14u);
  EXPECT_STREQ(buf, "CN=ex");
}

// ---- Time -----------------------------------------------------------------------------------

TEST(X509Time, ReadsUtcTimeYear49As2049AndYear50As1950) {
  EXPECT_EQ(time_of(kUtc, "491231235959Z"), 2524607999 * kSecond);
  EXPECT_EQ(time_of(kUtc, "500101000000Z"), -631152000 * kSecond);
  EXPECT_EQ(time_of(kUtc, "000101000000Z"), 946684800 * kSecond);
}

TEST(X509Time, ReadsGeneralizedTimeBeyond32BitTimeT) {
  EXPECT_EQ(time_of(kGeneralized, "20380119031408Z"), 2147483648 * kSecond);
  EXPECT_EQ(time_of(kGeneralized, "21060207062816Z"), 4294967296 * kSecond);
  EXPECT_EQ(time_of(kGeneralized, "99991231235959Z"), 253402300799 * kSecond);  // RFC 5280 "no expiry"
  EXPECT_EQ(time_of(kGeneralized, "19500101000000Z"), -631152000 * kSecond);
}

TEST(X509Time, ReadsFractionsOffsetsAndTheShorterX680Forms) {
  EXPECT_EQ(time_of(kGeneralized, "20240229120000.5Z"), 1709208000 * kSecond + 500000);
  EXPECT_EQ(time_of(kGeneralized, "20240229120000,123456789Z"), 1709208000 * kSecond + 123456);
  EXPECT_EQ(time_of(kGeneralized, "2024022912Z"), 1709208000 * kSecond);
  EXPECT_EQ(time_of(kGeneralized, "202402291200Z"), 1709208000 * kSecond);
  EXPECT_EQ(time_of(kUtc, "2402291200Z"), 1709208000 * kSecond);
  EXPECT_EQ(time_of(kUtc, "000101000000+0200"), 946684800 * kSecond - 7200 * kSecond);
  EXPECT_EQ(time_of(kGeneralized, "19990630220000-0000"), 930780000 * kSecond);
  EXPECT_EQ(time_of(kUtc, "991231235960Z"), 946684800 * kSecond);  // a leap second: the next second
}

TEST(X509Time, RefusesImpossibleDatesAndOtherForms) {
  for (const char* t : {"230229000000Z", "240230000000Z", "241301000000Z", "240001000000Z", "240100000000Z",
                        "240101240000Z", "240101006000Z", "240101000061Z", "240101000000", "240101000000z",
                        "2401010000Z0", "24010100000Z", "240101000000+2400", "240101000000+01", "", "Z",
                        "2401010000 0Z"})
    EXPECT_EQ(time_of(kUtc, t), kNoX509Time) << t;
  for (const char* t : {"21000229000000Z", "2024022912.5Z", "20240229120000.Z", "240229120000Z", "20240229"})
    EXPECT_EQ(time_of(kGeneralized, t), kNoX509Time) << t;
  EXPECT_EQ(time_of(kGeneralized, "20000229000000Z"), 951782400 * kSecond);  // 2000 is a leap year
  EXPECT_EQ(time_of(0x04, "240101000000Z"), kNoX509Time);
}

}  // namespace
}  // namespace outpost::capture::proto
