#include "capture/proto/dtls_handshake.h"

namespace outpost::capture::proto {

namespace {

constexpr std::string_view kDtlsCarrierNames[kDtlsCarrierCount] = {"udp", "capwap"};

// RFC 6347 §4.1 record header: type(1) version(2) epoch(2) sequence_number(6) length(2).
constexpr std::size_t kRecordHeaderBytes = 13;
// RFC 6347 §4.2.2 handshake header: msg_type(1) length(3) message_seq(2) fragment_offset(3)
// fragment_length(3).
constexpr std::size_t kHandshakeHeaderBytes = 12;
// RFC 5415 §4.2: preamble (version 0, type 1) and 24 reserved bits.
constexpr std::size_t kCapwapDtlsHeaderBytes = 4;

constexpr std::uint8_t kContentChangeCipherSpec = 20;
constexpr std::uint8_t kContentAlert = 21;
constexpr std::uint8_t kContentHandshake = 22;
constexpr std::uint8_t kContentApplicationData = 23;
constexpr std::uint8_t kContentHeartbeat = 24;    // RFC 6520
constexpr std::uint8_t kContentTls12Cid = 25;     // RFC 9146: connection ID, encrypted
constexpr std::uint8_t kContentAck = 26;          // RFC 9147 §7

constexpr std::uint8_t kHelloRequest = 0;
constexpr std::uint8_t kClientHello = 1;
constexpr std::uint8_t kServerHello = 2;
constexpr std::uint8_t kHelloVerifyRequest = 3;
constexpr std::uint8_t kCertificate = 11;

constexpr std::uint16_t kDtls13 = 0xfefc;

std::uint16_t be16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}
std::uint32_t be24(const std::uint8_t* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) << 16 | static_cast<std::uint32_t>(p[1]) << 8 | p[2];
}

// DTLS 1.0 is 0xfeff, 1.2 0xfefd (1.3 records carry 0xfefd too, RFC 9147 §4); 0x0100 is the
// pre-RFC DTLS 1.0 some stacks (OpenSSL's DTLS1_BAD_VER, Cisco AnyConnect) still speak.
bool dtls_record_version(std::uint16_t v) noexcept { return (v >> 8) == 0xfe || v == 0x0100; }

bool client_hello_record(const std::uint8_t* p, std::size_t n) noexcept {
  if (n < kRecordHeaderBytes + kHandshakeHeaderBytes) return false;
  const std::size_t length = be16(p + 11);
  return p[0] == kContentHandshake && dtls_record_version(be16(p + 1)) && be16(p + 3) == 0 &&
         length <= n - kRecordHeaderBytes && length >= kHandshakeHeaderBytes &&
         p[kRecordHeaderBytes] == kClientHello && be24(p + kRecordHeaderBytes + 6) == 0;
}

}  // namespace

std::string_view dtls_carrier_name(DtlsCarrier c) noexcept {
  const auto i = static_cast<std::size_t>(c);
  return i < kDtlsCarrierCount ? kDtlsCarrierNames[i] : std::string_view("unknown");
}

bool looks_like_dtls_client_hello(const std::uint8_t* payload, std::size_t len, DtlsCarrier& carrier) noexcept {
  if (payload == nullptr) return false;
  if (client_hello_record(payload, len)) {
    carrier = DtlsCarrier::udp;
    return true;
  }
  if (len > kCapwapDtlsHeaderBytes && payload[0] == 0x01 &&
      client_hello_record(payload + kCapwapDtlsHeaderBytes, len - kCapwapDtlsHeaderBytes)) {
    carrier = DtlsCarrier::capwap;
    return true;
  }
  return false;
}

// ---- DtlsHandshakeParser ----------------------------------------------------------------------

void DtlsHandshakeParser::reset() noexcept {
  in_message_ = false;
  have_next_seq_ = false;
  next_seq_ = 0;
  msg_type_ = 0;
  msg_length_ = 0;
  body_ = Body::none;
  cert_have_ = 0;
  cert_stage_ = CertStage::list_length;
  cert_length_have_ = 0;
  cert_list_left_ = cert_left_ = 0;
  cert_length_ = 0;
  cert_index_ = 0;
  side_ = TlsSide::unknown;
  done_ = false;
  dtls13_ = false;
  counters_ = DtlsCounters{};
  hello_.reset();
}

