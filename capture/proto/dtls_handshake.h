#pragma once
// DTLS handshakes over UDP (RFC 6347 DTLS 1.2 / RFC 4347 1.0; the cleartext part of RFC 9147
// DTLS 1.3): records with epoch and sequence number (RFC 6347 §4.1), handshake messages cut
// into fragments with message_seq / fragment_offset / fragment_length (§4.2.2), reassembled per
// direction and reported through the same TlsVisitor the TCP path uses (tls_handshake.h):
//
//  * ClientHello (with its cookie, §4.2.1): SNI, ALPN, JA3 and JA4 (transport 'd') — JA3 over
//    the same fields as TLS (the cookie is not part of it), as tshark's dtls.handshake.ja3;
//  * ServerHello: JA3S (dtls.handshake.ja3s), negotiated version;
//  * Certificate (DTLS 1.0/1.2; 1.3 certificates are encrypted): the SHA-1, SHA-256 and DER
//    facts (x509_certificate.h) of every certificate of the chain, read as the in-order bytes
//    pass, from either side.
//
// Retransmitted flights (same message_seq, RFC 6347 §4.2.4) are recognised and not reported
// twice. A HelloVerifyRequest (§4.2.1) is skipped, so the client's second ClientHello (with the
// cookie) is reported as well, as tshark does. Hello fragments may arrive in any order; the
// Certificate message is hashed in offset order, and a fragment past a gap waits for the
// retransmission (counted). A message whose seq jumps ahead of the one awaited is taken as the
// next (the missing one is counted as skipped): captures lose packets the peers did receive.
//
// A direction is done once nothing of interest can follow: after its Certificate, at any later
// handshake message (ServerKeyExchange, ServerHelloDone, ClientKeyExchange, ...), at
// ChangeCipherSpec, at records of a later epoch or DTLS 1.3's encrypted (unified header) records,
// and — for both directions — after a DTLS 1.3 ServerHello.
//
// CAPWAP (RFC 5415 §4.1-4.2) runs its control channel (UDP 5246) and optionally its data channel
// (5247) over DTLS behind a 4-byte preamble (version 0, type 1 = "DTLS header follows", 24 bits
// reserved); DtlsCarrier::capwap strips it and skips the cleartext CAPWAP messages (type 0).
//
// Memory: about 4.6 KB per direction (kHelloBufferBytes, which is also the certificate
// reader's store), 9.3 KB per DtlsConnection.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "capture/proto/digest.h"
#include "capture/proto/offset_reassembly.h"
#include "capture/proto/tls_handshake.h"
#include "capture/proto/tls_hello.h"

namespace outpost::capture::proto {

// How DTLS records sit in the UDP payload. Fixed width, one name table (dtls_carrier_name).
enum class DtlsCarrier : std::uint8_t {
  udp = 0,  // the payload is DTLS records
  capwap,   // a CAPWAP preamble (RFC 5415 §4.1) comes first
  count_
};
inline constexpr std::size_t kDtlsCarrierCount = static_cast<std::size_t>(DtlsCarrier::count_);
std::string_view dtls_carrier_name(DtlsCarrier c) noexcept;

// True when the payload starts with a DTLS handshake record (epoch 0) holding the first
// fragment of a ClientHello, directly (carrier = udp) or behind a CAPWAP DTLS preamble
// (carrier = capwap). A strict test meant for UDP flows on any port.
bool looks_like_dtls_client_hello(const std::uint8_t* payload, std::size_t len, DtlsCarrier& carrier) noexcept;

struct DtlsCounters {
  std::uint64_t records = 0;
  std::uint64_t handshake_fragments = 0;
  std::uint64_t messages = 0;                // handshake messages completed (or skipped whole)
  std::uint64_t retransmitted_fragments = 0; // of a message already complete (§4.2.4)
  std::uint64_t out_of_order_fragments = 0;  // past a gap, or of a later message: dropped
  std::uint64_t messages_skipped = 0;        // message_seq values jumped over
  std::uint64_t bad_fragments = 0;           // lengths inconsistent with the message or record
  std::uint64_t hellos_too_large = 0;
  std::uint64_t certificates = 0;
  std::uint64_t encrypted_records = 0;       // epoch > 0, unified header, connection ID records
};

// One direction of a DTLS association: the records of each datagram it sent.
class DtlsHandshakeParser {
 public:
  static constexpr std::size_t kHelloBufferBytes = 4096;
  // RFC 6347 §4.1: DTLSCiphertext.length <= 2^14 + 2048.
  static constexpr std::size_t kMaxRecordBytes = 16384 + 2048;

  DtlsHandshakeParser() noexcept = default;
  DtlsHandshakeParser(const DtlsHandshakeParser&) = delete;
  DtlsHandshakeParser& operator=(const DtlsHandshakeParser&) = delete;

