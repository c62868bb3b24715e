#pragma once
// Indicator types and the canonical text of indicator values. Every value that enters an
// indicator set is first normalised here, and observed values are normalised the same way
// before lookup, so "EVIL.com." in a feed and "evil.com" on the wire meet. The canonical text
// is also what list-entry ids are derived from (`<type>:<canonical value>`) and what a match
// reports as its matched term. Rules are documented in rules/README.md ("Values").

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rules/observation.h"

namespace outpost::rules {

// What an indicator value is. The names are a contract: they are the KIND of `KIND:FILE`
// list arguments and the prefix of list-entry id names.
enum class IndicatorType : std::uint8_t {
  domain = 0,  // DNS name; matched against names seen in DNS, SNI and Host
  ipv4,        // IPv4 address or network (CIDR)
  ipv6,        // IPv6 address or network (CIDR)
  url,         // absolute URL
  md5,         // file hashes (HTTP bodies)
  sha1,
  sha256,
  ja3,         // JA3 of a TLS ClientHello (MD5 hex)
  ja3s,        // JA3S of a TLS ServerHello (MD5 hex)
  x509_sha1,   // SHA-1 of a DER certificate
  ip_port,     // address:port of a flow's remote end
  count_       // number of types; not a type
};
inline constexpr std::size_t kIndicatorTypeCount = static_cast<std::size_t>(IndicatorType::count_);

std::string_view indicator_type_name(IndicatorType type) noexcept;
bool parse_indicator_type(std::string_view name, IndicatorType& out) noexcept;

// Why a value was refused. Fixed width, one name table (value_error_name).
enum class ValueError : std::uint8_t {
  none = 0,
  empty,
  too_long,
  bad_domain,         // not a DNS name (labels of [a-z0-9_-], 1..63 bytes, at most 253 in all)
  bad_address,        // not an IPv4/IPv6 address of the expected family
  bad_prefix_length,  // "/nn" missing digits, out of range, or /0
  bad_url,            // no scheme://host, bad port
  bad_hash,           // not hex of the type's exact length
  bad_port,
};
std::string_view value_error_name(ValueError e) noexcept;

inline constexpr std::size_t kMaxDomainLength = 253;  // RFC 1035 §2.3.4, without the root dot
inline constexpr std::size_t kMaxUrlLength = 2048;    // longer URLs are refused (too_long)

// Bytes of the binary key of a digest type (md5/ja3/ja3s 16, sha1/x509_sha1 20, sha256 32),
// 0 for other types.
std::size_t digest_size(IndicatorType type) noexcept;

// Normalises `in` as a value of `type` into `out` (canonical text, see rules/README.md).
// `host_bits_cleared` (may be null) is set when an address prefix had host bits set and was
// replaced by its network.
ValueError normalise_indicator_value(IndicatorType type, std::string_view in, std::string& out,
                                     bool* host_bits_cleared = nullptr);

// Fixed-buffer forms used on the match path (no allocation). They return the length written,
// 0 when the input is not a valid value (or does not fit in cap).
std::size_t normalise_domain(std::string_view in, char* out, std::size_t cap) noexcept;
std::size_t normalise_url(std::string_view in, char* out, std::size_t cap) noexcept;

// "host/path" without a scheme, where host is a DNS name (two labels or more) or an IPv4
// address, optionally with :port. Such URL values are read as http:// URLs.
bool is_schemeless_url(std::string_view value) noexcept;

// True for a lowercase DNS name as produced by normalise_domain; with require_dot, single
// labels ("localhost") and names whose last label is all digits are refused too.
bool is_dns_name(std::string_view name, bool require_dot) noexcept;

// An address with a prefix length; host bits are always clear.
struct IpPrefix {
  IpAddress address;
  std::uint8_t length = 0;  // 1..32 (IPv4) or 1..128 (IPv6)
};
// Parses "addr" or "addr/len" (len >= 1). Host bits are cleared (reported via the flag).
bool parse_ip_prefix(std::string_view text, IpPrefix& out, bool* host_bits_cleared = nullptr) noexcept;
// Formats a prefix canonically: the address alone for a full-length prefix, else "addr/len".
// buf must hold at least 50 bytes; returns the length.
std::size_t format_ip_prefix(const IpPrefix& prefix, char* buf) noexcept;

// Parses "a.b.c.d:port" or "[v6]:port" (port 1..65535).
bool parse_ip_port(std::string_view text, IpAddress& address, std::uint16_t& port) noexcept;
// Formats as parse_ip_port reads it; buf must hold at least 56 bytes; returns the length.
std::size_t format_ip_port(const IpAddress& address, std::uint16_t port, char* buf) noexcept;

// Hex of exactly 2*n digits (either case) into n bytes.
bool parse_hex(std::string_view hex, std::uint8_t* out, std::size_t n) noexcept;
// Lowercase hex of n bytes into buf (2*n bytes, no terminator).
void format_hex(const std::uint8_t* bytes, std::size_t n, char* buf) noexcept;

}  // namespace outpost::rules
