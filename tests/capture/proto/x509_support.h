#pragma once
// Test-only: DER builders for hand-made certificates (X.690, RFC 5280 §4.1), the facts of a
// certificate as comparable text, and the corpus fixture tests/data/proto/certificate_facts.tsv
// (written by certificate_facts.py next to it from tshark's certificates and Python's
// cryptography).

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "capture/proto/tls_handshake.h"
#include "capture/proto/x509_certificate.h"
#include "support/corpus.h"

namespace outpost::test::x509 {

namespace proto = capture::proto;
using Bytes = std::vector<std::uint8_t>;

// One element in DER: minimal length form, or the long form with `length_octets` octets (BER
// allows more octets than needed; DER does not, and readers in the wild accept them).
inline Bytes tlv(std::uint8_t tag, const Bytes& content, int length_octets = 0) {
  Bytes b{tag};
  const std::size_t n = content.size();
  if (length_octets == 0) length_octets = n < 0x80 ? 0 : n < 0x100 ? 1 : n < 0x10000 ? 2 : 3;
  if (length_octets == 0) {
    b.push_back(static_cast<std::uint8_t>(n));
  } else {
    b.push_back(static_cast<std::uint8_t>(0x80 | length_octets));
    for (int i = length_octets - 1; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(i >= 4 ? 0 : n >> (8 * i)));
  }
  b.insert(b.end(), content.begin(), content.end());
  return b;
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes b;
  for (const auto& p : parts) b.insert(b.end(), p.begin(), p.end());
  return b;
}
inline Bytes seq(std::initializer_list<Bytes> parts) { return tlv(0x30, cat(parts)); }
inline Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

// OBJECT IDENTIFIER contents (X.690 §8.19) of the attribute types used below.
inline const Bytes kCn = {0x55, 0x04, 0x03};
inline const Bytes kO = {0x55, 0x04, 0x0a};
inline const Bytes kOu = {0x55, 0x04, 0x0b};
inline const Bytes kC = {0x55, 0x04, 0x06};
inline const Bytes kL = {0x55, 0x04, 0x07};
inline const Bytes kSt = {0x55, 0x04, 0x08};
inline const Bytes kStreet = {0x55, 0x04, 0x09};
inline const Bytes kDc = {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19};
inline const Bytes kUid = {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01};
inline const Bytes kEmail = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01};  // 1.2.840.113549.1.9.1
inline const Bytes kSerialAttr = {0x55, 0x04, 0x05};                                  // 2.5.4.5

constexpr std::uint8_t kUtf8 = 0x0c, kPrintable = 0x13, kTeletex = 0x14, kIa5 = 0x16, kUtc = 0x17,
                       kGeneralized = 0x18, kUniversal = 0x1c, kBmp = 0x1e;

struct Attribute {
  Bytes type;
  std::uint8_t tag;
  Bytes value;
};
inline Bytes attribute(const Attribute& a) { return seq({tlv(0x06, a.type), tlv(a.tag, a.value)}); }
// RelativeDistinguishedName: a SET of one or more attributes.
inline Bytes rdn(const std::vector<Attribute>& attributes) {
  Bytes content;
  for (const auto& a : attributes) {
    const Bytes one = attribute(a);
    content.insert(content.end(), one.begin(), one.end());
  }
  return tlv(0x31, content);
}
// A Name of single-attribute RDNs, in encoded order.
inline Bytes name(const std::vector<Attribute>& rdns) {
  Bytes content;
  for (const auto& a : rdns) {
    const Bytes one = rdn({a});
    content.insert(content.end(), one.begin(), one.end());
  }
  return tlv(0x30, content);
}

struct Parts {
  bool version = true;  // v3 [0] field; false: a v1 certificate without it
  Bytes serial = {0x00, 0x88, 0xde, 0x2e};
  Bytes issuer = name({{kC, kPrintable, text("US")}, {kO, kPrintable, text("Example CA")}});
  Bytes not_before = tlv(kUtc, text("200102030405Z"));
  Bytes not_after = tlv(kGeneralized, text("20510607080910Z"));
  Bytes subject = name({{kCn, kUtf8, text("example.com")}});
  int length_octets = 0;  // of the Certificate, TBSCertificate, Validity headers (0: minimal)
};

// A certificate with the given head, an RSA-looking key and signature of filler bytes.
inline Bytes certificate(const Parts& p) {
  const Bytes sha256_rsa = seq({tlv(0x06, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b}), tlv(0x05, {})});
  const Bytes key = seq({seq({tlv(0x06, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01}), tlv(0x05, {})}),
                         tlv(0x03, Bytes(141, 0x5a))});
  Bytes tbs_content;
  for (const Bytes& part :
       {p.version ? tlv(0xa0, tlv(0x02, {0x02})) : Bytes{}, tlv(0x02, p.serial), sha256_rsa, p.issuer,
        tlv(0x30, cat({p.not_before, p.not_after}), p.length_octets), p.subject, key})
    tbs_content.insert(tbs_content.end(), part.begin(), part.end());
  const Bytes tbs = tlv(0x30, tbs_content, p.length_octets);
  return tlv(0x30, cat({tbs, sha256_rsa, tlv(0x03, Bytes(257, 0xa5))}), p.length_octets);
}

