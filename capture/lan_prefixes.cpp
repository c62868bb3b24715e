#include "capture/lan_prefixes.h"

#include <stdexcept>

namespace outpost::capture {

bool parse_prefix(std::string_view text, Prefix& out) noexcept {
  const auto slash = text.find('/');
  rules::IpAddress ip;
  if (!rules::parse_ip(text.substr(0, slash), ip)) return false;
  const unsigned max_bits = ip.family == 4 ? 32 : 128;
  unsigned bits = max_bits;
  if (slash != std::string_view::npos) {
    const std::string_view b = text.substr(slash + 1);
    if (b.empty() || b.size() > 3) return false;
    bits = 0;
    for (const char c : b) {
      if (c < '0' || c > '9') return false;
      bits = bits * 10 + static_cast<unsigned>(c - '0');
    }
    if (bits > max_bits) return false;
  }
  for (unsigned i = 0; i < max_bits / 8; ++i) {
    const unsigned keep = bits > i * 8 ? (bits - i * 8 >= 8 ? 8 : bits - i * 8) : 0;
    ip.bytes[i] &= static_cast<std::uint8_t>(keep == 0 ? 0 : 0xFF << (8 - keep));
  }
  out.network = ip;
  out.bits = bits;
  return true;
}

bool prefix_contains(const Prefix& p, const rules::IpAddress& a) noexcept {
  if (a.family != p.network.family) return false;
  unsigned bits = p.bits;
  for (unsigned i = 0; bits > 0; ++i) {
    const unsigned n = bits >= 8 ? 8 : bits;
    const auto mask = static_cast<std::uint8_t>(0xFF << (8 - n));
    if ((a.bytes[i] & mask) != p.network.bytes[i]) return false;
    bits -= n;
  }
  return true;
}

LanPrefixes::LanPrefixes(const std::vector<std::string>& prefixes) {
  for (const auto& s : prefixes) {
    Prefix p;
    if (!parse_prefix(s, p)) throw std::invalid_argument("--lan: bad prefix '" + s + "' (expected ADDRESS/BITS)");
    prefixes_.push_back(p);
  }
}

LanPrefixes LanPrefixes::defaults() {
  return LanPrefixes({"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fe80::/10"});
}

bool LanPrefixes::contains(const rules::IpAddress& a) const noexcept {
  for (const auto& p : prefixes_)
    if (prefix_contains(p, a)) return true;
  return false;
}

}  // namespace outpost::capture
