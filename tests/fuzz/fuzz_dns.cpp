// libFuzzer target: DNS messages (capture/proto/dns_message.h) and the DNS-over-TCP framer.
//
// The whole input is parsed as one UDP payload. Then it is fed to a DnsTcpFramer as a TCP
// stream, cut into segments whose lengths come from the input itself (each cut is taken from
// the byte at the current position), and every framed message is parsed. Every piece sits in
// its own heap block of exactly its length, so a read past it is an ASan report.
//
// Seeds: UDP/TCP port-53 payloads of the corpus captures (see capture/proto/README.md).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "capture/proto/dns_message.h"
#include "capture/proto/dns_tcp_framer.h"

namespace {

using namespace outpost::capture::proto;

// Touches everything reported and checks the documented bounds.
struct CheckingVisitor : DnsVisitor {
  std::size_t total = 0;
  void check(const DnsName& n) {
    if (n.length > kDnsMaxNameText || n.text[n.length] != '\0' || n.wire_length > kDnsMaxNameWire)
      std::abort();
    char norm[kDnsMaxNameText];
    total += normalize_dns_name(n.view(), norm, sizeof norm);
  }
  void on_header(const DnsHeader& h) override { total += h.qdcount; }
  void on_question(const DnsQuestion& q) override { check(q.name); }
  void on_answer(const DnsAnswer& a) override {
    check(a.owner);
    check(a.target);
    check(a.question);
    if (a.question_index < 0 && a.question.length != 0) std::abort();
    if (a.type != kDnsTypeA && a.type != kDnsTypeAaaa && a.type != kDnsTypeCname) std::abort();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  CheckingVisitor v;
  {
    std::vector<std::uint8_t> exact(data, data + size);
    const DnsStatus s = parse_dns_message(exact.data(), exact.size(), v);
    if (dns_status_name(s) == "unknown") std::abort();
  }
  DnsTcpFramer framer;
  std::size_t pos = 0;
  while (pos < size) {
    std::size_t n = 1 + data[pos] % 97;
    if (n > size - pos) n = size - pos;
    std::uint8_t* piece = static_cast<std::uint8_t*>(std::malloc(n));
    std::memcpy(piece, data + pos, n);
    framer.feed(piece, n);
    DnsTcpFramer::Message m;
    while (framer.next(m)) {
      if (m.len > m.wire_len || m.cut != (m.len < m.wire_len)) std::abort();
      parse_dns_message(m.data, m.len, v);
    }
    std::free(piece);
    pos += n;
  }
  return 0;
}
