#pragma once
// HTTP/1.x request heads (RFC 9112): method, request-target, Host, User-Agent and the
// absolute URL, from one head (parse_http_request_head, e.g. an SSDP datagram) or from the
// client-to-server byte stream of a TCP connection (HttpRequestStream, keep-alive aware).
// No allocation, no exceptions, bounded buffers; results are views valid during the call.
//
// URL reconstruction follows tshark's http.request.full_uri exactly: "http://" + the Host
// value as sent (surrounding whitespace removed) + the request-target, except that an
// absolute-form target ("http://..." / "https://...", case-insensitive, RFC 9112 §3.2.2) and
// the target of CONNECT are used as they are. Without a Host field there is no URL.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace outpost::capture::proto {

inline constexpr std::size_t kHttpMaxHost = 256;   // longer Host values: host is cut, flagged
inline constexpr std::size_t kHttpMaxUrl = 4608;   // longer URLs are cut, flagged

// Fixed width, one name table (http_status_name).
enum class HttpStatus : std::uint8_t {
  ok = 0,
  not_http,          // no valid request line (RFC 9112 §3)
  head_too_large,    // the head exceeded the stream buffer; what fitted was reported
  bad_framing,       // invalid Content-Length or chunk size: body cannot be skipped, resync
  count_
};
inline constexpr std::size_t kHttpStatusCount = static_cast<std::size_t>(HttpStatus::count_);
std::string_view http_status_name(HttpStatus s) noexcept;

// One request head. Not copyable: the views point into the head bytes and into the struct's
// own buffers.
struct HttpRequestHead {
  HttpRequestHead() = default;
  HttpRequestHead(const HttpRequestHead&) = delete;
  HttpRequestHead& operator=(const HttpRequestHead&) = delete;

  std::string_view method;        // token as sent, e.g. "GET", "M-SEARCH"
  std::string_view target;        // request-target as sent (origin, absolute, authority or '*')
  std::string_view version;       // "HTTP/1.1"
  bool has_host = false;
  std::string_view host_raw;      // first Host field value as sent, whitespace trimmed
  std::string_view host;          // host_raw without ":port", ASCII-lowercased; an IPv6
                                  // literal keeps its brackets ("[ff02::c]")
  bool host_truncated = false;    // host longer than kHttpMaxHost (then cut)
  bool has_port = false;
  std::uint16_t port = 0;
  bool has_user_agent = false;
  std::string_view user_agent;    // first User-Agent value, whitespace trimmed
  std::string_view url;           // tshark's full_uri (see above); empty if no Host
  bool url_truncated = false;
  std::int64_t content_length = -1;  // -1: absent
  bool content_length_invalid = false;
  bool chunked = false;           // Transfer-Encoding ends with "chunked" (RFC 9112 §6.3)
  bool complete = true;           // false: head cut at the buffer bound, later fields unseen

  // Storage behind `host` and `url` (deliberately not zero-filled: one head per request).
  char host_buf[kHttpMaxHost];
  char url_buf[kHttpMaxUrl];
};

// True if `data` starts like an HTTP/1.x request: a known method (GET, POST, HEAD, PUT,
// DELETE, OPTIONS, CONNECT, TRACE, PATCH, WebDAV, SSDP/GENA ones) followed by one space and a
// non-space byte. Cheap enough for port-independent detection on a flow's first payload.
bool looks_like_http_request(const std::uint8_t* data, std::size_t len) noexcept;

// Parses one head: `data` holds the request line and header lines, up to and including the
// empty line (or fewer lines when the head was cut: set out.complete = false yourself then;
// an incomplete last line is ignored). Returns not_http when there is no valid request line.
HttpStatus parse_http_request_head(const std::uint8_t* data, std::size_t len,
                                   HttpRequestHead& out) noexcept;

class HttpVisitor {
 public:
  virtual ~HttpVisitor() = default;
  virtual void on_request(const HttpRequestHead& /*head*/) {}
};

// The client-to-server direction of one HTTP/1.x connection. Feed in-order payload bytes (see
// tcp_sequence.h); every request head is reported, including further requests on a
// keep-alive connection and pipelined ones in the same segment. Bodies are skipped by
// counting: Content-Length bytes, or the chunked framing (RFC 9112 §7.1). Heads spanning
// segments are accumulated in a kHeadBufferBytes buffer (zero-copy when a head is whole
// inside one segment); a longer head is reported as far as it fits (complete = false) and
// counted.
//
// Resynchronisation: when the stream does not start with a request (a flow picked up in the
// middle, a CONNECT/Upgrade tunnel, a body of unknown length, broken framing), the parser
// drops bytes until a segment STARTS with a known method token (looks_like_http_request),
// and counts it (resyncs()).
class HttpRequestStream {
 public:
  static constexpr std::size_t kHeadBufferBytes = 4096;

  HttpRequestStream() noexcept = default;
  HttpRequestStream(const HttpRequestStream&) = delete;
  HttpRequestStream& operator=(const HttpRequestStream&) = delete;

  // One TCP segment's new in-order bytes (segment boundaries matter for resynchronisation).
  void feed(const std::uint8_t* data, std::size_t len, HttpVisitor& visitor) noexcept;
  void reset() noexcept;

  std::uint64_t requests() const noexcept { return requests_; }
  std::uint64_t heads_too_large() const noexcept { return heads_too_large_; }
  std::uint64_t resyncs() const noexcept { return resyncs_; }
  std::uint64_t body_bytes_skipped() const noexcept { return body_skipped_; }

 private:
  enum class State : std::uint8_t {
    head,            // accumulating a head (request line first)
    discard_head,    // after an oversized head: drop until its end
    body,            // skipping Content-Length bytes
    chunk_size,      // chunked: reading a chunk-size line
    chunk_data,      // chunked: skipping chunk data
    chunk_data_end,  // chunked: the CRLF after chunk data
    trailers,        // chunked: trailer lines until an empty line
    resync,          // waiting for a segment that starts with a method token
  };

  std::size_t consume_head(const std::uint8_t* p, std::size_t n, HttpVisitor& visitor) noexcept;
  void head_done(const std::uint8_t* head, std::size_t len, bool complete, HttpVisitor& visitor) noexcept;
  std::size_t consume_line(const std::uint8_t* p, std::size_t n, bool& line_end) noexcept;
  void start_resync() noexcept;

  State state_ = State::head;
  std::size_t buffered_ = 0;
  std::size_t scanned_ = 0;         // bytes of buffer_ already searched for the end of head
  std::uint8_t tail_ = 0;           // discard_head/trailers: recent line-ending state
  std::uint64_t remaining_ = 0;     // body / chunk bytes left
  bool chunked_after_head_ = false; // the head being discarded announced chunked
  std::int64_t length_after_head_ = -1;
  bool line_empty_ = true;          // chunk-size / trailer line: nothing but CR so far
  bool chunk_size_valid_ = false;
  bool chunk_ext_ = false;          // past ';' (chunk extension)
  std::uint64_t chunk_size_ = 0;
  std::uint8_t chunk_digits_ = 0;

  std::uint64_t requests_ = 0, heads_too_large_ = 0, resyncs_ = 0, body_skipped_ = 0;
  std::uint8_t buffer_[kHeadBufferBytes];
};

}  // namespace outpost::capture::proto
