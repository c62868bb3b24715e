#pragma once
// Text of observation values: JSON-safe and unambiguous whatever bytes came off the wire.
// Names (SNI, DNS, Host) are normalised for matching: ASCII lowercased, one trailing dot
// removed (RFC 1034 §3.1: the absolute form names the same node), bytes outside 0x21..0x7E
// written as \ddd (RFC 1035 §5.1 presentation escapes). Other text (URLs, User-Agent) keeps
// valid UTF-8 and escapes control bytes and invalid UTF-8 as \xNN.

#include <cstddef>
#include <string_view>

namespace outpost::capture {

// Longest observation value written (URLs are the longest; longer text is cut).
inline constexpr std::size_t kMaxObservationText = 8192;

// Both return the length written to out (at most cap; no NUL). Output that would not fit is
// cut at a character boundary.
std::size_t normalize_name(std::string_view raw, char* out, std::size_t cap) noexcept;
std::size_t escape_text(std::string_view raw, char* out, std::size_t cap) noexcept;

}  // namespace outpost::capture