// ---- facts as text -------------------------------------------------------------------------

struct FactsText {
  std::string sha1, sha256, serial_number, subject, issuer;
  std::int64_t not_before = proto::kNoX509Time, not_after = proto::kNoX509Time;
  int self_signed = -1;
  proto::X509Status status = proto::X509Status::ok;

  friend bool operator==(const FactsText& a, const FactsText& b) {
    return a.sha1 == b.sha1 && a.sha256 == b.sha256 && a.serial_number == b.serial_number && a.subject == b.subject &&
           a.issuer == b.issuer && a.not_before == b.not_before && a.not_after == b.not_after &&
           a.self_signed == b.self_signed && a.status == b.status;
  }
  friend std::ostream& operator<<(std::ostream& os, const FactsText& f) {
    return os << "{sha1 " << f.sha1 << " sha256 " << f.sha256 << " serial '" << f.serial_number << "' subject '"
              << f.subject << "' issuer '" << f.issuer << "' not_before " << f.not_before << " not_after "
              << f.not_after << " self_signed " << f.self_signed << " status " << proto::x509_status_name(f.status)
              << "}";
  }
};

inline std::string name_text(proto::ByteView name) {
  const proto::X509NameText t = proto::format_x509_name(name, nullptr, 0);
  if (!t.ok) return "<not a Name>";
  std::string s(t.length + 1, '\0');
  proto::format_x509_name(name, s.data(), s.size());
  s.resize(t.length);
  return s;
}

inline std::string serial_text(proto::ByteView serial) {
  std::string s(proto::format_x509_serial(serial, nullptr, 0) + 1, '\0');
  s.resize(proto::format_x509_serial(serial, s.data(), s.size()));
  return s;
}

inline FactsText facts_text(const proto::X509Facts& f, const char* sha1_hex = "", const char* sha256_hex = "") {
  FactsText t;
  t.sha1 = sha1_hex;
  t.sha256 = sha256_hex;
  t.serial_number = serial_text(f.serial);
  if (f.subject.len != 0) t.subject = name_text(f.subject);
  if (f.issuer.len != 0) t.issuer = name_text(f.issuer);
  t.not_before = f.not_before;
  t.not_after = f.not_after;
  t.self_signed = f.self_signed;
  t.status = f.status;
  return t;
}

inline FactsText facts_text(const proto::TlsCertificate& c) { return facts_text(c.x509, c.sha1_hex, c.sha256_hex); }

// Feeds `der` to a reader in the given pieces (their lengths; the rest in one last piece).
inline FactsText read_certificate(const Bytes& der, const std::vector<std::size_t>& pieces = {},
                                  std::size_t store_bytes = proto::CertificateReader::kStoreBytes) {
  proto::CertificateReader reader;
  std::vector<std::uint8_t> store(store_bytes);
  reader.start(static_cast<std::uint32_t>(der.size()), store.data(), store.size());
  std::size_t at = 0;
  for (std::size_t n : pieces) {
    reader.update(der.data() + at, n);
    at += n;
  }
  reader.update(der.data() + at, der.size() - at);
  std::uint8_t sha1[proto::kSha1Bytes], sha256[proto::kSha256Bytes];
  proto::X509Facts facts;
  reader.finish(sha1, sha256, facts);
  char sha1_hex[2 * proto::kSha1Bytes + 1], sha256_hex[2 * proto::kSha256Bytes + 1];
  proto::hex_lower(sha1, proto::kSha1Bytes, sha1_hex);
  proto::hex_lower(sha256, proto::kSha256Bytes, sha256_hex);
  return facts_text(facts, sha1_hex, sha256_hex);  // the views die with `store`: texts made here
}

// ---- the corpus fixture --------------------------------------------------------------------

// capture -> SHA-1 -> what tshark and cryptography say (status ok: every fact is known).
inline std::map<std::string, std::map<std::string, FactsText>> corpus_certificate_facts() {
  std::map<std::string, std::map<std::string, FactsText>> out;
  std::ifstream in(data_path("proto/certificate_facts.tsv"));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, '\t')) f.push_back(field);
    if (f.size() != 9) continue;
    FactsText t;
    t.sha1 = f[1];
    t.sha256 = f[2];
    t.serial_number = f[3];
    t.not_before = std::stoll(f[4]);
    t.not_after = std::stoll(f[5]);
    t.self_signed = std::stoi(f[6]);
    t.subject = f[7];
    t.issuer = f[8];
    out[f[0]][t.sha1] = t;
  }
  return out;
}

}  // namespace outpost::test::x509