  // The DTLS records of one datagram (carrier already stripped). Ignores input once done().
  // Returns ok or the problem met in this datagram: bad_record ends the datagram (its records
  // cannot be delimited), bad_hello / bad_certificate / hello_too_large concern one message.
  TlsStatus on_records(const std::uint8_t* data, std::size_t len, TlsVisitor& visitor) noexcept;

  bool done() const noexcept { return done_; }
  // The side that sent this direction's hellos (unknown before one is seen).
  TlsSide side() const noexcept { return side_; }
  // A DTLS 1.3 ServerHello (not a HelloRetryRequest) was seen: the rest of both directions'
  // handshakes is encrypted.
  bool saw_dtls13_server_hello() const noexcept { return dtls13_; }
  // Marks the direction done from outside (DtlsConnection, after the peer's DTLS 1.3 hello).
  void finish() noexcept { done_ = true; }
  const DtlsCounters& counters() const noexcept { return counters_; }
  // As TlsHandshakeParser::set_certificate_facts.
  void set_certificate_facts(bool on) noexcept { certificate_facts_ = on; }
  // As TlsHandshakeParser::set_ja4.
  void set_ja4(bool on) noexcept { ja4_ = on; }
  void reset() noexcept;

 private:
  enum class Body : std::uint8_t { none, hello, certificate };
  enum class CertStage : std::uint8_t { list_length, entry_length, der };

  TlsStatus on_handshake_record(const std::uint8_t* p, std::size_t n, TlsVisitor& visitor) noexcept;
  TlsStatus on_fragment(std::uint8_t type, std::uint32_t length, std::uint16_t seq, std::uint32_t offset,
                        const std::uint8_t* data, std::uint32_t frag_len, TlsVisitor& visitor) noexcept;
  TlsStatus start_message(std::uint8_t type, std::uint32_t length, std::uint16_t seq) noexcept;
  TlsStatus finish_hello(TlsVisitor& visitor) noexcept;
  TlsStatus certificate_bytes(const std::uint8_t* p, std::size_t n, TlsVisitor& visitor) noexcept;
  void end_message() noexcept;

  // The message being reassembled (RFC 6347 §4.2.2).
  bool in_message_ = false;
  bool have_next_seq_ = false;
  std::uint16_t next_seq_ = 0;     // lowest message_seq not yet complete
  std::uint8_t msg_type_ = 0;
  std::uint32_t msg_length_ = 0;
  Body body_ = Body::none;

  // Certificate (RFC 5246 §7.4.2), hashed in offset order.
  std::uint32_t cert_have_ = 0;    // message bytes consumed
  CertStage cert_stage_ = CertStage::list_length;
  std::uint8_t cert_length_bytes_[3] = {};
  std::uint8_t cert_length_have_ = 0;
  std::size_t cert_list_left_ = 0;
  std::size_t cert_left_ = 0;
  std::uint32_t cert_length_ = 0;
  std::uint16_t cert_index_ = 0;
  CertificateReader certificate_;  // its store is hello_'s buffer
  bool certificate_facts_ = true;
  bool ja4_ = true;

  TlsSide side_ = TlsSide::unknown;
  bool done_ = false;
  bool dtls13_ = false;
  DtlsCounters counters_;
  OffsetReassembly<kHelloBufferBytes, 8> hello_;
  static_assert(kHelloBufferBytes >= CertificateReader::kStoreBytes, "the certificate store lives in the hello buffer");
};

// Both directions of one DTLS flow. from_initiator: sent by the flow's initiator; which side is
// the DTLS client is learned from the hellos, so either direction may come first.
class DtlsConnection {
 public:
  explicit DtlsConnection(DtlsCarrier carrier = DtlsCarrier::udp) noexcept : carrier_(carrier) {}

  TlsStatus on_datagram(bool from_initiator, const std::uint8_t* payload, std::size_t len,
                        TlsVisitor& visitor) noexcept;

  bool done() const noexcept { return dirs_[0].done() && dirs_[1].done(); }
  DtlsCarrier carrier() const noexcept { return carrier_; }
  const DtlsHandshakeParser& initiator() const noexcept { return dirs_[0]; }
  const DtlsHandshakeParser& responder() const noexcept { return dirs_[1]; }
  std::uint64_t datagrams() const noexcept { return datagrams_; }
  // Datagrams without DTLS: cleartext CAPWAP messages, or too short for the carrier.
  std::uint64_t datagrams_skipped() const noexcept { return skipped_; }
  void reset(DtlsCarrier carrier) noexcept;
  void set_ja4(bool on) noexcept {
    dirs_[0].set_ja4(on);
    dirs_[1].set_ja4(on);
  }
  void set_certificate_facts(bool on) noexcept {
    dirs_[0].set_certificate_facts(on);
    dirs_[1].set_certificate_facts(on);
  }

 private:
  DtlsCarrier carrier_;
  DtlsHandshakeParser dirs_[2];
  std::uint64_t datagrams_ = 0, skipped_ = 0;
};

}  // namespace outpost::capture::proto
