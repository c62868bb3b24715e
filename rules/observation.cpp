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

std::size_t format_ip(const IpAddress& ip, char* buf) noexcept {
  // inet_ntop follows RFC 5952 (lowercase, longest zero run compressed) on glibc and musl.
  const int af = ip.family == 4 ? AF_INET : ip.family == 6 ? AF_INET6 : 0;
  if (af == 0 || inet_ntop(af, ip.bytes, buf, 46) == nullptr) {
    buf[0] = '\0';
    return 0;
  }
  return std::strlen(buf);
}

bool parse_ip(std::string_view text, IpAddress& out) noexcept {
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
