#include "rules/indicator_value.h"

#include <cstring>

namespace outpost::rules {

namespace {

constexpr std::string_view kTypeNames[kIndicatorTypeCount] = {
    "domain", "ipv4", "ipv6", "url", "md5", "sha1", "sha256", "ja3", "ja3s", "x509_sha1", "ip_port",
};

constexpr std::string_view kValueErrorNames[] = {
    "none",    "empty",        "too long", "not a domain name", "bad address",
    "bad prefix length", "bad url", "bad hash", "bad port",
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decimal 0..max without sign; leading zeros allowed ("080" is 80).
bool parse_decimal(std::string_view s, unsigned max, unsigned& out) {
  if (s.empty() || s.size() > 10) return false;
  unsigned long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > max) return false;
  }
  out = static_cast<unsigned>(v);
  return true;
}

std::size_t append_decimal(unsigned v, char* out) {
  char tmp[12];
  std::size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (std::size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  return n;
}

// RFC 3986 §6.2.3: a scheme's default port is dropped from the authority.
unsigned default_port(std::string_view scheme) {
  if (scheme == "http" || scheme == "ws") return 80;
  if (scheme == "https" || scheme == "wss") return 443;
  if (scheme == "ftp") return 21;
  return 0;
}

}  // namespace

bool is_schemeless_url(std::string_view v) noexcept {
  if (v.find("://") != std::string_view::npos) return false;
  const std::size_t slash = v.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  std::string_view host = v.substr(0, slash);
  const std::size_t colon = host.rfind(':');
  if (colon != std::string_view::npos) {
    unsigned port = 0;
    if (!parse_decimal(host.substr(colon + 1), 65535, port) || port == 0) return false;
    host = host.substr(0, colon);
  }
  IpAddress ip;
  if (parse_ip(host, ip)) return ip.family == 4;
  char buf[kMaxDomainLength + 1];
  const std::size_t n = normalise_domain(host, buf, sizeof buf);
  return n != 0 && is_dns_name(std::string_view(buf, n), true);
}

std::string_view indicator_type_name(IndicatorType type) noexcept {
  const auto i = static_cast<std::size_t>(type);
  return i < kIndicatorTypeCount ? kTypeNames[i] : std::string_view("unknown");
}

bool parse_indicator_type(std::string_view name, IndicatorType& out) noexcept {
  for (std::size_t i = 0; i < kIndicatorTypeCount; ++i) {
    if (kTypeNames[i] == name) {
      out = static_cast<IndicatorType>(i);
      return true;
    }
  }
  return false;
}

std::string_view value_error_name(ValueError e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < sizeof kValueErrorNames / sizeof kValueErrorNames[0] ? kValueErrorNames[i]
                                                                  : std::string_view("unknown");
}

std::size_t digest_size(IndicatorType type) noexcept {
  switch (type) {
    case IndicatorType::md5:
    case IndicatorType::ja3:
    case IndicatorType::ja3s: return 16;
    case IndicatorType::sha1:
    case IndicatorType::x509_sha1: return 20;
    case IndicatorType::sha256: return 32;
    default: return 0;
  }
}

bool is_dns_name(std::string_view name, bool require_dot) noexcept {
  if (name.empty() || name.size() > kMaxDomainLength) return false;
  std::size_t label = 0, labels = 1;
  bool last_label_digits = true;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      ++labels;
      last_label_digits = true;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
    if (c < '0' || c > '9') last_label_digits = false;
  }
  if (label == 0) return false;
  if (require_dot && (labels < 2 || last_label_digits)) return false;
  return true;
}

std::size_t normalise_domain(std::string_view in, char* out, std::size_t cap) noexcept {
  in = trim(in);
  if (!in.empty() && in.back() == '.') in.remove_suffix(1);  // the root label (RFC 1034 §3.1)
  if (in.empty() || in.size() > cap || in.size() > kMaxDomainLength) return 0;
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = lower(in[i]);
  if (!is_dns_name(std::string_view(out, in.size()), false)) return 0;
  return in.size();
}

