#pragma once
// Privacy of reported URLs: query strings and fragments often carry personal data (search
// terms, session tokens), so sightings report a URL up to its path unless configured.

#include <string>
#include <string_view>

namespace outpost::agent {

// `url` without its query (RFC 3986 §3.4) and fragment (§3.5): everything before the first
// '?' or '#'. Neither character may appear unencoded in scheme, authority or path.
std::string_view strip_url_query(std::string_view url) noexcept;

// True when `text` looks like an absolute URL ("scheme://..."), RFC 3986 §3.1 scheme syntax.
bool looks_like_url(std::string_view text) noexcept;

// RFC 3986 §2.1: a URI is ASCII; a byte outside its character set (controls, space,
// non-ASCII, and " < > \\ ^ ` { | }) must be percent-encoded. HTTP clients send such bytes raw
// at times, so reported URLs are escaped. True when `url` holds such a byte.
bool url_needs_escaping(std::string_view url) noexcept;
// Appends `url` with every such byte written as %XX (uppercase hex); '%' itself is kept, so
// existing escapes are not doubled.
void append_escaped_url(std::string& out, std::string_view url);

}  // namespace outpost::agent
