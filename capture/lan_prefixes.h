#pragma once
// LanPrefixes: which addresses belong to the home network. They decide a flow's direction and
// which endpoint is the device an observation is attributed to. Default: RFC 1918, RFC 4193
// (fc00::/7) and link-local fe80::/10.

#include <string>
#include <string_view>
#include <vector>

#include "rules/observation.h"

namespace outpost::capture {

struct Prefix {
  rules::IpAddress network;
  unsigned bits = 0;
};

// Parses "a.b.c.d/n", "v6/n" or a bare address (a host prefix). Host bits are cleared.
// Returns false if malformed.
bool parse_prefix(std::string_view text, Prefix& out) noexcept;
bool prefix_contains(const Prefix& p, const rules::IpAddress& a) noexcept;

class LanPrefixes {
 public:
  // Throws std::invalid_argument("--lan: bad prefix 'x'") on a malformed prefix.
  explicit LanPrefixes(const std::vector<std::string>& prefixes);
  static LanPrefixes defaults();

  bool contains(const rules::IpAddress& a) const noexcept;
  const std::vector<Prefix>& prefixes() const noexcept { return prefixes_; }

 private:
  LanPrefixes() = default;
  std::vector<Prefix> prefixes_;
};

}  // namespace outpost::capture
