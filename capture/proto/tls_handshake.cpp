#include "capture/proto/tls_handshake.h"

#include <cstring>

namespace outpost::capture::proto {

namespace {

// Record content types (RFC 8446 §5.1, RFC 6520 heartbeat).
constexpr std::uint8_t kChangeCipherSpec = 20;
constexpr std::uint8_t kAlert = 21;
constexpr std::uint8_t kHandshake = 22;
constexpr std::uint8_t kApplicationData = 23;
constexpr std::uint8_t kHeartbeat = 24;

// Handshake message types (RFC 8446 §4, RFC 5246 §7.4).
constexpr std::uint8_t kClientHello = 1;
constexpr std::uint8_t kServerHello = 2;
constexpr std::uint8_t kCertificate = 11;
constexpr std::uint8_t kServerKeyExchange = 12;
constexpr std::uint8_t kCertificateRequest = 13;
constexpr std::uint8_t kServerHelloDone = 14;
constexpr std::uint8_t kCertificateVerify = 15;
constexpr std::uint8_t kClientKeyExchange = 16;
constexpr std::uint8_t kFinished = 20;

std::size_t be24(const std::uint8_t* p) noexcept {
  return (static_cast<std::size_t>(p[0]) << 16) | (static_cast<std::size_t>(p[1]) << 8) | p[2];
}

// A TLS 1.3 (or draft) version: everything after its ServerHello is encrypted.
bool is_tls13(std::uint16_t v) noexcept { return v >= 0x0304 || (v >> 8) == 0x7f; }

}  // namespace

void TlsHandshakeParser::reset() noexcept {
  record_have_ = 0;
  record_type_ = 0;
  record_left_ = 0;
  in_record_ = false;
  message_have_ = 0;
  message_type_ = 0;
  message_left_ = message_length_ = 0;
  body_ = Body::none;
  buffered_ = 0;
  cert_stage_ = CertStage::list_length;
  cert_length_have_ = 0;
  cert_list_left_ = cert_left_ = 0;
  cert_length_ = 0;
  cert_index_ = 0;
  certificate_.start(0, nullptr, 0);
  side_ = TlsSide::unknown;
  status_ = TlsStatus::ok;
  done_ = started_ = second_hello_expected_ = false;
  records_ = messages_ = hellos_too_large_ = certificates_ = 0;
}

void TlsHandshakeParser::fail(TlsStatus s) noexcept {
  if (status_ == TlsStatus::ok) status_ = s;
  done_ = true;
}

TlsStatus TlsHandshakeParser::feed(const std::uint8_t* data, std::size_t len,
                                   TlsVisitor& visitor) noexcept {
  if (data == nullptr) return status_;
  while (len != 0 && !done_) {
    if (!in_record_) {
      record_header_[record_have_++] = *data++;
      --len;
      if (record_have_ == 5) record_header_complete();
      continue;
    }
    const std::size_t n = record_left_ < len ? record_left_ : len;
    if (record_type_ == kHandshake) handshake_bytes(data, n, visitor);
    data += n;
    len -= n;
    record_left_ -= n;
    if (record_left_ == 0) in_record_ = false;
  }
  return status_;
}

void TlsHandshakeParser::record_header_complete() noexcept {
  record_have_ = 0;
  const std::uint8_t type = record_header_[0];
  const std::size_t length = (static_cast<std::size_t>(record_header_[3]) << 8) | record_header_[4];
  if (!started_) {
    started_ = true;
    // RFC 5246 Appendix E.2: a 2-byte-header SSLv2 record carrying msg_type 1 (CLIENT-HELLO).
    if ((record_header_[0] & 0x80) != 0 && record_header_[2] == 0x01) return fail(TlsStatus::sslv2_hello);
    // A server may open with a warning alert (e.g. unrecognized_name, RFC 6066 §3) before its
    // ServerHello; anything else first is not a TLS handshake.
    if (type != kHandshake && type != kAlert) return fail(TlsStatus::not_tls);
  }
  const bool known = type == kChangeCipherSpec || type == kAlert || type == kHandshake ||
                     type == kApplicationData || type == kHeartbeat;
  if (!known || record_header_[1] != 3 || length > kMaxRecordBytes) {
    return fail(started_ && records_ == 0 ? TlsStatus::not_tls : TlsStatus::bad_record);
  }
  ++records_;
  if (type == kApplicationData) {
    done_ = true;
    return;
  }
  if (type == kChangeCipherSpec) {
    // TLS <= 1.2: what follows is encrypted. TLS 1.3 middlebox compatibility (RFC 8446 D.4)
    // sends a CCS before the second hello after a HelloRetryRequest: keep going then.
    if (!second_hello_expected_) {
      done_ = true;
      return;
    }
  }
  record_type_ = type;
  record_left_ = length;
  in_record_ = length != 0;
}

void TlsHandshakeParser::handshake_bytes(const std::uint8_t* p, std::size_t n,
                                         TlsVisitor& visitor) noexcept {
  while (n != 0 && !done_) {
    if (body_ == Body::none) {
      message_header_[message_have_++] = *p++;
      --n;
      if (message_have_ == 4) {
        message_have_ = 0;
        message_type_ = message_header_[0];
        message_length_ = message_left_ = be24(message_header_ + 1);
        ++messages_;
        start_message(visitor);
        if (!done_ && message_left_ == 0) finish_message(visitor);
      }
      continue;
    }
    std::size_t take = message_left_ < n ? message_left_ : n;
    switch (body_) {
      case Body::hello:
        std::memcpy(buffer_ + buffered_, p, take);
        buffered_ += take;
        break;
      case Body::certificate:
        take = certificate_bytes(p, take, visitor);
        break;
      case Body::skip:
      case Body::none:
        break;
    }
    p += take;
    n -= take;
    message_left_ -= take;
    if (!done_ && message_left_ == 0) finish_message(visitor);
  }
}

void TlsHandshakeParser::start_message(TlsVisitor& /*visitor*/) noexcept {
  body_ = Body::skip;
  switch (message_type_) {
    case kClientHello:
    case kServerHello:
      if (message_length_ > kHelloBufferBytes) {
        ++hellos_too_large_;
        if (status_ == TlsStatus::ok) status_ = TlsStatus::hello_too_large;
        if (message_type_ == kClientHello) side_ = TlsSide::client;
        if (message_type_ == kServerHello) side_ = TlsSide::server;
        return;
      }
      body_ = Body::hello;
      buffered_ = 0;
      return;
    case kCertificate:
      body_ = Body::certificate;
      cert_stage_ = CertStage::list_length;
      cert_length_have_ = 0;
      cert_index_ = 0;
      return;
    case kServerKeyExchange:
    case kCertificateRequest:
    case kServerHelloDone:
    case kCertificateVerify:
    case kClientKeyExchange:
    case kFinished:
      // Past the Certificate (or there is none): nothing more to learn in this direction.
      done_ = true;
      return;
    default:
      return;  // HelloRequest, NewSessionTicket, CertificateStatus, unknown: skipped
  }
}

void TlsHandshakeParser::finish_message(TlsVisitor& visitor) noexcept {
  const Body body = body_;
  body_ = Body::none;
  if (body == Body::hello) {
    if (message_type_ == kClientHello) {
      side_ = TlsSide::client;
      TlsClientHello hello;
      if (parse_client_hello(buffer_, buffered_, hello, 't', ja4_) != TlsStatus::ok) return fail(TlsStatus::bad_hello);
      second_hello_expected_ = false;
      visitor.on_client_hello(hello);
    } else {
      side_ = TlsSide::server;
      TlsServerHello hello;
      if (parse_server_hello(buffer_, buffered_, hello) != TlsStatus::ok) return fail(TlsStatus::bad_hello);
      visitor.on_server_hello(hello);
      if (hello.hello_retry_request) {
        second_hello_expected_ = true;
      } else {
        second_hello_expected_ = false;
        if (is_tls13(hello.selected_version)) done_ = true;
      }
    }
    buffered_ = 0;
  } else if (body == Body::certificate) {
    if (cert_stage_ != CertStage::entry_length || cert_length_have_ != 0 || cert_list_left_ != 0)
      return fail(TlsStatus::bad_certificate);
    done_ = true;  // the chain was all this direction had to offer
  }
}

// Consumes up to n bytes of a Certificate message body; returns how many were used (all of
// them, unless the message turned out malformed, which ends the parser).
std::size_t TlsHandshakeParser::certificate_bytes(const std::uint8_t* p, std::size_t n,
                                                  TlsVisitor& visitor) noexcept {
  std::size_t used = 0;
  while (used < n && !done_) {
    if (cert_stage_ == CertStage::der) {
      const std::size_t k = cert_left_ < n - used ? cert_left_ : n - used;
      certificate_.update(p + used, k);
      used += k;
      cert_left_ -= k;
      if (cert_left_ == 0) {
        TlsCertificate cert;
        cert.sender = side_;
        cert.index = cert_index_++;
        cert.der_length = cert_length_;
        certificate_.finish(cert.sha1, cert.sha256, cert.x509);
        hex_lower(cert.sha1, kSha1Bytes, cert.sha1_hex);
        if (certificate_facts_) hex_lower(cert.sha256, kSha256Bytes, cert.sha256_hex);
        ++certificates_;
        visitor.on_certificate(cert);
        cert_stage_ = CertStage::entry_length;
      }
      continue;
    }
    cert_length_bytes_[cert_length_have_++] = p[used++];
    if (cert_length_have_ < 3) continue;
    cert_length_have_ = 0;
    const std::size_t value = be24(cert_length_bytes_);
    if (cert_stage_ == CertStage::list_length) {
      // The list fills the message exactly (RFC 5246 §7.4.2).
      if (value + 3 != message_length_) {
        fail(TlsStatus::bad_certificate);
        break;
      }
      cert_list_left_ = value;
      cert_stage_ = CertStage::entry_length;
    } else {
      if (value == 0 || value + 3 > cert_list_left_) {
        fail(TlsStatus::bad_certificate);
        break;
      }
      cert_list_left_ -= value + 3;
      cert_left_ = value;
      cert_length_ = static_cast<std::uint32_t>(value);
      certificate_.start(cert_length_, buffer_, CertificateReader::kStoreBytes, certificate_facts_);
      cert_stage_ = CertStage::der;
    }
  }
  return used;
}

// ---- TlsConnection -------------------------------------------------------------------------

namespace {

// Forwards to the caller's visitor and tells the client side about a HelloRetryRequest.
class RetryRelay final : public TlsVisitor {
 public:
  RetryRelay(TlsVisitor& inner, TlsHandshakeParser& client) noexcept : inner_(inner), client_(client) {}
  void on_client_hello(const TlsClientHello& h) override { inner_.on_client_hello(h); }
  void on_server_hello(const TlsServerHello& h) override {
    if (h.hello_retry_request) client_.expect_second_client_hello();
    inner_.on_server_hello(h);
  }
  void on_certificate(const TlsCertificate& c) override { inner_.on_certificate(c); }

