#include "capture/proto/http_request.h"

#include <cstring>

namespace outpost::capture::proto {

namespace {

constexpr std::string_view kHttpStatusNames[kHttpStatusCount] = {
    "ok", "not_http", "head_too_large", "bad_framing",
};

// Methods recognised at the start of a stream (RFC 9110 §9, WebDAV RFC 4918, SSDP/GENA).
// Method names are case-sensitive (RFC 9110 §9.1).
constexpr std::string_view kMethods[] = {
    "GET",      "POST",      "HEAD",   "PUT",    "DELETE", "OPTIONS",  "CONNECT",
    "TRACE",    "PATCH",     "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE",
    "LOCK",     "UNLOCK",    "SEARCH", "REPORT", "M-SEARCH", "NOTIFY", "SUBSCRIBE",
    "UNSUBSCRIBE",
};

enum class Prefix : std::uint8_t { yes, no, maybe };

// Whether data starts with "<known method> <non-space>", cannot (no), or is too short to tell.
Prefix request_prefix(const std::uint8_t* p, std::size_t n) noexcept {
  bool maybe = false;
  for (std::string_view m : kMethods) {
    const std::size_t k = n < m.size() ? n : m.size();
    if (std::memcmp(p, m.data(), k) != 0) continue;
    if (n <= m.size()) {
      maybe = true;
      continue;
    }
    if (p[m.size()] != ' ') continue;
    if (n == m.size() + 1) {
      maybe = true;
      continue;
    }
    if (p[m.size() + 1] != ' ') return Prefix::yes;
  }
  return maybe ? Prefix::maybe : Prefix::no;
}

// RFC 9110 §5.6.2 tchar.
bool is_tchar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

// Trims what g_strstrip (tshark's URL) and OWS rules (RFC 9110 §5.5) remove.
std::string_view trim(std::string_view s) noexcept {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool parse_decimal(std::string_view s, std::uint64_t max, std::uint64_t& out) noexcept {
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
    if (v > max) return false;
  }
  out = v;
  return true;
}

// RFC 9110 §8.6: Content-Length = 1*DIGIT; a list of identical values may be accepted.
bool parse_content_length(std::string_view value, std::int64_t& out) noexcept {
  std::int64_t found = -1;
  while (true) {
    const std::size_t comma = value.find(',');
    const std::string_view item = trim(value.substr(0, comma));
    std::uint64_t v = 0;
    if (!parse_decimal(item, std::uint64_t{1} << 62, v)) return false;
    if (found >= 0 && static_cast<std::uint64_t>(found) != v) return false;
    found = static_cast<std::int64_t>(v);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  out = found;
  return true;
}

// RFC 9112 §6.3: chunked framing applies when chunked is the final transfer coding.
bool ends_with_chunked(std::string_view value) noexcept {
  const std::size_t comma = value.rfind(',');
  std::string_view last = trim(comma == std::string_view::npos ? value : value.substr(comma + 1));
  const std::size_t semi = last.find(';');
  if (semi != std::string_view::npos) last = trim(last.substr(0, semi));
  return iequals(last, "chunked");
}

// RFC 9110 §7.2: Host = uri-host [ ":" port ]; an IPv6 literal is bracketed (RFC 3986 §3.2.2).
void split_host(HttpRequestHead& h) noexcept {
  std::string_view name = h.host_raw;
  std::string_view port;
  bool port_field = false;
  if (!name.empty() && name.front() == '[') {
    const std::size_t close = name.find(']');
    if (close != std::string_view::npos && close + 1 < name.size() && name[close + 1] == ':') {
      port = name.substr(close + 2);
      port_field = true;
      name = name.substr(0, close + 1);
    }
  } else {
    const std::size_t colon = name.rfind(':');
    // More than one ':' without brackets is an IPv6 address sent bare, not host:port.
    if (colon != std::string_view::npos && name.find(':') == colon) {
      port = name.substr(colon + 1);
      port_field = true;
      name = name.substr(0, colon);
    }
  }
  std::uint64_t value = 0;
  if (port_field && !port.empty()) {
    if (parse_decimal(port, 65535, value)) {
      h.has_port = true;
      h.port = static_cast<std::uint16_t>(value);
    } else {
      name = h.host_raw;  // not a port: keep the whole value as the host
    }
  }
  // An empty port ("host:", RFC 3986 §3.2.3) leaves the bare host.
  const std::size_t n = name.size() < kHttpMaxHost ? name.size() : kHttpMaxHost;
  h.host_truncated = name.size() > kHttpMaxHost;
  for (std::size_t i = 0; i < n; ++i) h.host_buf[i] = lower(name[i]);
  h.host = std::string_view(h.host_buf, n);
}

void build_url(HttpRequestHead& h) noexcept {
  if (istarts_with(h.target, "http://") || istarts_with(h.target, "https://") ||
      istarts_with(h.method, "CONNECT")) {
    h.url = h.target;
    return;
  }
  if (!h.has_host) return;
  std::size_t n = 0;
  auto put = [&](std::string_view s) {
    for (char c : s) {
      if (n == kHttpMaxUrl) {
        h.url_truncated = true;
        return;
      }
      h.url_buf[n++] = c;
    }
  };
  put("http://");
  put(h.host_raw);
  put(h.target);
  h.url = std::string_view(h.url_buf, n);
}

// End of a head in p[from, n): the index just past "\n\n" or "\n\r\n", or 0 if absent.
std::size_t find_head_end(const std::uint8_t* p, std::size_t n, std::size_t from) noexcept {
  for (std::size_t i = from; i < n; ++i) {
    if (p[i] != '\n') continue;
    if (i + 1 < n && p[i + 1] == '\n') return i + 2;
    if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n') return i + 3;
  }
  return 0;
}

}  // namespace

std::string_view http_status_name(HttpStatus s) noexcept {
  const auto i = static_cast<std::size_t>(s);
  return i < kHttpStatusCount ? kHttpStatusNames[i] : std::string_view("unknown");
}

bool looks_like_http_request(const std::uint8_t* data, std::size_t len) noexcept {
  return data != nullptr && request_prefix(data, len) == Prefix::yes;
}

HttpStatus parse_http_request_head(const std::uint8_t* data, std::size_t len,
                                   HttpRequestHead& out) noexcept {
  out.method = out.target = out.version = out.host_raw = out.host = out.user_agent = out.url = {};
  out.has_host = out.host_truncated = out.has_port = out.has_user_agent = false;
  out.url_truncated = out.content_length_invalid = out.chunked = false;
  out.port = 0;
  out.content_length = -1;
  out.complete = true;
  if (data == nullptr) return HttpStatus::not_http;
  const std::string_view text(reinterpret_cast<const char*>(data), len);

  // Request line (RFC 9112 §3): method SP request-target SP HTTP-version, CRLF or bare LF.
  std::size_t eol = text.find('\n');
  if (eol == std::string_view::npos) return HttpStatus::not_http;
  std::string_view line = text.substr(0, eol);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return HttpStatus::not_http;
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return HttpStatus::not_http;
  out.method = line.substr(0, sp1);
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  out.version = line.substr(sp2 + 1);
  for (char c : out.method)
    if (!is_tchar(c)) return HttpStatus::not_http;
  const std::string_view v = out.version;
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
      v[7] < '0' || v[7] > '9')
    return HttpStatus::not_http;

