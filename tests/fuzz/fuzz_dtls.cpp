// libFuzzer target: DTLS handshakes (capture/proto/dtls_handshake.h) and the DTLS ClientHello
// body parser (parse_client_hello with transport 'd').
//
// Input: one carrier byte (bit 0: CAPWAP), then records of [control byte][length, 2 bytes
// big-endian][bytes] (a length past the input's end takes what is left). Each record is one
// UDP datagram, sent by the flow's initiator when control bit 0 is set, fed to a
// DtlsConnection; looks_like_dtls_client_hello reads it too. The bytes after the carrier byte
// are also parsed whole as a DTLS ClientHello body. Every datagram sits in its own heap block
// of exactly its length, so a read past it is an ASan report.
//
// Seeds: tests/fuzz/quic_dtls_seeds.py (the DTLS flows of the corpus in this format, plus
// hand-made fragments).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "capture/proto/dtls_handshake.h"
#include "x509_checks.h"

namespace {

using namespace outpost::capture::proto;

struct CheckingVisitor : TlsVisitor {
  std::size_t total = 0;
  void on_client_hello(const TlsClientHello& h) override {
    if (std::strlen(h.ja3_md5) != 32) std::abort();
    const std::size_t ja4 = std::strlen(h.ja4);
    if (ja4 != 0 && (ja4 != kJa4Length || h.ja4[0] != 'd')) std::abort();
    if (h.cookie.len > 255) std::abort();
    total += h.sni.size() + h.cookie.len;
  }
  void on_server_hello(const TlsServerHello& h) override {
    if (std::strlen(h.ja3s_md5) != 32) std::abort();
    total += h.alpn.size();
  }
  void on_certificate(const TlsCertificate& c) override {
    outpost::fuzz::check_certificate(c);  // digests, every byte and contract of the DER facts
    total += c.der_length;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const DtlsCarrier carrier = (data[0] & 1) ? DtlsCarrier::capwap : DtlsCarrier::udp;
  CheckingVisitor v;
  {
    std::vector<std::uint8_t> body(data + 1, data + size);
    TlsClientHello hello;
    if (parse_client_hello(body.data(), body.size(), hello, 'd') == TlsStatus::ok) v.on_client_hello(hello);
  }

  DtlsConnection conn(carrier);
  std::size_t pos = 1;
  while (pos < size) {
    const std::uint8_t control = data[pos++];
    std::size_t len = 0;
    if (pos < size) len = static_cast<std::size_t>(data[pos++]) << 8;
    if (pos < size) len |= data[pos++];
    if (len > size - pos) len = size - pos;
    auto* exact = static_cast<std::uint8_t*>(std::malloc(len + 1));
    if (len != 0) std::memcpy(exact, data + pos, len);
    DtlsCarrier detected = DtlsCarrier::udp;
    v.total += looks_like_dtls_client_hello(exact, len, detected);
    if (dtls_carrier_name(detected) == "unknown") std::abort();
    const TlsStatus s = conn.on_datagram(control & 1, exact, len, v);
    if (tls_status_name(s) == "unknown") std::abort();
    std::free(exact);
    pos += len;
  }
  for (const DtlsHandshakeParser* p : {&conn.initiator(), &conn.responder()}) {
    const DtlsCounters& c = p->counters();
    if (c.handshake_fragments > 0 && c.records == 0) std::abort();
  }
  return 0;
}
