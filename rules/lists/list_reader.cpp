#include "rules/lists/list_reader.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace outpost::rules::lists {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

bool all_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

// Splits a byte stream into lines, bounded by kMaxLineLength.
class LineSplitter {
 public:
  explicit LineSplitter(const std::function<void(std::uint64_t, std::string_view, bool)>& cb) : cb_(cb) {
    line_.reserve(kMaxLineLength);
  }
  void feed(const char* p, std::size_t n) {
    while (n > 0) {
      const void* nl = std::memchr(p, '\n', n);
      const std::size_t take = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - p) : n;
      append(p, take);
      if (!nl) return;
      emit();
      p += take + 1;
      n -= take + 1;
    }
  }
  void finish() {
    if (!line_.empty() || too_long_) emit();
  }

 private:
  void append(const char* p, std::size_t n) {
    const std::size_t room = kMaxLineLength - line_.size();
    if (n > room) {
      too_long_ = true;
      n = room;
    }
    line_.append(p, n);
  }
  void emit() {
    ++number_;
    std::string_view l(line_);
    if (number_ == 1 && l.size() >= 3 && l.compare(0, 3, "\xEF\xBB\xBF") == 0) l.remove_prefix(3);  // UTF-8 BOM
    cb_(number_, l, too_long_);
    line_.clear();
    too_long_ = false;
  }
  const std::function<void(std::uint64_t, std::string_view, bool)>& cb_;
  std::string line_;
  bool too_long_ = false;
  std::uint64_t number_ = 0;
};

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

}  // namespace

ListSpec parse_list_spec(std::string_view arg) {
  ListSpec spec;
  const std::size_t colon = arg.find(':');
  IndicatorType t;
  if (colon != std::string_view::npos && parse_indicator_type(arg.substr(0, colon), t)) {
    spec.kind = t;
    spec.path.assign(arg.substr(colon + 1));
  } else {
    spec.path.assign(arg);
  }
  return spec;
}

bool classify_list_value(std::string_view v, IndicatorType& out) noexcept {
  if (v.empty()) return false;
  if (v.find("://") != std::string_view::npos) {
    char buf[kMaxUrlLength];
    if (normalise_url(v, buf, sizeof buf) == 0) return false;
    out = IndicatorType::url;
    return true;
  }
  IpAddress ip;
  std::uint16_t port = 0;
  if (v.front() == '[') {
    if (!parse_ip_port(v, ip, port)) return false;
    out = IndicatorType::ip_port;
    return true;
  }
  IpPrefix prefix;
  if (parse_ip_prefix(v, prefix)) {
    out = prefix.address.family == 4 ? IndicatorType::ipv4 : IndicatorType::ipv6;
    return true;
  }
  if (parse_ip_port(v, ip, port)) {
    out = IndicatorType::ip_port;
    return true;
  }
  if (is_schemeless_url(v)) {  // "host/path": an http URL (after CIDRs, which also have '/')
    out = IndicatorType::url;
    return true;
  }
  if (all_hex(v)) {
    if (v.size() == 32) return out = IndicatorType::md5, true;
    if (v.size() == 40) return out = IndicatorType::sha1, true;
    if (v.size() == 64) return out = IndicatorType::sha256, true;
  }
  char buf[kMaxDomainLength + 1];
  const std::size_t n = normalise_domain(v, buf, sizeof buf);
  if (n != 0 && is_dns_name(std::string_view(buf, n), true)) {
    out = IndicatorType::domain;
    return true;
  }
  return false;
}

ListLine split_list_line(std::string_view line) noexcept {
  ListLine out;
  while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
  while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
  if (line.empty() || line.front() == '#') return out;
  std::size_t end = 0;
  while (end < line.size() && !is_space(line[end])) ++end;
  std::string_view rest = line.substr(end);
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  if (!rest.empty() && rest.front() != '#') {
    out.kind = LineKind::invalid;
    out.reason = "more than one value on the line";
    return out;
  }
  out.kind = LineKind::value;
  out.value = line.substr(0, end);
  return out;
}

std::string read_list_file(const std::string& path,
                           const std::function<void(std::uint64_t, std::string_view, bool)>& on_line) {
  // gzopen reads plain files unchanged too (zlib "transparent" mode).
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  if (!f) return path + ": cannot open: " + std::strerror(errno ? errno : ENOMEM);
  gzbuffer(f.get(), 128 * 1024);
  LineSplitter splitter(on_line);
  auto buf = std::make_unique<char[]>(64 * 1024);
  for (;;) {
    const int n = gzread(f.get(), buf.get(), 64 * 1024);
    if (n < 0) {
      int code = 0;
      return path + ": gzip: " + gzerror(f.get(), &code);
    }
    if (n == 0) break;
    splitter.feed(buf.get(), static_cast<std::size_t>(n));
  }
  int code = 0;
  const char* msg = gzerror(f.get(), &code);
  if (code != Z_OK && code != Z_STREAM_END) return path + ": gzip: " + msg;
  splitter.finish();
  return {};
}

void read_list_memory(std::string_view text,
                      const std::function<void(std::uint64_t, std::string_view, bool)>& on_line) {
  LineSplitter splitter(on_line);
  splitter.feed(text.data(), text.size());
  splitter.finish();
}

std::string sniff_json(const std::string& path, bool& is_json) {
  is_json = false;
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  if (!f) return path + ": cannot open: " + std::strerror(errno ? errno : ENOMEM);
  char buf[4096];
  const int n = gzread(f.get(), buf, sizeof buf);
  if (n < 0) {
    int code = 0;
    return path + ": gzip: " + gzerror(f.get(), &code);
  }
  std::string_view s(buf, static_cast<std::size_t>(n));
  if (s.size() >= 3 && s.compare(0, 3, "\xEF\xBB\xBF") == 0) s.remove_prefix(3);
  while (!s.empty() && (is_space(s.front()) || s.front() == '\n')) s.remove_prefix(1);
  is_json = !s.empty() && s.front() == '{';
  return {};
}

}  // namespace outpost::rules::lists