std::size_t normalise_url(std::string_view in, char* out, std::size_t cap) noexcept {
  in = trim(in);
  if (cap > kMaxUrlLength) cap = kMaxUrlLength;
  std::size_t n = 0;
  auto put = [&](char c) {
    if (n >= cap) return false;
    out[n++] = c;
    return true;
  };
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1), compared lowercase.
  const std::size_t sep = in.find("://");
  if (sep == 0 || sep == std::string_view::npos || sep > 32) return 0;
  for (std::size_t i = 0; i < sep; ++i) {
    const char c = lower(in[i]);
    const bool ok = (c >= 'a' && c <= 'z') || (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
    if (!ok || !put(c)) return 0;
  }
  const std::string_view scheme(out, n);
  const unsigned dport = default_port(scheme);
  for (char c : std::string_view("://")) put(c);

  std::string_view rest = in.substr(sep + 3);
  std::size_t auth_end = rest.find_first_of("/?#");
  if (auth_end == std::string_view::npos) auth_end = rest.size();
  std::string_view authority = rest.substr(0, auth_end);
  rest.remove_prefix(auth_end);
  // userinfo never travels in an HTTP request line or Host header: drop it (RFC 3986 §3.2.1).
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);

  std::string_view host, port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return 0;
    IpAddress ip;
    if (!parse_ip(authority.substr(1, close - 1), ip) || ip.family != 6) return 0;
    char buf[48];
    const std::size_t len = format_ip(ip, buf);
    if (!put('[')) return 0;
    for (std::size_t i = 0; i < len; ++i)
      if (!put(buf[i])) return 0;
    if (!put(']')) return 0;
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return 0;
      port = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    host = colon == std::string_view::npos ? authority : authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return 0;  // an IPv6 literal needs brackets
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    if (host.empty() || host.back() == '.') return 0;
    for (char c : host) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x7f || c == '[' || c == ']' || c == '\\') return 0;
      if (!put(lower(c))) return 0;
    }
  }
  // An empty port means "no port" (RFC 3986 §6.2.3).
  if (!port.empty()) {
    unsigned p = 0;
    if (!parse_decimal(port, 65535, p) || p == 0) return 0;
    if (p != dport) {
      char digits[12];
      const std::size_t len = append_decimal(p, digits);
      if (!put(':')) return 0;
      for (std::size_t i = 0; i < len; ++i)
        if (!put(digits[i])) return 0;
    }
  }
  // The fragment is never sent to a server (RFC 3986 §3.5).
  const std::size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  // An empty path is equivalent to "/" for http(s) (RFC 3986 §6.2.3).
  if (rest.empty() || rest.front() == '?')
    if (!put('/')) return 0;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    // Spaces and control characters are not URL characters (RFC 3986 §2); requests never
    // carry them unescaped.
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return 0;
    // Percent-encoding triplets compare case-insensitively: use uppercase (RFC 3986 §6.2.2.1).
    if (c == '%' && i + 2 < rest.size() && hex_digit(rest[i + 1]) >= 0 && hex_digit(rest[i + 2]) >= 0) {
      if (!put('%')) return 0;
      for (int k = 1; k <= 2; ++k) {
        char h = rest[i + static_cast<std::size_t>(k)];
        if (h >= 'a' && h <= 'f') h = static_cast<char>(h - 'a' + 'A');
        if (!put(h)) return 0;
      }
      i += 2;
      continue;
    }
    if (!put(c)) return 0;
  }
  return n;
}

bool parse_ip_prefix(std::string_view text, IpPrefix& out, bool* host_bits_cleared) noexcept {
  text = trim(text);
  const std::size_t slash = text.find('/');
  IpAddress ip;
  if (!parse_ip(text.substr(0, slash), ip)) return false;
  const unsigned full = ip.family == 4 ? 32 : 128;
  unsigned len = full;
  if (slash != std::string_view::npos) {
    // /0 would match every address: refused (rules/README.md, "Addresses").
    if (!parse_decimal(text.substr(slash + 1), full, len) || len == 0) return false;
  }
  bool cleared = false;
  const unsigned bytes = full / 8;
  for (unsigned i = 0; i < bytes; ++i) {
    const unsigned bit0 = i * 8;
    std::uint8_t mask = 0;
    if (bit0 + 8 <= len) mask = 0xff;
    else if (bit0 < len) mask = static_cast<std::uint8_t>(0xff << (8 - (len - bit0)));
    if ((ip.bytes[i] & ~mask) != 0) cleared = true;
    ip.bytes[i] = static_cast<std::uint8_t>(ip.bytes[i] & mask);
  }
  out.address = ip;
  out.length = static_cast<std::uint8_t>(len);
  if (host_bits_cleared) *host_bits_cleared = cleared;
  return true;
}