  // Field lines (RFC 9112 §5) up to the empty line; a cut last line is ignored.
  std::size_t pos = eol + 1;
  while (pos < text.size()) {
    eol = text.find('\n', pos);
    if (eol == std::string_view::npos) break;
    line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if (is_ows(line.front())) continue;  // obs-fold continuation (RFC 9112 §5.2): ignored
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "host")) {
      if (!out.has_host) {
        out.has_host = true;
        out.host_raw = value;
      }
    } else if (iequals(name, "user-agent")) {
      if (!out.has_user_agent) {
        out.has_user_agent = true;
        out.user_agent = value;
      }
    } else if (iequals(name, "content-length")) {
      std::int64_t n = -1;
      if (!parse_content_length(value, n) || (out.content_length >= 0 && out.content_length != n)) {
        out.content_length_invalid = true;
      } else {
        out.content_length = n;
      }
    } else if (iequals(name, "transfer-encoding")) {
      out.chunked = ends_with_chunked(value);
    }
  }
  if (out.has_host) split_host(out);
  build_url(out);
  return HttpStatus::ok;
}

// ---- HttpRequestStream ---------------------------------------------------------------------

void HttpRequestStream::reset() noexcept {
  state_ = State::head;
  buffered_ = scanned_ = 0;
  tail_ = 0;
  remaining_ = 0;
  chunked_after_head_ = false;
  length_after_head_ = -1;
  line_empty_ = true;
  chunk_size_valid_ = chunk_ext_ = false;
  chunk_size_ = 0;
  chunk_digits_ = 0;
  requests_ = heads_too_large_ = resyncs_ = body_skipped_ = 0;
}

