#pragma once
// X.509 certificates (RFC 5280 §4.1) read while their DER bytes pass, the way TLS and DTLS
// Certificate messages deliver them: in pieces cut by TCP segments, records and fragments, and
// never buffered whole. CertificateReader hashes every byte (SHA-1 and SHA-256) and walks the
// head of the TBSCertificate, keeping only what the facts need:
//
//   Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
//   TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber INTEGER,
//                                 signature AlgorithmIdentifier, issuer Name,
//                                 validity SEQUENCE { notBefore Time, notAfter Time },
//                                 subject Name, ... }
//
// The serialNumber's content octets, the issuer and subject Names (whole DER TLVs) and the two
// times go into a small store the caller lends for the certificate; the version and the
// signature algorithm are skipped as they pass, and nothing after the subject is read. Every
// length is checked against the element that contains it, the outermost against the length the
// TLS layer gave, so no length from the wire is trusted. Malformed DER ends the walk (the
// facts read before stay; the digests are always complete).
//
// The pure functions below turn the kept bytes into text: the serial as hex pairs, Names as
// RFC 4514 strings, times as microseconds since the epoch. No allocation, no exceptions.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "capture/proto/byte_view.h"
#include "capture/proto/digest.h"
#include "rules/observation.h"

namespace outpost::capture::proto {

// Fixed width, one name table (x509_status_name).
enum class X509Status : std::uint8_t {
  ok = 0,
  malformed,  // not the DER of RFC 5280 §4.1 (tag, length, time or Name): the facts read before it
              // are reported, the rest is unknown
  too_long,   // a field exceeded what the reader keeps (a serial over kMaxSerialOctets, fields
              // over the store): that field is unknown, the others are reported
  count_
};
inline constexpr std::size_t kX509StatusCount = static_cast<std::size_t>(X509Status::count_);
std::string_view x509_status_name(X509Status s) noexcept;

inline constexpr rules::TimeUs kNoX509Time = rules::kNoFactTime;

// What one certificate says about itself. The views point into the store lent to the reader and
// are valid as long as the store is (for TLS / DTLS: during the visitor's callback).
struct X509Facts {
  X509Status status = X509Status::ok;
  ByteView serial;   // serialNumber INTEGER content octets as encoded (RFC 5280 §4.1.2.2)
  ByteView issuer;   // issuer Name, the whole DER TLV (§4.1.2.4); empty when unknown
  ByteView subject;  // subject Name (§4.1.2.6)
  rules::TimeUs not_before = kNoX509Time;  // §4.1.2.5, microseconds since the epoch (UTC)
  rules::TimeUs not_after = kNoX509Time;
  // 1 when issuer and subject are the same DER bytes (a self-issued certificate, RFC 5280
  // §3.2; STIX's is_self_signed), 0 when they differ, -1 when either is unknown.
  std::int8_t self_signed = -1;
};

class CertificateReader {
 public:
  // Serial, issuer, both times and subject of every real certificate fit easily (the corpus'
  // largest take ~400 bytes); a longer head is reported as far as it fits (too_long).
  static constexpr std::size_t kStoreBytes = 2048;
  // RFC 5280 §4.1.2.2: conforming serials have at most 20 octets; non-conforming ones up to
  // this are still reported.
  static constexpr std::size_t kMaxSerialOctets = 64;

  CertificateReader() noexcept = default;
  CertificateReader(const CertificateReader&) = delete;
  CertificateReader& operator=(const CertificateReader&) = delete;

  // A certificate of der_length bytes begins. `store` (capacity bytes; nullptr for digests
  // only) is lent until the facts of finish() are no longer used. Without `facts` only the
  // SHA-1 is computed (no DER walk, no SHA-256): what an agent needs when no indicator asks
  // for more than a certificate's SHA-1.
  void start(std::uint32_t der_length, std::uint8_t* store, std::size_t capacity, bool facts = true) noexcept;
  // The next bytes of the DER, in order; bytes past der_length are hashed but not walked.
  void update(const std::uint8_t* data, std::size_t len) noexcept;
  // After the last byte: both digests and the facts. The digests restart for the next one.
  void finish(std::uint8_t sha1[kSha1Bytes], std::uint8_t sha256[kSha256Bytes], X509Facts& facts) noexcept;

 private:
  // The element of the TBSCertificate expected next (RFC 5280 §4.1.1.1, §4.1.2).
  enum class Step : std::uint8_t {
    certificate, tbs, version_or_serial, serial, signature, issuer, validity, not_before, not_after,
    subject, done
  };
  struct Kept {  // a field's place in the store, once all of it has passed
    std::uint32_t offset = 0, length = 0;
    bool present = false;
  };

