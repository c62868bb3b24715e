#pragma once
// Fuzz-target helpers for certificate facts (capture/proto/x509_certificate.h): touch every
// byte a TlsCertificate reports and abort() when a documented contract is broken.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "capture/proto/tls_handshake.h"
#include "capture/proto/x509_certificate.h"

namespace outpost::fuzz {

namespace proto = capture::proto;

// Valid UTF-8 without control characters: what RFC 4514 text and serials must be to go into
// JSON and logs as they are.
inline void check_text(const char* s, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    const auto b = static_cast<std::uint8_t>(s[i]);
    if (b < 0x20 || b == 0x7f) std::abort();
    std::size_t more = b < 0x80 ? 0 : (b & 0xe0) == 0xc0 ? 1 : (b & 0xf0) == 0xe0 ? 2 : (b & 0xf8) == 0xf0 ? 3 : 9;
    if (more == 9 || (b >= 0x80 && b < 0xc2) || b > 0xf4 || n - i - 1 < more) std::abort();
    for (std::size_t k = 1; k <= more; ++k)
      if ((static_cast<std::uint8_t>(s[i + k]) & 0xc0) != 0x80) std::abort();
    i += more + 1;
  }
}

// The text of a Name through a buffer of exactly its size and through a small one; "" when
// it is no Name.
inline std::string name_text(proto::ByteView name) {
  const proto::X509NameText t = proto::format_x509_name(name, nullptr, 0);
  if (!t.ok) return "";
  if (t.length > 4 * name.len) std::abort();  // kMaxX509NameText's reasoning
  std::vector<char> exact(t.length + 1, '\x55');
  const proto::X509NameText again = proto::format_x509_name(name, exact.data(), exact.size());
  if (!again.ok || again.length != t.length || exact[t.length] != '\0' || std::strlen(exact.data()) != t.length)
    std::abort();
  check_text(exact.data(), t.length);
  char small[7];
  proto::format_x509_name(name, small, sizeof small);
  if (std::strncmp(small, exact.data(), sizeof small - 1) != 0) std::abort();
  return std::string(exact.data(), t.length);
}

inline std::string serial_text(proto::ByteView serial) {
  const std::size_t n = proto::format_x509_serial(serial, nullptr, 0);
  if (n > 3 * serial.len) std::abort();
  std::vector<char> exact(n + 1);
  if (proto::format_x509_serial(serial, exact.data(), exact.size()) != n || std::strlen(exact.data()) != n)
    std::abort();
  check_text(exact.data(), n);
  return std::string(exact.data(), n);
}

inline bool is_hex(const char* s, std::size_t n) {
  if (std::strlen(s) != n) return false;
  for (std::size_t i = 0; i < n; ++i)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
  return true;
}

// Year 0 to 9999 (the reach of both Time forms, offsets included) in microseconds.
inline void check_time(rules::TimeUs t) {
  constexpr rules::TimeUs kLow = -62167219200LL * 1000000 - 86400LL * 1000000;
  constexpr rules::TimeUs kHigh = 253402300800LL * 1000000 + 86400LL * 1000000;
  if (t != proto::kNoX509Time && (t < kLow || t > kHigh)) std::abort();
}

// Every fact as text, with the contracts checked; equal for equal facts.
inline std::string facts_text(const proto::X509Facts& f) {
  if (proto::x509_status_name(f.status) == "unknown") std::abort();
  if (f.serial.len > proto::CertificateReader::kMaxSerialOctets) std::abort();
  if (f.serial.len + f.issuer.len + f.subject.len > proto::CertificateReader::kStoreBytes) std::abort();
  std::size_t touched = 0;
  for (const proto::ByteView* v : {&f.serial, &f.issuer, &f.subject})
    for (std::size_t i = 0; i < v->len; ++i) touched += v->data[i];
  const std::string issuer = name_text(f.issuer), subject = name_text(f.subject);
  // Names are reported only when they are Names.
  if ((f.issuer.len != 0 && !proto::format_x509_name(f.issuer, nullptr, 0).ok) ||
      (f.subject.len != 0 && !proto::format_x509_name(f.subject, nullptr, 0).ok))
    std::abort();
  const bool both = f.issuer.len != 0 && f.subject.len != 0;
  const bool same = both && f.issuer.len == f.subject.len && std::memcmp(f.issuer.data, f.subject.data, f.issuer.len) == 0;
  if (f.self_signed != (both ? (same ? 1 : 0) : -1)) std::abort();
  check_time(f.not_before);
  check_time(f.not_after);
  if (f.status == proto::X509Status::ok &&
      (f.serial.len == 0 || f.issuer.len == 0 || f.subject.len == 0 || f.not_before == proto::kNoX509Time ||
       f.not_after == proto::kNoX509Time))
    std::abort();
  return std::to_string(static_cast<int>(f.status)) + "|" + serial_text(f.serial) + "|" + issuer + "|" + subject +
         "|" + std::to_string(f.not_before) + "|" + std::to_string(f.not_after) + "|" +
         std::to_string(f.self_signed) + "|" + std::to_string(touched & 1);
}

inline void check_certificate(const proto::TlsCertificate& c) {
  if (!is_hex(c.sha1_hex, 40) || !is_hex(c.sha256_hex, 64) || c.der_length == 0) std::abort();
  facts_text(c.x509);
}

// The bytes as one DER certificate, read whole and cut in two at `cut`: the same facts and
// digests. The store is a heap block of exactly kStoreBytes, so a write or read past it is an
// ASan report.
inline void check_reader_split(const std::uint8_t* der, std::size_t len, std::size_t cut) {
  if (len > 0xffffff) return;  // a TLS ASN.1Cert length is 24 bits
  if (cut > len) cut = len;
  std::string facts[2];
  std::uint8_t sha1[2][proto::kSha1Bytes], sha256[2][proto::kSha256Bytes];
  for (int run = 0; run < 2; ++run) {
    auto* store = static_cast<std::uint8_t*>(std::malloc(proto::CertificateReader::kStoreBytes));
    proto::CertificateReader reader;
    reader.start(static_cast<std::uint32_t>(len), store, proto::CertificateReader::kStoreBytes);
    if (run == 0) {
      reader.update(der, len);
    } else {
      reader.update(der, cut);
      reader.update(der + cut, len - cut);
    }
    proto::X509Facts f;
    reader.finish(sha1[run], sha256[run], f);
    facts[run] = facts_text(f);
    std::free(store);
  }
  if (facts[0] != facts[1] || std::memcmp(sha1[0], sha1[1], sizeof sha1[0]) != 0 ||
      std::memcmp(sha256[0], sha256[1], sizeof sha256[0]) != 0)
    std::abort();
}

// The bytes as a Name and as both Time forms.
inline void check_text_functions(const std::uint8_t* p, std::size_t len) {
  name_text(proto::ByteView{p, len});
  serial_text(proto::ByteView{p, len < 64 ? len : 64});
  for (std::uint8_t tag : {std::uint8_t{0x17}, std::uint8_t{0x18}}) {
    rules::TimeUs t = proto::kNoX509Time;
    if (proto::parse_x509_time(tag, proto::ByteView{p, len}, t)) check_time(t);
  }
}

}  // namespace outpost::fuzz