void HttpRequestStream::start_resync() noexcept {
  ++resyncs_;
  state_ = State::resync;
  buffered_ = scanned_ = 0;
}

void HttpRequestStream::feed(const std::uint8_t* data, std::size_t len, HttpVisitor& visitor) noexcept {
  if (data == nullptr || len == 0) return;
  if (state_ == State::resync) {
    // Only a segment that starts with a request line brings us back (or one too short to
    // tell, whose bytes are then checked again as the head grows).
    if (request_prefix(data, len) == Prefix::no) return;
    state_ = State::head;
    buffered_ = scanned_ = 0;
  }
  while (len != 0) {
    std::size_t used = 0;
    switch (state_) {
      case State::head:
        used = consume_head(data, len, visitor);
        break;
      case State::discard_head: {
        // Find the end of the oversized head: LF, optional CR, LF.
        bool end = false;
        while (used < len && !end) {
          const std::uint8_t b = data[used++];
          if (b == '\n') {
            if (tail_ != 0) end = true;
            tail_ = 1;
          } else if (b == '\r') {
            tail_ = tail_ == 1 ? 2 : 0;
          } else {
            tail_ = 0;
          }
        }
        if (end) {
          if (chunked_after_head_) {
            state_ = State::chunk_size;
            chunk_size_ = 0;
            chunk_digits_ = 0;
            chunk_size_valid_ = chunk_ext_ = false;
          } else if (length_after_head_ > 0) {
            state_ = State::body;
            remaining_ = static_cast<std::uint64_t>(length_after_head_);
          } else if (length_after_head_ == -2) {
            start_resync();
          } else {
            state_ = State::head;
          }
        }
        break;
      }
      case State::body:
      case State::chunk_data: {
        const std::uint64_t k = remaining_ < len ? remaining_ : len;
        used = static_cast<std::size_t>(k);
        remaining_ -= k;
        body_skipped_ += k;
        if (remaining_ == 0) state_ = state_ == State::body ? State::head : State::chunk_data_end;
        break;
      }
      case State::chunk_size: {
        // RFC 9112 §7.1: chunk-size [ chunk-ext ] CRLF.
        while (used < len && state_ == State::chunk_size) {
          const char c = static_cast<char>(data[used++]);
          if (c == '\n') {
            if (!chunk_size_valid_) return start_resync();
            if (chunk_size_ == 0) {
              state_ = State::trailers;
              line_empty_ = true;
            } else {
              state_ = State::chunk_data;
              remaining_ = chunk_size_;
            }
          } else if (c == '\r') {
          } else if (!chunk_ext_ && ((c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'f'))) {
            if (++chunk_digits_ > 15) return start_resync();
            const int d = c <= '9' ? c - '0' : lower(c) - 'a' + 10;
            chunk_size_ = chunk_size_ * 16 + static_cast<std::uint64_t>(d);
            chunk_size_valid_ = true;
          } else if (c == ';' || is_ows(c)) {
            chunk_ext_ = true;
          } else if (!chunk_ext_) {
            return start_resync();
          }
        }
        break;
      }
      case State::chunk_data_end: {
        const std::uint8_t b = data[used++];
        if (b == '\n') {
          state_ = State::chunk_size;
          chunk_size_ = 0;
          chunk_digits_ = 0;
          chunk_size_valid_ = chunk_ext_ = false;
        } else if (b != '\r') {
          return start_resync();
        }
        break;
      }
      case State::trailers: {
        while (used < len && state_ == State::trailers) {
          const std::uint8_t b = data[used++];
          if (b == '\n') {
            if (line_empty_) state_ = State::head;
            line_empty_ = true;
          } else if (b != '\r') {
            line_empty_ = false;
          }
        }
        break;
      }
      case State::resync:
        return;  // the rest of this segment is dropped
    }
    data += used;
    len -= used;
  }
}

