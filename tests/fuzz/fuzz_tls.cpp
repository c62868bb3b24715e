// libFuzzer target: the TLS handshake parsers (capture/proto/tls_hello.h, tls_handshake.h)
// and the certificate reader (x509_certificate.h).
//
// 1. The input (after 2 control bytes) is parsed whole as a ClientHello body and as a
//    ServerHello body, and JA3/JA3S are formatted into small and large buffers. The same
//    bytes are read as one DER certificate by a CertificateReader, whole and cut in two at a
//    point taken from the control bytes (the facts and digests must agree), and as a Name, a
//    serial and both Time forms (x509_checks.h).
// 2. The same bytes are cut into TCP segments and given to a TlsConnection: each segment's
//    length (1..256) and direction (client or server) come from a little generator seeded by
//    the control bytes, each direction with its own sequence numbers; control bit patterns
//    also insert retransmissions (a segment re-sent with overlap). So both directions'
//    streaming parsers see arbitrary interleavings and split points. Every segment sits in its
//    own heap block of exactly its length, so a read past it is an ASan report.
//
// Every certificate the handshake parser reports has each byte of its facts read, its texts
// formatted into exact and small buffers and its contracts checked (x509_checks.h).
//
// Seeds: the client and server byte streams of TLS connections in the corpus, prefixed with
// two control bytes (see capture/proto/README.md).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "capture/proto/tls_handshake.h"
#include "capture/proto/tls_hello.h"
#include "x509_checks.h"

namespace {

using namespace outpost::capture::proto;

struct CheckingVisitor : TlsVisitor {
  std::size_t total = 0;
  void on_client_hello(const TlsClientHello& h) override {
    if (std::strlen(h.ja3_md5) != 32) std::abort();
    const std::size_t ja4 = std::strlen(h.ja4);
    if (ja4 != 0 && ja4 != kJa4Length) std::abort();
    char small[16];
    total += format_ja3(h, small, sizeof small) + h.sni.size();
    AlpnList alpn(h.alpn);
    std::string_view p;
    while (alpn.next(p)) total += p.size();
  }
  void on_server_hello(const TlsServerHello& h) override {
    if (std::strlen(h.ja3s_md5) != 32) std::abort();
    char small[8];
    total += format_ja3s(h, small, sizeof small) + h.alpn.size();
  }
  void on_certificate(const TlsCertificate& c) override {
    outpost::fuzz::check_certificate(c);
    total += c.der_length;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::uint32_t state = (static_cast<std::uint32_t>(data[0]) << 8 | data[1]) * 2654435761u + 1;
  const std::uint8_t* body = data + 2;
  const std::size_t len = size - 2;

  CheckingVisitor v;
  {
    std::vector<std::uint8_t> exact(body, body + len);
    TlsClientHello ch;
    if (parse_client_hello(exact.data(), exact.size(), ch, 't') == TlsStatus::ok) {
      v.on_client_hello(ch);
      std::vector<char> big(format_ja3(ch, nullptr, 0) + 1);
      format_ja3(ch, big.data(), big.size());
      if (std::strlen(big.data()) + 1 != big.size()) std::abort();
    }
    TlsServerHello sh;
    if (parse_server_hello(exact.data(), exact.size(), sh) == TlsStatus::ok) v.on_server_hello(sh);
    outpost::fuzz::check_reader_split(exact.data(), exact.size(), state % (exact.size() + 1));
    outpost::fuzz::check_text_functions(exact.data(), exact.size());
  }

  TlsConnection conn;
  std::uint32_t seq[2] = {1000, 900000};
  conn.on_segment(true, seq[0] - 1, true, nullptr, 0, v);
  conn.on_segment(false, seq[1] - 1, true, nullptr, 0, v);
  std::size_t pos = 0;
  while (pos < len) {
    state = state * 1103515245u + 12345u;
    std::size_t n = 1 + (state >> 16) % 256;
    if (n > len - pos) n = len - pos;
    const bool from_client = (state >> 8) & 1;
    const bool resend = ((state >> 4) & 15) == 0 && pos >= 8;
    const std::size_t back = resend ? 8 : 0;  // re-send the last 8 bytes with the new ones
    std::uint8_t* piece = static_cast<std::uint8_t*>(std::malloc(n + back));
    std::memcpy(piece, body + pos - back, n + back);
    const int d = from_client ? 0 : 1;
    conn.on_segment(from_client, seq[d] - static_cast<std::uint32_t>(back), false, piece, n + back, v);
    seq[d] += static_cast<std::uint32_t>(n);
    std::free(piece);
    pos += n;
  }
  if (tls_status_name(conn.client().status()) == "unknown") std::abort();
  return 0;
}