std::size_t format_ip_prefix(const IpPrefix& prefix, char* buf) noexcept {
  std::size_t n = format_ip(prefix.address, buf);
  const unsigned full = prefix.address.family == 4 ? 32 : 128;
  if (n != 0 && prefix.length != full) {
    buf[n++] = '/';
    n += append_decimal(prefix.length, buf + n);
  }
  buf[n] = '\0';
  return n;
}

bool parse_ip_port(std::string_view text, IpAddress& address, std::uint16_t& port) noexcept {
  text = trim(text);
  std::string_view addr, port_text;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
    addr = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) return false;
    addr = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  IpAddress ip;
  unsigned p = 0;
  if (!parse_ip(addr, ip) || !parse_decimal(port_text, 65535, p) || p == 0) return false;
  if ((text.front() == '[') != (ip.family == 6)) return false;
  address = ip;
  port = static_cast<std::uint16_t>(p);
  return true;
}

std::size_t format_ip_port(const IpAddress& address, std::uint16_t port, char* buf) noexcept {
  std::size_t n = 0;
  if (address.family == 6) buf[n++] = '[';
  const std::size_t len = format_ip(address, buf + n);
  if (len == 0) return 0;
  n += len;
  if (address.family == 6) buf[n++] = ']';
  buf[n++] = ':';
  n += append_decimal(port, buf + n);
  buf[n] = '\0';
  return n;
}

bool parse_hex(std::string_view hex, std::uint8_t* out, std::size_t n) noexcept {
  if (hex.size() != 2 * n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    const int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

void format_hex(const std::uint8_t* bytes, std::size_t n, char* buf) noexcept {
  static const char digits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) {
    buf[2 * i] = digits[bytes[i] >> 4];
    buf[2 * i + 1] = digits[bytes[i] & 15];
  }
}

ValueError normalise_indicator_value(IndicatorType type, std::string_view in, std::string& out,
                                     bool* host_bits_cleared) {
  in = trim(in);
  if (host_bits_cleared) *host_bits_cleared = false;
  if (in.empty()) return ValueError::empty;
  switch (type) {
    case IndicatorType::domain: {
      char buf[kMaxDomainLength + 1];
      if (in.size() > kMaxDomainLength + 1) return ValueError::too_long;
      const std::size_t n = normalise_domain(in, buf, sizeof buf);
      if (n == 0) return ValueError::bad_domain;
      out.assign(buf, n);
      return ValueError::none;
    }
    case IndicatorType::ipv4:
    case IndicatorType::ipv6: {
      IpPrefix p;
      const std::size_t slash = in.find('/');
      IpAddress ip;
      if (!parse_ip(in.substr(0, slash), ip)) return ValueError::bad_address;
      if (ip.family != (type == IndicatorType::ipv4 ? 4 : 6)) return ValueError::bad_address;
      if (!parse_ip_prefix(in, p, host_bits_cleared)) return ValueError::bad_prefix_length;
      char buf[64];
      out.assign(buf, format_ip_prefix(p, buf));
      return ValueError::none;
    }
    case IndicatorType::url: {
      if (in.size() > kMaxUrlLength) return ValueError::too_long;
      char buf[kMaxUrlLength];
      std::size_t n = 0;
      if (is_schemeless_url(in)) {
        // Feeds write "host/path" for http URLs (rules/README.md, "URLs").
        char with_scheme[kMaxUrlLength + 8];
        std::memcpy(with_scheme, "http://", 7);
        std::memcpy(with_scheme + 7, in.data(), in.size());
        n = normalise_url(std::string_view(with_scheme, in.size() + 7), buf, sizeof buf);
      } else {
        n = normalise_url(in, buf, sizeof buf);
      }
      if (n == 0) return ValueError::bad_url;
      out.assign(buf, n);
      return ValueError::none;
    }
    case IndicatorType::ip_port: {
      IpAddress ip;
      std::uint16_t port = 0;
      if (!parse_ip_port(in, ip, port)) return ValueError::bad_port;
      char buf[64];
      out.assign(buf, format_ip_port(ip, port, buf));
      return ValueError::none;
    }
    default: {
      const std::size_t size = digest_size(type);
      std::uint8_t bin[32];
      if (size == 0 || !parse_hex(in, bin, size)) return ValueError::bad_hash;
      char buf[64];
      format_hex(bin, size, buf);
      out.assign(buf, 2 * size);
      return ValueError::none;
    }
  }
}

}  // namespace outpost::rules