std::size_t HttpRequestStream::consume_head(const std::uint8_t* p, std::size_t n,
                                            HttpVisitor& visitor) noexcept {
  if (buffered_ == 0) {
    // RFC 9112 §2.2: empty lines before a request line are ignored.
    std::size_t skip = 0;
    while (skip < n && (p[skip] == '\r' || p[skip] == '\n')) ++skip;
    if (skip != 0) return skip;
    const Prefix start = request_prefix(p, n);
    if (start == Prefix::no) {
      start_resync();
      return n;
    }
    if (start == Prefix::yes) {
      const std::size_t end = find_head_end(p, n, 0);
      if (end != 0) {  // the whole head is in this segment: no copy
        head_done(p, end, true, visitor);
        return end;
      }
    }
  }
  const std::size_t room = kHeadBufferBytes - buffered_;
  const std::size_t take = n < room ? n : room;
  std::memcpy(buffer_ + buffered_, p, take);
  const std::size_t before = buffered_;
  buffered_ += take;
  if (before < 16 && request_prefix(buffer_, buffered_) == Prefix::no) {
    start_resync();
    return n;
  }
  const std::size_t end = find_head_end(buffer_, buffered_, scanned_ >= 2 ? scanned_ - 2 : 0);
  scanned_ = buffered_;
  if (end != 0) {
    const std::size_t used = end - before;
    buffered_ = scanned_ = 0;
    head_done(buffer_, end, true, visitor);
    return used;
  }
  if (buffered_ == kHeadBufferBytes) {
    ++heads_too_large_;
    // Track the line-ending state at the end of the buffer for discard_head.
    tail_ = 0;
    for (std::size_t i = buffered_ >= 2 ? buffered_ - 2 : 0; i < buffered_; ++i) {
      if (buffer_[i] == '\n') tail_ = 1;
      else if (buffer_[i] == '\r') tail_ = tail_ == 1 ? 2 : 0;
      else tail_ = 0;
    }
    buffered_ = scanned_ = 0;
    head_done(buffer_, kHeadBufferBytes, false, visitor);
  }
  return take;
}

void HttpRequestStream::head_done(const std::uint8_t* head, std::size_t len, bool complete,
                                  HttpVisitor& visitor) noexcept {
  HttpRequestHead h;
  if (parse_http_request_head(head, len, h) != HttpStatus::ok) {
    start_resync();
    return;
  }
  h.complete = complete;
  ++requests_;
  visitor.on_request(h);
  if (!complete) {
    state_ = State::discard_head;
    chunked_after_head_ = h.chunked;
    length_after_head_ = h.content_length_invalid ? -2 : h.content_length;
    return;
  }
  if (h.chunked) {
    state_ = State::chunk_size;
    chunk_size_ = 0;
    chunk_digits_ = 0;
    chunk_size_valid_ = chunk_ext_ = false;
  } else if (h.content_length_invalid) {
    start_resync();
  } else if (h.content_length > 0) {
    state_ = State::body;
    remaining_ = static_cast<std::uint64_t>(h.content_length);
  } else {
    state_ = State::head;
  }
}

}  // namespace outpost::capture::proto