TlsStatus DtlsHandshakeParser::on_records(const std::uint8_t* data, std::size_t len, TlsVisitor& visitor) noexcept {
  if (data == nullptr) return TlsStatus::ok;
  TlsStatus result = TlsStatus::ok;
  std::size_t pos = 0;
  while (pos < len && !done_) {
    const std::uint8_t* p = data + pos;
    const std::size_t n = len - pos;
    if ((p[0] & 0xe0) == 0x20) {
      // RFC 9147 §4: a DTLSCiphertext with the unified header; everything from here is encrypted.
      ++counters_.encrypted_records;
      done_ = true;
      break;
    }
    if (n < kRecordHeaderBytes) return result == TlsStatus::ok ? TlsStatus::bad_record : result;
    const std::uint8_t type = p[0];
    const std::uint16_t epoch = be16(p + 3);
    const std::size_t length = be16(p + 11);
    if (!dtls_record_version(be16(p + 1)) || length > n - kRecordHeaderBytes || length > kMaxRecordBytes)
      return result == TlsStatus::ok ? TlsStatus::bad_record : result;
    ++counters_.records;
    const std::uint8_t* body = p + kRecordHeaderBytes;
    pos += kRecordHeaderBytes + length;
    switch (type) {
      case kContentHandshake:
        if (epoch != 0) {  // Finished and later messages, under the negotiated keys
          ++counters_.encrypted_records;
          done_ = true;
          break;
        }
        {
          const TlsStatus s = on_handshake_record(body, length, visitor);
          if (result == TlsStatus::ok) result = s;
        }
        break;
      case kContentChangeCipherSpec:
      case kContentApplicationData:
        done_ = true;
        break;
      case kContentTls12Cid:
        ++counters_.encrypted_records;
        done_ = true;
        break;
      case kContentAlert:
      case kContentHeartbeat:
      case kContentAck:
        break;
      default:
        return result == TlsStatus::ok ? TlsStatus::bad_record : result;
    }
  }
  return result;
}

TlsStatus DtlsHandshakeParser::on_handshake_record(const std::uint8_t* p, std::size_t n,
                                                   TlsVisitor& visitor) noexcept {
  TlsStatus result = TlsStatus::ok;
  // A record may hold several fragments (RFC 6347 §4.2.3); each fits in it whole.
  while (n != 0 && !done_) {
    if (n < kHandshakeHeaderBytes) {
      ++counters_.bad_fragments;
      return result == TlsStatus::ok ? TlsStatus::bad_record : result;
    }
    const std::uint8_t type = p[0];
    const std::uint32_t length = be24(p + 1);
    const std::uint16_t seq = be16(p + 4);
    const std::uint32_t offset = be24(p + 6);
    const std::uint32_t frag_len = be24(p + 9);
    if (frag_len > n - kHandshakeHeaderBytes) {
      ++counters_.bad_fragments;
      return result == TlsStatus::ok ? TlsStatus::bad_record : result;
    }
    ++counters_.handshake_fragments;
    const TlsStatus s = on_fragment(type, length, seq, offset, p + kHandshakeHeaderBytes, frag_len, visitor);
    if (result == TlsStatus::ok) result = s;
    p += kHandshakeHeaderBytes + frag_len;
    n -= kHandshakeHeaderBytes + frag_len;
  }
  return result;
}

TlsStatus DtlsHandshakeParser::on_fragment(std::uint8_t type, std::uint32_t length, std::uint16_t seq,
                                           std::uint32_t offset, const std::uint8_t* data,
                                           std::uint32_t frag_len, TlsVisitor& visitor) noexcept {
  if (static_cast<std::uint64_t>(offset) + frag_len > length) {
    ++counters_.bad_fragments;
    return TlsStatus::ok;
  }
  if (have_next_seq_ && seq < next_seq_) {  // a message already handled: retransmission
    ++counters_.retransmitted_fragments;
    return TlsStatus::ok;
  }
  if (in_message_ && seq != next_seq_) {
    // A later message while this one waits for fragments: RFC 6347 §4.2.2 lets a receiver
    // drop or buffer it; it comes again if the peer did not get this one whole.
    ++counters_.out_of_order_fragments;
    return TlsStatus::ok;
  }
  if (!in_message_) {
    if (have_next_seq_ && seq > next_seq_) counters_.messages_skipped += seq - next_seq_;
    const TlsStatus s = start_message(type, length, seq);
    if (s != TlsStatus::ok || !in_message_) return s;
  } else if (type != msg_type_ || length != msg_length_) {
    ++counters_.bad_fragments;
    return TlsStatus::ok;
  }

  if (body_ == Body::hello) {
    if (hello_.add(offset, data, frag_len) != 0) ++counters_.out_of_order_fragments;  // too scattered
    if (hello_.contiguous() >= msg_length_) return finish_hello(visitor);
    return TlsStatus::ok;
  }
  // Certificate: the bytes past what was hashed, when the fragment reaches them.
  if (offset > cert_have_) {
    ++counters_.out_of_order_fragments;
    return TlsStatus::ok;
  }
  const std::uint32_t end = offset + frag_len;
  if (end <= cert_have_ && msg_length_ != 0) return TlsStatus::ok;
  const std::uint32_t skip = cert_have_ - offset;
  cert_have_ = end;
  const TlsStatus s = certificate_bytes(data + skip, frag_len - skip, visitor);
  if (s != TlsStatus::ok) {
    done_ = true;
    return s;
  }
  if (cert_have_ == msg_length_) {
    if (cert_stage_ != CertStage::entry_length || cert_list_left_ != 0) {
      done_ = true;
      return TlsStatus::bad_certificate;
    }
    end_message();
    done_ = true;  // nothing of interest follows a Certificate
  }
  return TlsStatus::ok;
}

