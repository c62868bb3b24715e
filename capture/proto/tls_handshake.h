#pragma once
// TlsHandshakeParser: streaming parser of the cleartext TLS handshake in ONE direction of a
// TCP connection (RFC 8446 §4-5, RFC 5246 §6-7). Feed it the direction's in-order payload
// bytes in whatever pieces TCP delivers them; it reassembles records (RFC 8446 §5.1) and
// handshake messages across records (a message may span records and a record may hold several
// messages), and reports through a TlsVisitor:
//
//  * ClientHello: SNI, ALPN, JA3 and JA4 (tls_hello.h);
//  * ServerHello (and HelloRetryRequest): JA3S, negotiated version;
//  * Certificate (TLS <= 1.2; TLS 1.3 certificates are encrypted): for EVERY certificate of
//    the chain, from the server and from the client alike, its SHA-1 and SHA-256 and what its
//    DER says (serial, issuer, subject, validity; x509_certificate.h), read as the bytes pass
//    (no certificate is buffered).
//
// Only hello messages are buffered, in a fixed kHelloBufferBytes buffer; a longer hello is
// skipped and counted (hellos_too_large()). While a Certificate message passes, the same
// buffer (free then: messages of one direction come one after the other) is the
// CertificateReader's store for the fields of the certificate at hand. done() turns true once nothing of interest can
// follow — after the Certificate message, at any later handshake message (ServerKeyExchange,
// ServerHelloDone, ClientKeyExchange, ...), at ChangeCipherSpec or application data, or after
// a TLS 1.3 ServerHello (the rest is encrypted) — and the caller can stop feeding. A
// HelloRetryRequest (RFC 8446 §4.1.4) keeps both directions going for the second hello: the
// server side notices by itself; the client side must be told (expect_second_client_hello(),
// done automatically by TlsConnection below).
//
// Out of scope (status values, no crash): SSLv2-compatible ClientHello (sslv2_hello), DTLS
// (UDP; its record header differs), streams picked up mid-connection (not_tls), TLS
// renegotiation (after ChangeCipherSpec everything is encrypted).
//
// Memory: about kHelloBufferBytes + 450 bytes per parser; the hot path never allocates. A
// flow table should attach parsers from a pool for handshakes in progress only and release
// them at done().

#include <cstddef>
#include <cstdint>

#include "capture/proto/digest.h"
#include "capture/proto/tcp_sequence.h"
#include "capture/proto/tls_hello.h"
#include "capture/proto/x509_certificate.h"

namespace outpost::capture::proto {

enum class TlsSide : std::uint8_t { unknown = 0, client, server };

struct TlsCertificate {
  TlsSide sender = TlsSide::unknown;  // from the hello seen in the same direction
  std::uint16_t index = 0;            // position in the chain, 0 = the sender's own certificate
  std::uint32_t der_length = 0;
  std::uint8_t sha1[kSha1Bytes] = {};
  char sha1_hex[2 * kSha1Bytes + 1] = {};
  std::uint8_t sha256[kSha256Bytes] = {};
  char sha256_hex[2 * kSha256Bytes + 1] = {};
  X509Facts x509;  // views into the parser's buffer: valid during on_certificate only
};

// Callbacks see references valid only during the call (views point into the parser's buffer).
class TlsVisitor {
 public:
  virtual ~TlsVisitor() = default;
  virtual void on_client_hello(const TlsClientHello& /*hello*/) {}
  virtual void on_server_hello(const TlsServerHello& /*hello*/) {}
  virtual void on_certificate(const TlsCertificate& /*certificate*/) {}
};

class TlsHandshakeParser {
 public:
  static constexpr std::size_t kHelloBufferBytes = 8192;
  // RFC 5246 §6.2.3: TLSCiphertext.length <= 2^14 + 2048 (the loosest bound of any version).
  static constexpr std::size_t kMaxRecordBytes = 16384 + 2048;

  TlsHandshakeParser() noexcept = default;
  TlsHandshakeParser(const TlsHandshakeParser&) = delete;
  TlsHandshakeParser& operator=(const TlsHandshakeParser&) = delete;

  // Consumes in-order bytes of this direction. Ignores input once done(). Returns status().
  TlsStatus feed(const std::uint8_t* data, std::size_t len, TlsVisitor& visitor) noexcept;

  bool done() const noexcept { return done_; }
  // ok, or the first problem met. hello_too_large does not stop the parser (certificates may
  // still follow); the others do.
  TlsStatus status() const noexcept { return status_; }
  TlsSide side() const noexcept { return side_; }

