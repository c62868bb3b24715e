#pragma once
// UTF-8 well-formedness (RFC 3629 §4): names and URLs come from the wire and may hold any
// bytes, while JSON text must be UTF-8 (RFC 8259 §8.1). Values are made well-formed once, when
// copied, so the SCO id and the written value are computed from the same string.

#include <string>
#include <string_view>

namespace outpost::agent {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

// Appends `s` to `out`, replacing each maximal ill-formed subsequence by U+FFFD
// (the "substitution of maximal subparts" practice of Unicode §3.9).
void append_valid_utf8(std::string& out, std::string_view s);

}  // namespace outpost::agent