TlsStatus DtlsHandshakeParser::start_message(std::uint8_t type, std::uint32_t length, std::uint16_t seq) noexcept {
  have_next_seq_ = true;
  next_seq_ = seq;
  msg_type_ = type;
  msg_length_ = length;
  switch (type) {
    case kClientHello:
    case kServerHello:
      if (side_ == TlsSide::unknown) side_ = type == kClientHello ? TlsSide::client : TlsSide::server;
      if (length > kHelloBufferBytes) {
        ++counters_.hellos_too_large;
        end_message();
        return TlsStatus::hello_too_large;
      }
      hello_.reset();
      body_ = Body::hello;
      in_message_ = true;
      return TlsStatus::ok;
    case kCertificate:
      if (dtls13_) {  // cannot happen in cleartext; treat as the end
        done_ = true;
        return TlsStatus::ok;
      }
      body_ = Body::certificate;
      cert_have_ = 0;
      cert_stage_ = CertStage::list_length;
      cert_length_have_ = 0;
      cert_list_left_ = cert_left_ = 0;
      cert_index_ = 0;
      in_message_ = true;
      return TlsStatus::ok;
    case kHelloVerifyRequest:
      if (side_ == TlsSide::unknown) side_ = TlsSide::server;
      end_message();
      return TlsStatus::ok;
    case kHelloRequest:
      end_message();
      return TlsStatus::ok;
    default:
      // ServerKeyExchange, CertificateRequest, ServerHelloDone, ClientKeyExchange, ...
      ++counters_.messages;
      done_ = true;
      return TlsStatus::ok;
  }
}

void DtlsHandshakeParser::end_message() noexcept {
  ++counters_.messages;
  in_message_ = false;
  body_ = Body::none;
  next_seq_ = static_cast<std::uint16_t>(next_seq_ + 1);
}

TlsStatus DtlsHandshakeParser::finish_hello(TlsVisitor& visitor) noexcept {
  const std::uint8_t type = msg_type_;
  end_message();
  if (type == kClientHello) {
    TlsClientHello hello;
    if (parse_client_hello(hello_.data(), msg_length_, hello, 'd', ja4_) != TlsStatus::ok) return TlsStatus::bad_hello;
    visitor.on_client_hello(hello);
    return TlsStatus::ok;
  }
  TlsServerHello hello;
  if (parse_server_hello(hello_.data(), msg_length_, hello) != TlsStatus::ok) return TlsStatus::bad_hello;
  visitor.on_server_hello(hello);
  if (hello.selected_version == kDtls13 && !hello.hello_retry_request) {
    dtls13_ = true;
    done_ = true;  // RFC 9147 §5: the rest of the server's flight is encrypted
  }
  return TlsStatus::ok;
}

// certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1> (RFC 5246 §7.4.2), read as it passes.
TlsStatus DtlsHandshakeParser::certificate_bytes(const std::uint8_t* p, std::size_t n, TlsVisitor& visitor) noexcept {
  std::size_t used = 0;
  while (used < n) {
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
        ++counters_.certificates;
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
      if (value + 3 != msg_length_) return TlsStatus::bad_certificate;  // the list fills the message
      cert_list_left_ = value;
      cert_stage_ = CertStage::entry_length;
    } else {
      if (value == 0 || value + 3 > cert_list_left_) return TlsStatus::bad_certificate;
      cert_list_left_ -= value + 3;
      cert_left_ = value;
      cert_length_ = static_cast<std::uint32_t>(value);
      // The hello buffer is free while the Certificate message passes (one message at a time).
      certificate_.start(cert_length_, hello_.storage(), CertificateReader::kStoreBytes, certificate_facts_);
      cert_stage_ = CertStage::der;
    }
  }
  return TlsStatus::ok;
}

// ---- DtlsConnection ---------------------------------------------------------------------------

void DtlsConnection::reset(DtlsCarrier carrier) noexcept {
  carrier_ = carrier;
  dirs_[0].reset();
  dirs_[1].reset();
  datagrams_ = skipped_ = 0;
}

TlsStatus DtlsConnection::on_datagram(bool from_initiator, const std::uint8_t* payload, std::size_t len,
                                      TlsVisitor& visitor) noexcept {
  ++datagrams_;
  if (done() || payload == nullptr) return TlsStatus::ok;
  if (carrier_ == DtlsCarrier::capwap) {
    // RFC 5415 §4.1: version 0; type 1 means a DTLS header (4 bytes) and DTLS records follow,
    // type 0 a cleartext CAPWAP message (Discovery, Join before DTLS, data frames).
    if (len < kCapwapDtlsHeaderBytes || payload[0] != 0x01) {
      ++skipped_;
      return TlsStatus::ok;
    }
    payload += kCapwapDtlsHeaderBytes;
    len -= kCapwapDtlsHeaderBytes;
  }
  DtlsHandshakeParser& self = dirs_[from_initiator ? 0 : 1];
  DtlsHandshakeParser& peer = dirs_[from_initiator ? 1 : 0];
  const TlsStatus s = self.on_records(payload, len, visitor);
  if (self.saw_dtls13_server_hello()) peer.finish();  // the client's next flight is encrypted
  return s;
}

}  // namespace outpost::capture::proto
