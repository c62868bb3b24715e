#include "rules/observation.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>

namespace outpost::rules {

namespace {
constexpr std::string_view kKindNames[kObservationKindCount] = {
    "dns_query",        "dns_answer",      "tls_sni",           "quic_sni",
    "http_host",        "http_url",        "http_user_agent",   "ja3",
    "ja3s",             "ja4",             "x509_sha1",         "src_ip",
    "dst_ip",           "ip_port",         "http_file_sha256",  "http_file_md5",
    "http_file_sha1",   "http_upload_sha256", "http_upload_md5", "http_upload_sha1",
};
}  // namespace

std::string_view observation_kind_name(ObservationKind kind) noexcept {
  const auto i = static_cast<std::size_t>(kind);
  return i < kObservationKindCount ? kKindNames[i] : std::string_view("unknown");
}

bool parse_observation_kind(std::string_view name, ObservationKind& out) noexcept {
  for (std::size_t i = 0; i < kObservationKindCount; ++i) {
    if (kKindNames[i] == name) {
      out = static_cast<ObservationKind>(i);
      return true;
    }
  }
  return false;
}

bool operator==(const IpAddress& a, const IpAddress& b) noexcept {
  if (a.family != b.family) return false;
  const std::size_t n = a.family == 4 ? 4 : a.family == 6 ? 16 : 0;
  return std::memcmp(a.bytes, b.bytes, n) == 0;
}

namespace {
char* put_decimal(char* p, unsigned v) noexcept {
  if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
  if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
  *p++ = static_cast<char>('0' + v % 10);
  return p;
}

char* put_ipv4(char* p, const std::uint8_t* b) noexcept {
  for (int i = 0; i < 4; ++i) {
    if (i) *p++ = '.';
    p = put_decimal(p, b[i]);
  }
  return p;
}
}  // namespace

// Hand-written rather than inet_ntop (which goes through sprintf and costs ~2,000
// instructions an address on the packet path); the output is the same as glibc's: RFC 5952
// §4 (lowercase, no leading zeros, the longest run of two or more zero groups — the first on
// a tie — as "::") and the dotted form for IPv4-compatible and IPv4-mapped addresses (§5).
std::size_t format_ip(const IpAddress& ip, char* buf) noexcept {
  char* p = buf;
  if (ip.family == 4) {
    p = put_ipv4(p, ip.bytes);
  } else if (ip.family == 6) {
    unsigned words[8];
    for (int i = 0; i < 8; ++i) words[i] = static_cast<unsigned>(ip.bytes[2 * i] << 8 | ip.bytes[2 * i + 1]);
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
      if (words[i] != 0) {
        ++i;
        continue;
      }
      int j = i;
      while (j < 8 && words[j] == 0) ++j;
      if (j - i > best_len) best = i, best_len = j - i;
      i = j;
    }
    if (best_len < 2) best = -1;
    static const char* hex = "0123456789abcdef";
    for (int i = 0; i < 8; ++i) {
      if (i == best) {
        *p++ = ':';
        if (best + best_len == 8) *p++ = ':';
        i += best_len - 1;
        continue;
      }
      if (i != 0) *p++ = ':';
      if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
        p = put_ipv4(p, ip.bytes + 12);
        break;
      }
      const unsigned w = words[i];
      bool started = false;
      for (int shift = 12; shift >= 0; shift -= 4) {
        const unsigned d = (w >> shift) & 15;
        if (d != 0 || started || shift == 0) {
          *p++ = hex[d];
          started = true;
        }
      }
    }
  }
  *p = '\0';
  return static_cast<std::size_t>(p - buf);
}

namespace {
// Dotted-quad IPv4 exactly as inet_pton(AF_INET) reads it (four decimal parts 0..255, no
// leading zeros), without the copy and strlen it needs: addresses are parsed on the match path.
bool parse_ipv4(std::string_view text, std::uint8_t* out) noexcept {
  std::size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= text.size() || text[i] != '.') return false;
      ++i;
    }
    unsigned v = 0, digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (digits > 0 && v == 0) return false;  // a leading zero
      v = v * 10 + static_cast<unsigned>(text[i] - '0');
      if (++digits > 3 || v > 255) return false;
      ++i;
    }
    if (digits == 0) return false;
    out[part] = static_cast<std::uint8_t>(v);
  }
  return i == text.size();
}
}  // namespace

bool parse_ip(std::string_view text, IpAddress& out) noexcept {
  if (!text.empty() && text.size() <= 15 && text.find(':') == std::string_view::npos) {
    IpAddress ip;
    if (!parse_ipv4(text, ip.bytes)) return false;
    ip.family = 4;
    out = ip;
    return true;
  }
  char tmp[64];
  if (text.empty() || text.size() >= sizeof tmp) return false;
  std::memcpy(tmp, text.data(), text.size());
  tmp[text.size()] = '\0';
  IpAddress ip;
  if (text.find(':') != std::string_view::npos) {
    if (inet_pton(AF_INET6, tmp, ip.bytes) != 1) return false;
    ip.family = 6;
  } else {
    if (inet_pton(AF_INET, tmp, ip.bytes) != 1) return false;
    ip.family = 4;
  }
  out = ip;
  return true;
}

std::string_view direction_name(Direction d) noexcept {
  switch (d) {
    case Direction::outbound: return "outbound";
    case Direction::inbound: return "inbound";
    case Direction::internal: return "internal";
    case Direction::external: return "external";
  }
  return "external";
}

}  // namespace outpost::rules