 private:
  TlsVisitor& inner_;
  TlsHandshakeParser& client_;
};

}  // namespace

void TlsConnection::on_segment(bool from_client, std::uint32_t seq, bool syn,
                               const std::uint8_t* payload, std::size_t len,
                               TlsVisitor& visitor) noexcept {
  TcpSequenceCursor& cursor = from_client ? client_seq_ : server_seq_;
  TlsHandshakeParser& parser = from_client ? client_ : server_;
  if (syn) {
    cursor.start(seq + 1);
    seq += 1;  // RFC 9293 §3.4: the SYN occupies one sequence number before any data
  }
  if (parser.done() || len == 0) return;
  const TcpSequenceCursor::Span span = cursor.accept(seq, payload, len);
  if (span.len == 0) return;
  if (from_client) {
    parser.feed(span.data, span.len, visitor);
  } else {
    RetryRelay relay(visitor, client_);
    parser.feed(span.data, span.len, relay);
  }
}

bool TlsConnection::done() const noexcept {
  const bool client_over = client_.done() || client_seq_.gave_up();
  const bool server_over = server_.done() || server_seq_.gave_up();
  return client_over && server_over;
}

void TlsConnection::reset() noexcept {
  client_seq_.reset();
  server_seq_.reset();
  client_.reset();
  server_.reset();
}

}  // namespace outpost::capture::proto
