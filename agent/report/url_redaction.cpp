#include "agent/report/url_redaction.h"

namespace outpost::agent {

std::string_view strip_url_query(std::string_view url) noexcept {
  const std::size_t cut = url.find_first_of("?#");
  return cut == std::string_view::npos ? url : url.substr(0, cut);
}

bool looks_like_url(std::string_view text) noexcept {
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then "://".
  const std::size_t colon = text.find("://");
  if (colon == std::string_view::npos || colon == 0) return false;
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = text[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool other = (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    if (!(alpha || (i > 0 && other))) return false;
  }
  return true;
}

namespace {
bool outside_uri_charset(unsigned char c) noexcept {
  if (c <= 0x20 || c >= 0x7F) return true;
  switch (c) {
    case '"': case '<': case '>': case '\\': case '^': case '`': case '{': case '|': case '}':
      return true;
    default: return false;
  }
}
}  // namespace

bool url_needs_escaping(std::string_view url) noexcept {
  for (const char ch : url)
    if (outside_uri_charset(static_cast<unsigned char>(ch))) return true;
  return false;
}

void append_escaped_url(std::string& out, std::string_view url) {
  static const char* hex = "0123456789ABCDEF";
  for (const char ch : url) {
    const auto c = static_cast<unsigned char>(ch);
    if (outside_uri_charset(c)) {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    } else {
      out.push_back(ch);
    }
  }
}

}  // namespace outpost::agent
