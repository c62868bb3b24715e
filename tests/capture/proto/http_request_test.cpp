// HTTP/1.x request heads: one head, the keep-alive stream, and real captures vs tshark.

#include "capture/proto/http_request.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "capture/proto/tcp_sequence.h"
#include "support/conversations.h"
#include "support/corpus.h"
#include "support/decoded_capture.h"
#include "support/truth.h"

namespace outpost::capture::proto {
namespace {

using test::truth_values;

const std::uint8_t* bytes(const std::string& s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }

struct Request {
  std::string method, target, host_raw, host, user_agent, url;
  bool has_port;
  int port;
  bool complete;
};

struct Requests : HttpVisitor {
  std::vector<Request> seen;
  void on_request(const HttpRequestHead& h) override {
    seen.push_back(Request{std::string(h.method), std::string(h.target), std::string(h.host_raw),
                           std::string(h.host), std::string(h.user_agent), std::string(h.url),
                           h.has_port, h.port, h.complete});
  }
};

Request parse(const std::string& head, HttpStatus* status = nullptr) {
  HttpRequestHead h;
  const HttpStatus s = parse_http_request_head(bytes(head), head.size(), h);
  if (status) *status = s;
  return Request{std::string(h.method), std::string(h.target), std::string(h.host_raw),
                 std::string(h.host), std::string(h.user_agent), std::string(h.url),
                 h.has_port, h.port, h.complete};
}

TEST(HttpRequestHead, ReadsRequestLineHostAndUserAgent) {
  HttpStatus s;
  const Request r = parse(
      "GET /index.html?q=1 HTTP/1.1\r\nHost: Example.COM\r\nUser-Agent:  curl/8.0 \r\n"
      "Accept: */*\r\n\r\n",
      &s);
  ASSERT_EQ(s, HttpStatus::ok);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/index.html?q=1");
  EXPECT_EQ(r.host_raw, "Example.COM");
  EXPECT_EQ(r.host, "example.com");
  EXPECT_FALSE(r.has_port);
  EXPECT_EQ(r.user_agent, "curl/8.0");
  EXPECT_EQ(r.url, "http://Example.COM/index.html?q=1");  // Host as sent, like tshark
}

TEST(HttpRequestHead, SplitsHostAndPort) {
  const Request r = parse("POST /x HTTP/1.0\nhost: 82.118.225.196:7080\n\n");  // bare LF too
  EXPECT_EQ(r.host, "82.118.225.196");
  EXPECT_TRUE(r.has_port);
  EXPECT_EQ(r.port, 7080);
  EXPECT_EQ(r.url, "http://82.118.225.196:7080/x");
  const Request odd = parse("GET / HTTP/1.1\r\nHost: name:http\r\n\r\n");
  EXPECT_EQ(odd.host, "name:http");
  EXPECT_FALSE(odd.has_port);
  const Request empty_port = parse("GET / HTTP/1.1\r\nHost: name:\r\n\r\n");
  EXPECT_EQ(empty_port.host, "name");
  EXPECT_FALSE(empty_port.has_port);
}

TEST(HttpRequestHead, KeepsIpv6LiteralInBrackets) {
  const Request r = parse("M-SEARCH * HTTP/1.1\r\nHOST: [FF02::C]:1900\r\nMAN: \"ssdp:discover\"\r\n\r\n");
  EXPECT_EQ(r.host, "[ff02::c]");
  EXPECT_EQ(r.port, 1900);
  EXPECT_EQ(r.url, "http://[FF02::C]:1900*");  // what tshark shows for SSDP (ndpi__1kxun)
  const Request bare = parse("GET / HTTP/1.1\r\nHost: fe80::1\r\n\r\n");
  EXPECT_EQ(bare.host, "fe80::1");
  EXPECT_FALSE(bare.has_port);
}

TEST(HttpRequestHead, UsesAbsoluteFormAndConnectTargetsAsTheUrl) {
  EXPECT_EQ(parse("GET HTTP://Proxy.example/a HTTP/1.1\r\nHost: other\r\n\r\n").url, "HTTP://Proxy.example/a");
  EXPECT_EQ(parse("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n").url, "example.com:443");
}

TEST(HttpRequestHead, HasNoUrlWithoutHost) {
  const Request r = parse("GET / HTTP/1.0\r\nUser-Agent: x\r\n\r\n");
  EXPECT_EQ(r.url, "");
  EXPECT_EQ(r.host, "");
}

TEST(HttpRequestHead, TakesTheFirstHostField) {
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n").host, "a.example");
}

TEST(HttpRequestHead, RejectsInvalidRequestLines) {
  HttpStatus s;
  for (const char* bad : {"HTTP/1.1 200 OK\r\n\r\n", "GET /\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n",
                          "G(T / HTTP/1.1\r\n\r\n", "GET / HTTX/1.1\r\n\r\n", "GET / HTTP/1.1"}) {
    parse(bad, &s);
    EXPECT_EQ(s, HttpStatus::not_http) << bad;
  }
}

TEST(HttpRequestDetection, RecognisesKnownMethodsOnly) {
  auto looks = [](const std::string& s) { return looks_like_http_request(bytes(s), s.size()); };
  EXPECT_TRUE(looks("GET / HTTP/1.1\r\n"));
  EXPECT_TRUE(looks("M-SEARCH * HTTP/1.1"));
  EXPECT_TRUE(looks("OPTIONS *"));
  EXPECT_FALSE(looks("GET"));
  EXPECT_FALSE(looks("GET "));
  EXPECT_FALSE(looks("GET  /"));
  EXPECT_FALSE(looks("get / HTTP/1.1"));
  EXPECT_FALSE(looks("HTTP/1.1 200 OK"));
  EXPECT_FALSE(looks("\x16\x03\x01\x02\x00"));
  EXPECT_FALSE(looks_like_http_request(nullptr, 0));
}

// ---- stream --------------------------------------------------------------------------------

void feed(HttpRequestStream& s, const std::string& data, Requests& r) { s.feed(bytes(data), data.size(), r); }

TEST(HttpRequestStream, ReassemblesHeadSpanningSegments) {
  const std::string req = "GET /a/b HTTP/1.1\r\nHost: split.example\r\nUser-Agent: UA/1\r\n\r\n";
  HttpRequestStream s;
  Requests r;
  for (char c : req) feed(s, std::string(1, c), r);
  ASSERT_EQ(r.seen.size(), 1u);
  EXPECT_EQ(r.seen[0].url, "http://split.example/a/b");
  EXPECT_EQ(r.seen[0].user_agent, "UA/1");
}

TEST(HttpRequestStream, FindsKeepAliveRequestsAfterContentLengthBodies) {
  HttpRequestStream s;
  Requests r;
  feed(s, "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n01234", r);
  feed(s, "56789GET /next HTTP/1.1\r\nHost: h\r\n\r\n", r);  // body end + next request
  feed(s, "GET /third HTTP/1.1\r\nHost: h\r\n\r\nGET /fourth HTTP/1.1\r\nHost: h\r\n\r\n", r);  // pipelined
  ASSERT_EQ(r.seen.size(), 4u);
  EXPECT_EQ(r.seen[1].target, "/next");
  EXPECT_EQ(r.seen[3].target, "/fourth");
  EXPECT_EQ(s.body_bytes_skipped(), 10u);
  EXPECT_EQ(s.resyncs(), 0u);
}

TEST(HttpRequestStream, SkipsChunkedBodies) {
  HttpRequestStream s;
  Requests r;
  feed(s, "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5;ext=1\r\nGET /", r);
  feed(s, "\r\n1A\r\n" + std::string(26, 'x') + "\r\n0\r\nTrailer: t\r\n\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n", r);
  ASSERT_EQ(r.seen.size(), 2u);
  EXPECT_EQ(r.seen[1].target, "/after");
  EXPECT_EQ(s.body_bytes_skipped(), 31u);
  EXPECT_EQ(s.resyncs(), 0u);
}

TEST(HttpRequestStream, ReportsOversizedHeadAsFarAsItFitsAndCountsIt) {
  HttpRequestStream s;
  Requests r;
  const std::string start = "GET /big HTTP/1.1\r\nHost: big.example\r\nCookie: ";
  feed(s, start, r);
  for (int i = 0; i < 10; ++i) feed(s, std::string(1000, 'c'), r);
  feed(s, "\r\nUser-Agent: late\r\n\r\nGET /small HTTP/1.1\r\nHost: h\r\n\r\n", r);
  ASSERT_EQ(r.seen.size(), 2u);
  EXPECT_FALSE(r.seen[0].complete);
  EXPECT_EQ(r.seen[0].url, "http://big.example/big");
  EXPECT_EQ(r.seen[0].user_agent, "");  // beyond the cut
  EXPECT_TRUE(r.seen[1].complete);
  EXPECT_EQ(r.seen[1].target, "/small");
  EXPECT_EQ(s.heads_too_large(), 1u);
}

TEST(HttpRequestStream, ResynchronisesAtASegmentStartingWithAMethod) {
  HttpRequestStream s;
  Requests r;
  feed(s, "tail of a body we never saw the head of", r);
  feed(s, "more body GET /not-a-start HTTP/1.1\r\n\r\n", r);
  feed(s, "GET /found HTTP/1.1\r\nHost: h\r\n\r\n", r);
  ASSERT_EQ(r.seen.size(), 1u);
  EXPECT_EQ(r.seen[0].target, "/found");
  EXPECT_EQ(s.resyncs(), 1u);
}

TEST(HttpRequestStream, ResynchronisesAfterInvalidContentLength) {
  HttpRequestStream s;
  Requests r;
  feed(s, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12x\r\n\r\nbody", r);
  feed(s, "GET /again HTTP/1.1\r\nHost: h\r\n\r\n", r);
  ASSERT_EQ(r.seen.size(), 2u);
  EXPECT_EQ(r.seen[1].target, "/again");
  EXPECT_EQ(s.resyncs(), 1u);
}

TEST(HttpRequestStream, AcceptsMethodTokenSplitAcrossSegments) {
  HttpRequestStream s;
  Requests r;
  feed(s, "GE", r);
  feed(s, "T / HTTP/1.1\r\nHost: h\r\n\r\n", r);
  ASSERT_EQ(r.seen.size(), 1u);
  EXPECT_EQ(s.resyncs(), 0u);
}

// ---- real captures -------------------------------------------------------------------------

using test::TransportPacket;

struct CaptureHttp : HttpVisitor {
  std::set<std::string> hosts, urls, user_agents;
  void on_request(const HttpRequestHead& h) override {
    if (h.has_host) hosts.emplace(h.host_raw);
    if (!h.url.empty()) urls.emplace(h.url);
    if (h.has_user_agent) user_agents.emplace(h.user_agent);
  }
};

// Client-to-server bytes of every TCP connection (client = SYN sender) through a
// TcpSequenceCursor and an HttpRequestStream; UDP datagrams that look like requests (SSDP)
// parsed as single heads.
CaptureHttp http_of_capture(const std::string& capture) {
  CaptureHttp out;
  const auto segments = test::read_transport_packets(test::corpus_path("pcap/" + capture));
  struct Conn {
    TcpSequenceCursor cursor;
    std::unique_ptr<HttpRequestStream> stream = std::make_unique<HttpRequestStream>();
  };
  test::Conversations conversations;
  std::map<std::string, Conn> conns;
  for (const TransportPacket& s : segments) {
    if (s.udp()) {
      if (looks_like_http_request(s.payload(), s.payload_len())) {
        HttpRequestHead h;
        if (parse_http_request_head(s.payload(), s.payload_len(), h) == HttpStatus::ok) out.on_request(h);
      }
      continue;
    }
    const test::ConversationStep step = conversations.follow(s);
    if (step.restarted) conns.erase(step.key);
    Conn& c = conns[step.key];
    if (!step.from_initiator) continue;
    const std::uint32_t seq = s.view().tcp_seq;
    if (s.syn()) c.cursor.start(seq + 1);
    const auto span = c.cursor.accept(s.syn() ? seq + 1 : seq, s.payload(), s.payload_len());
    if (span.len != 0) c.stream->feed(span.data, span.len, out);
  }
  return out;
}

TEST(HttpRequestCorpus, FindsEveryUrlOfTheBroOrgBrowsingSession) {
  OUTPOST_REQUIRE_CORPUS();
  const std::string cap = "zeek__bro.org.pcap";
  const auto got = http_of_capture(cap);
  EXPECT_EQ(truth_values(cap, "http_url").size(), 31u);
  EXPECT_EQ(got.urls, truth_values(cap, "http_url"));
  EXPECT_EQ(got.hosts, truth_values(cap, "http_host"));
  EXPECT_FALSE(got.user_agents.empty());
}

TEST(HttpRequestCorpus, FindsHostsAndUrlsOfMixedAppCaptureIncludingSsdp) {
  OUTPOST_REQUIRE_CORPUS();
  const std::string cap = "ndpi__1kxun.pcap";
  const auto got = http_of_capture(cap);
  EXPECT_EQ(got.urls, truth_values(cap, "http_url"));
  EXPECT_EQ(got.hosts, truth_values(cap, "http_host"));
}

}  // namespace
}  // namespace outpost::capture::proto

namespace outpost::capture::proto {
namespace {

TEST(HttpRequestCorpus, AgreesWithTsharkOnEveryCapture) {
  OUTPOST_REQUIRE_CORPUS();
  std::size_t urls = 0;
  for (const std::string& cap : test::corpus_captures()) {
    const auto got = http_of_capture(cap);
    const auto want_urls = truth_values(cap, "http_url"), want_hosts = truth_values(cap, "http_host");
    for (const auto& v : got.urls) EXPECT_TRUE(want_urls.count(v)) << cap << " unexpected url " << v;
    for (const auto& v : want_urls) EXPECT_TRUE(got.urls.count(v)) << cap << " missing url " << v;
    for (const auto& v : got.hosts) EXPECT_TRUE(want_hosts.count(v)) << cap << " unexpected host " << v;
    for (const auto& v : want_hosts) EXPECT_TRUE(got.hosts.count(v)) << cap << " missing host " << v;
    urls += got.urls.size();
  }
  EXPECT_GT(urls, 230u);
}

}  // namespace
}  // namespace outpost::capture::proto
