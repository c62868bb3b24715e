// libFuzzer target: HTTP/1.x request heads (capture/proto/http_request.h).
//
// The input is parsed whole as one head (as an SSDP datagram would be) and checked with
// looks_like_http_request; then it is fed to an HttpRequestStream cut into segments whose
// lengths come from the input (the byte at each cut, 1..128), so heads, bodies, chunk framing
// and resynchronisation see every split point. Every segment sits in its own heap block of
// exactly its length, so a read past it is an ASan report.
//
// Seeds: client-to-server streams of the corpus HTTP connections and SSDP datagrams (see
// capture/proto/README.md).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "capture/proto/http_request.h"

namespace {

using namespace outpost::capture::proto;

struct CheckingVisitor : HttpVisitor {
  std::size_t total = 0;
  void on_request(const HttpRequestHead& h) override {
    if (h.method.empty() || h.target.empty() || h.version.size() != 8) std::abort();
    if (h.host.size() > kHttpMaxHost || h.url.size() > kHttpMaxUrl) std::abort();
    if (!h.has_host && !h.host.empty()) std::abort();
    for (char c : h.host)
      if (c >= 'A' && c <= 'Z') std::abort();
    total += h.host_raw.size() + h.user_agent.size() + h.url.size();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  CheckingVisitor v;
  {
    std::vector<std::uint8_t> exact(data, data + size);
    (void)looks_like_http_request(exact.data(), exact.size());
    HttpRequestHead h;
    if (parse_http_request_head(exact.data(), exact.size(), h) == HttpStatus::ok) v.on_request(h);
  }
  HttpRequestStream stream;
  std::size_t pos = 0;
  while (pos < size) {
    std::size_t n = 1 + data[pos] % 128;
    if (n > size - pos) n = size - pos;
    std::uint8_t* piece = static_cast<std::uint8_t*>(std::malloc(n));
    std::memcpy(piece, data + pos, n);
    stream.feed(piece, n, v);
    std::free(piece);
    pos += n;
  }
  return 0;
}