  // For the client direction after the server sent a HelloRetryRequest: the client's
  // ChangeCipherSpec (RFC 8446 Appendix D.4) does not end the handshake, a second ClientHello
  // follows.
  void expect_second_client_hello() noexcept { second_hello_expected_ = true; }
  // Whether certificates are read for their facts and SHA-256 (default) or hashed with SHA-1
  // only; kept across reset().
  void set_certificate_facts(bool on) noexcept { certificate_facts_ = on; }
  // Whether ClientHellos get their JA4 (default); kept across reset().
  void set_ja4(bool on) noexcept { ja4_ = on; }

  void reset() noexcept;

  std::uint64_t records() const noexcept { return records_; }
  std::uint64_t handshake_messages() const noexcept { return messages_; }
  std::uint64_t hellos_too_large() const noexcept { return hellos_too_large_; }
  std::uint64_t certificates() const noexcept { return certificates_; }

 private:
  enum class Body : std::uint8_t { none, hello, certificate, skip };
  enum class CertStage : std::uint8_t { list_length, entry_length, der };

  void record_header_complete() noexcept;
  void handshake_bytes(const std::uint8_t* p, std::size_t n, TlsVisitor& visitor) noexcept;
  void start_message(TlsVisitor& visitor) noexcept;
  void finish_message(TlsVisitor& visitor) noexcept;
  std::size_t certificate_bytes(const std::uint8_t* p, std::size_t n, TlsVisitor& visitor) noexcept;
  void fail(TlsStatus s) noexcept;

  // Record layer (RFC 8446 §5.1).
  std::uint8_t record_header_[5] = {};
  std::uint8_t record_have_ = 0;
  std::uint8_t record_type_ = 0;
  std::size_t record_left_ = 0;
  bool in_record_ = false;

  // Handshake layer (RFC 8446 §4).
  std::uint8_t message_header_[4] = {};
  std::uint8_t message_have_ = 0;
  std::uint8_t message_type_ = 0;
  std::size_t message_left_ = 0;
  std::size_t message_length_ = 0;
  Body body_ = Body::none;
  std::size_t buffered_ = 0;

  // Certificate message (RFC 5246 §7.4.2): certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>.
  CertStage cert_stage_ = CertStage::list_length;
  std::uint8_t cert_length_bytes_[3] = {};
  std::uint8_t cert_length_have_ = 0;
  std::size_t cert_list_left_ = 0;
  std::size_t cert_left_ = 0;
  std::uint32_t cert_length_ = 0;
  std::uint16_t cert_index_ = 0;
  CertificateReader certificate_;
  bool certificate_facts_ = true;
  bool ja4_ = true;

  TlsSide side_ = TlsSide::unknown;
  TlsStatus status_ = TlsStatus::ok;
  bool done_ = false;
  bool started_ = false;
  bool second_hello_expected_ = false;  // HelloRetryRequest seen (or announced by the peer)

  std::uint64_t records_ = 0, messages_ = 0, hellos_too_large_ = 0, certificates_ = 0;

  // The hello being reassembled, or the store of the certificate being read.
  std::uint8_t buffer_[kHelloBufferBytes];
  static_assert(kHelloBufferBytes >= CertificateReader::kStoreBytes, "the certificate store lives in the hello buffer");
};

// Both directions of one TLS-over-TCP connection, from captured segments: a
// TcpSequenceCursor per direction (retransmissions trimmed, gives up on a gap) in front of a
// TlsHandshakeParser per direction, with the HelloRetryRequest hand-over between them.
class TlsConnection {
 public:
  // One captured TCP segment. from_client: sent by the connection's initiator. syn: the SYN
  // flag (its seq + 1 is the first payload byte).
  void on_segment(bool from_client, std::uint32_t seq, bool syn, const std::uint8_t* payload,
                  std::size_t len, TlsVisitor& visitor) noexcept;

  // True when neither direction can report anything more (done, or gave up on a gap).
  bool done() const noexcept;
  void reset() noexcept;
  void set_ja4(bool on) noexcept { client_.set_ja4(on); }
  void set_certificate_facts(bool on) noexcept {
    client_.set_certificate_facts(on);
    server_.set_certificate_facts(on);
  }

  const TlsHandshakeParser& client() const noexcept { return client_; }
  const TlsHandshakeParser& server() const noexcept { return server_; }
  const TcpSequenceCursor& client_cursor() const noexcept { return client_seq_; }
  const TcpSequenceCursor& server_cursor() const noexcept { return server_seq_; }

 private:
  TcpSequenceCursor client_seq_, server_seq_;
  TlsHandshakeParser client_, server_;
};

}  // namespace outpost::capture::proto