  std::uint32_t parent_end() const noexcept;
  void header_complete() noexcept;
  void begin_content(std::uint32_t length, Kept* keep, bool with_header) noexcept;
  void element_complete() noexcept;
  void fail() noexcept;
  ByteView view(const Kept& k) const noexcept;

  Sha1Stream sha1_;
  Sha256Stream sha256_;
  bool facts_ = true;

  std::uint8_t* store_ = nullptr;
  std::uint32_t capacity_ = 0, used_ = 0;

  std::uint32_t der_length_ = 0;
  std::uint32_t offset_ = 0;         // DER bytes walked
  std::uint32_t certificate_end_ = 0, tbs_end_ = 0, validity_end_ = 0;
  std::uint32_t content_left_ = 0;   // of the element being skipped or kept
  Kept* keeping_ = nullptr;          // the field whose content is being stored
  std::uint32_t keeping_from_ = 0;
  Step step_ = Step::done;
  X509Status status_ = X509Status::ok;
  // Identifier and length octets of the element being read (X.690 §8.1.2-3): one tag octet
  // (no TBS element up to the subject has a high tag number) and up to 4 length octets.
  std::uint8_t header_[6] = {};
  std::uint8_t header_have_ = 0, header_need_ = 0;
  std::uint8_t not_before_tag_ = 0, not_after_tag_ = 0;
  Kept serial_, issuer_, not_before_, not_after_, subject_;
};

// ---- text of the facts ----------------------------------------------------------------------

// Longest texts the functions below can produce for what a CertificateReader keeps: 3 characters
// per serial octet, and at most 4 per DER byte of a Name (an OID arc byte gives at most ".127",
// a value byte at most "\1f"; see x509_certificate.cpp).
inline constexpr std::size_t kMaxX509SerialText = 3 * CertificateReader::kMaxSerialOctets;
inline constexpr std::size_t kMaxX509NameText = 4 * CertificateReader::kStoreBytes;

// The serial as lowercase hex octets joined by ':' ("0c:48:73"), without the 00 octet DER puts
// before a positive number whose first octet has its top bit set (X.690 §8.3.2), as OpenSSL and
// indicator feeds print serials. A negative (non-conforming) serial is written as encoded.
// snprintf-like: writes at most cap - 1 characters and a NUL (when cap > 0); returns the length
// of the whole text.
std::size_t format_x509_serial(ByteView serial, char* out, std::size_t cap) noexcept;

// The RFC 4514 string of a DER Name (the whole TLV): RDNs last to first joined by ',', the
// attributes of a multi-valued RDN in encoded order joined by '+'. Types CN, L, ST, O, OU, C,
// STREET, DC and UID by their short names (RFC 4514 §3), every other type — emailAddress too
// (1.2.840.113549.1.9.1) — in dotted-decimal form (§2.3). Values: UTF8String, PrintableString,
// IA5String, VisibleString, NumericString as UTF-8; TeletexString as Latin-1; BMPString as
// UTF-16 (UCS-2 plus surrogate pairs); UniversalString as UCS-4; escaped per §2.4 (a leading
// ' ' or '#', a trailing ' ', any of `"+,;<>\`, and NUL and the other control characters as
// \xx). A value of another type, or one that is not valid in its own encoding, is written as
// '#' and the hex of its whole BER encoding (§2.4). Unlike §2.4's first rule, values of
// dotted-decimal types are written as text too (emailAddress=user@example.com becomes
// "1.2.840.113549.1.9.1=user@example.com"), as Python's cryptography does: indicators quote
// the readable form. snprintf-like output (see above); ok is false — and nothing is to be used
// — when the bytes are not a DER Name.
struct X509NameText {
  bool ok = false;
  std::size_t length = 0;  // of the whole text, without the NUL
};
X509NameText format_x509_name(ByteView name, char* out, std::size_t cap) noexcept;

// A Time (RFC 5280 §4.1.2.5) as microseconds since the epoch. tag 0x17 UTCTime
// "YYMMDDHHMM[SS]" with YY >= 50 meaning 19YY and YY < 50 meaning 20YY (§4.1.2.5.1);
// tag 0x18 GeneralizedTime "YYYYMMDDHH[MM[SS[.fff]]]"; either followed by 'Z' or a "+hhmm" /
// "-hhmm" offset (RFC 5280 requires seconds and 'Z'; the looser X.680 forms found in old
// certificates are read too). Fractions beyond microseconds are truncated. False (out
// untouched) on any other form or an impossible date.
bool parse_x509_time(std::uint8_t tag, ByteView text, rules::TimeUs& out) noexcept;

}  // namespace outpost::capture::proto
