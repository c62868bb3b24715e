#include "capture/text.h"

#include <cstdint>

namespace outpost::capture {

std::size_t normalize_name(std::string_view raw, char* out, std::size_t cap) noexcept {
  if (!raw.empty() && raw.back() == '.' && (raw.size() < 2 || raw[raw.size() - 2] != '\\'))
    raw.remove_suffix(1);
  std::size_t n = 0;
  for (const char ch : raw) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    if (c >= 0x21 && c <= 0x7E) {
      if (n + 1 > cap) break;
      out[n++] = static_cast<char>(c);
    } else {
      if (n + 4 > cap) break;
      out[n++] = '\\';
      out[n++] = static_cast<char>('0' + c / 100);
      out[n++] = static_cast<char>('0' + c / 10 % 10);
      out[n++] = static_cast<char>('0' + c % 10);
    }
  }
  return n;
}

namespace {
// Length of the valid UTF-8 sequence at p (RFC 3629 §4), 0 if invalid.
std::size_t utf8_sequence(const unsigned char* p, std::size_t left) noexcept {
  const unsigned c = p[0];
  std::size_t len;
  unsigned min;
  if (c >= 0xC2 && c <= 0xDF) len = 2, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) len = 3, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) len = 4, min = 0x10000;
  else return 0;
  if (len > left) return 0;
  unsigned cp = c & (0xFF >> (len + 1));
  for (std::size_t i = 1; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}
}  // namespace

std::size_t escape_text(std::string_view raw, char* out, std::size_t cap) noexcept {
  static const char* hex = "0123456789abcdef";
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  std::size_t n = 0;
  for (std::size_t i = 0; i < raw.size();) {
    const unsigned c = p[i];
    if (c >= 0x20 && c < 0x7F) {
      if (n + 1 > cap) break;
      out[n++] = static_cast<char>(c);
      ++i;
      continue;
    }
    const std::size_t len = c >= 0x80 ? utf8_sequence(p + i, raw.size() - i) : 0;
    if (len > 0) {
      if (n + len > cap) break;
      for (std::size_t k = 0; k < len; ++k) out[n++] = static_cast<char>(p[i + k]);
      i += len;
      continue;
    }
    if (n + 4 > cap) break;
    out[n++] = '\\';
    out[n++] = 'x';
    out[n++] = hex[c >> 4];
    out[n++] = hex[c & 15];
    ++i;
  }
  return n;
}

}  // namespace outpost::capture
