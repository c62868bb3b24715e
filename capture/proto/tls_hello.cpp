#include "capture/proto/tls_hello.h"

#include <algorithm>
#include <cstring>

namespace outpost::capture::proto {

namespace {

constexpr std::string_view kTlsStatusNames[kTlsStatusCount] = {
    "ok",        "not_tls",         "sslv2_hello",     "bad_record",
    "bad_hello", "bad_certificate", "hello_too_large",
};

// RFC 8446 §4.1.3: SHA-256("HelloRetryRequest"), the random of a HelloRetryRequest.
constexpr std::uint8_t kHelloRetryRandom[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

std::uint16_t be16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

// Bounds-checked big-endian reader over a byte range.
struct Reader {
  const std::uint8_t* p;
  std::size_t left;

  bool u8(std::uint8_t& v) noexcept {
    if (left < 1) return false;
    v = *p++;
    --left;
    return true;
  }
  bool u16(std::uint16_t& v) noexcept {
    if (left < 2) return false;
    v = be16(p);
    p += 2;
    left -= 2;
    return true;
  }
  bool bytes(std::size_t n, ByteView& v) noexcept {
    if (left < n) return false;
    v = ByteView{p, n};
    p += n;
    left -= n;
    return true;
  }
  bool vec8(ByteView& v) noexcept {
    std::uint8_t n = 0;
    return u8(n) && bytes(n, v);
  }
  bool vec16(ByteView& v) noexcept {
    std::uint16_t n = 0;
    return u16(n) && bytes(n, v);
  }
};

// A length-prefixed list that must fill its extension exactly; on mismatch the view stays empty.
ByteView inner_list16(ByteView ext) noexcept {
  Reader r{ext.data, ext.len};
  ByteView v;
  if (!r.vec16(v) || r.left != 0) return {};
  return v;
}
ByteView inner_list8(ByteView ext) noexcept {
  Reader r{ext.data, ext.len};
  ByteView v;
  if (!r.vec8(v) || r.left != 0) return {};
  return v;
}

// Text produced piecewise into an MD5 and/or a bounded buffer (snprintf semantics).
class TextSink {
 public:
  TextSink(char* out, std::size_t cap, Md5Stream* md5) noexcept : out_(out), cap_(cap), md5_(md5) {}
  ~TextSink() {
    if (cap_ != 0) out_[total_ < cap_ ? total_ : cap_ - 1] = '\0';
  }
  void put(const char* s, std::size_t n) noexcept {
    if (md5_ != nullptr) md5_->update(s, n);
    for (std::size_t i = 0; i < n; ++i, ++total_)
      if (total_ + 1 < cap_) out_[total_] = s[i];
  }
  void put(char c) noexcept { put(&c, 1); }
  void put_decimal(unsigned v) noexcept {
    char tmp[8];
    std::size_t n = 0;
    do {
      tmp[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    for (std::size_t i = 0; i < n / 2; ++i) std::swap(tmp[i], tmp[n - 1 - i]);
    put(tmp, n);
  }
  std::size_t total() const noexcept { return total_; }

 private:
  char* out_;
  std::size_t cap_;
  Md5Stream* md5_;
  std::size_t total_ = 0;
};

// '-'-joined decimal 16-bit values of a list, GREASE left out.
void put_u16_list(TextSink& s, ByteView list) noexcept {
  bool first = true;
  for (std::size_t i = 0; i + 1 < list.len; i += 2) {
    const std::uint16_t v = be16(list.data + i);
    if (is_grease(v)) continue;
    if (!first) s.put('-');
    s.put_decimal(v);
    first = false;
  }
}

void put_extension_types(TextSink& s, ByteView exts) noexcept {
  Reader r{exts.data, exts.len};
  bool first = true;
  std::uint16_t type = 0;
  ByteView body;
  while (r.u16(type) && r.vec16(body)) {
    if (is_grease(type)) continue;
    if (!first) s.put('-');
    s.put_decimal(type);
    first = false;
  }
}

// JA3 (https://github.com/salesforce/ja3): SSLVersion,Ciphers,Extensions,EllipticCurves,
// EllipticCurvePointFormats — decimal, '-'-joined, GREASE excluded (as tshark does).
std::size_t write_ja3(const TlsClientHello& h, char* out, std::size_t cap, Md5Stream* md5) noexcept {
  TextSink s(out, cap, md5);
  s.put_decimal(h.legacy_version);
  s.put(',');
  put_u16_list(s, h.cipher_suites);
  s.put(',');
  put_extension_types(s, h.extensions);
  s.put(',');
  put_u16_list(s, h.supported_groups);
  s.put(',');
  for (std::size_t i = 0; i < h.ec_point_formats.len; ++i) {
    if (i != 0) s.put('-');
    s.put_decimal(h.ec_point_formats.data[i]);
  }
  return s.total();
}

// JA3S: SSLVersion,Cipher,Extensions.
std::size_t write_ja3s(const TlsServerHello& h, char* out, std::size_t cap, Md5Stream* md5) noexcept {
  TextSink s(out, cap, md5);
  s.put_decimal(h.legacy_version);
  s.put(',');
  s.put_decimal(h.cipher_suite);
  s.put(',');
  put_extension_types(s, h.extensions);
  return s.total();
}

void md5_hex(Md5Stream& md5, char out[2 * kMd5Bytes + 1]) noexcept {
  std::uint8_t digest[kMd5Bytes];
  md5.finish(digest);
  hex_lower(digest, kMd5Bytes, out);
}

// ---- JA4 (FoxIO technical_details/JA4.md) --------------------------------------------------

const char* ja4_version(std::uint16_t v) noexcept {
  switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    case 0xfeff: return "d1";
    case 0xfefd: return "d2";
    case 0xfefc: return "d3";
    default: return "00";
  }
}

bool is_alnum(std::uint8_t c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// First and last character of the first ALPN value; its hex form's first and last digit when
// either end is not alphanumeric; "00" when there is none.
void ja4_alpn(ByteView alpn, char out[2]) noexcept {
  out[0] = out[1] = '0';
  AlpnList list(alpn);
  std::string_view first;
  if (!list.next(first) || first.empty()) return;
  const auto f = static_cast<std::uint8_t>(first.front());
  const auto l = static_cast<std::uint8_t>(first.back());
  if (is_alnum(f) && is_alnum(l)) {
    out[0] = static_cast<char>(f);
    out[1] = static_cast<char>(l);
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    out[0] = kHex[f >> 4];
    out[1] = kHex[l & 0x0f];
  }
}

void put_two_digits(char* out, std::size_t n) noexcept {
  if (n > 99) n = 99;
  out[0] = static_cast<char>('0' + n / 10);
  out[1] = static_cast<char>('0' + n % 10);
}

void put_hex16(Sha256Stream& sha, std::uint16_t v) noexcept {
  static constexpr char kHex[] = "0123456789abcdef";
  const char text[4] = {kHex[v >> 12], kHex[(v >> 8) & 0xf], kHex[(v >> 4) & 0xf], kHex[v & 0xf]};
  sha.update(text, 4);
}

// Truncated SHA-256 of "xxxx,yyyy,..." for sorted `items`, then "_" + the non-GREASE values of
// `tail` in their order (the signature algorithms) when there are any.
void ja4_hash(const std::uint16_t* items, std::size_t n, ByteView tail, char out[12]) noexcept {
  if (n == 0) {
    std::memset(out, '0', 12);
    return;
  }
  Sha256Stream sha;
  for (std::size_t i = 0; i < n; ++i) {
    if (i != 0) sha.update(",", 1);
    put_hex16(sha, items[i]);
  }
  bool first = true;
  for (std::size_t i = 0; i + 1 < tail.len; i += 2) {
    const std::uint16_t v = be16(tail.data + i);
    if (is_grease(v)) continue;
    sha.update(first ? "_" : ",", 1);
    put_hex16(sha, v);
    first = false;
  }
  std::uint8_t digest[kSha256Bytes];
  sha.finish(digest);
  char hex[2 * kSha256Bytes + 1];
  hex_lower(digest, kSha256Bytes, hex);
  std::memcpy(out, hex, 12);
}

void compute_ja4(const TlsClientHello& h, char transport, char out[kJa4Length + 1]) noexcept {
  out[0] = '\0';
  std::uint16_t items[kJa4MaxItems];

  std::size_t ciphers = 0;
  for (std::size_t i = 0; i + 1 < h.cipher_suites.len; i += 2) {
    const std::uint16_t v = be16(h.cipher_suites.data + i);
    if (is_grease(v)) continue;
    if (ciphers == kJa4MaxItems) return;
    items[ciphers++] = v;
  }

  char a[10];
  a[0] = transport;
  std::memcpy(a + 1, ja4_version(h.highest_version), 2);
  a[3] = h.has_sni ? 'd' : 'i';
  put_two_digits(a + 4, ciphers);
  ja4_alpn(h.alpn, a + 8);

  char b[12];
  std::sort(items, items + ciphers);
  ja4_hash(items, ciphers, ByteView{}, b);

  // Extensions: all non-GREASE counted; SNI and ALPN left out of the hash.
  std::size_t ext_count = 0, hashed = 0;
  Reader r{h.extensions.data, h.extensions.len};
  std::uint16_t type = 0;
  ByteView body;
  while (r.u16(type) && r.vec16(body)) {
    if (is_grease(type)) continue;
    ++ext_count;
    if (type == kTlsExtServerName || type == kTlsExtAlpn) continue;
    if (hashed == kJa4MaxItems) return;
    items[hashed++] = type;
  }
  put_two_digits(a + 6, ext_count);
  char c[12];
  std::sort(items, items + hashed);
  ja4_hash(items, hashed, h.signature_algorithms, c);

  std::memcpy(out, a, 10);
  out[10] = '_';
  std::memcpy(out + 11, b, 12);
  out[23] = '_';
  std::memcpy(out + 24, c, 12);
  out[kJa4Length] = '\0';
}

}  // namespace

std::string_view tls_status_name(TlsStatus s) noexcept {
  const auto i = static_cast<std::size_t>(s);
  return i < kTlsStatusCount ? kTlsStatusNames[i] : std::string_view("unknown");
}

bool AlpnList::next(std::string_view& name) noexcept {
  if (left_ == 0 || p_ == nullptr) return false;
  const std::size_t n = p_[0];
  if (n + 1 > left_) {
    left_ = 0;
    return false;
  }
  name = std::string_view(reinterpret_cast<const char*>(p_ + 1), n);
  p_ += n + 1;
  left_ -= n + 1;
  return true;
}

TlsStatus parse_client_hello(const std::uint8_t* body, std::size_t len, TlsClientHello& out,
                             char transport, bool ja4) noexcept {
  out = TlsClientHello{};
  if (body == nullptr) return TlsStatus::bad_hello;
  Reader r{body, len};
  ByteView random;
  if (!r.u16(out.legacy_version) || !r.bytes(32, random) || !r.vec8(out.session_id) ||
      (transport == 'd' && !r.vec8(out.cookie)) || !r.vec16(out.cipher_suites) ||
      !r.vec8(out.compression_methods))
    return TlsStatus::bad_hello;
  if (out.session_id.len > 32 || out.cipher_suites.len % 2 != 0) return TlsStatus::bad_hello;
  if (r.left != 0) {
    if (!r.vec16(out.extensions) || r.left != 0) return TlsStatus::bad_hello;
    out.has_extensions = true;
  }

  // Walk the extensions once: framing must be exact, contents are taken when well formed.
  Reader e{out.extensions.data, out.extensions.len};
  while (e.left != 0) {
    std::uint16_t type = 0;
    ByteView ext;
    if (!e.u16(type) || !e.vec16(ext)) return TlsStatus::bad_hello;
    switch (type) {
      case kTlsExtServerName: {
        // RFC 6066 §3: ServerNameList of (NameType, opaque HostName<1..2^16-1>).
        if (out.has_sni) break;
        out.has_sni = true;
        const ByteView list = inner_list16(ext);
        Reader names{list.data, list.len};
        std::uint8_t name_type = 0;
        ByteView host;
        while (names.u8(name_type) && names.vec16(host)) {
          if (name_type == 0) {
            out.sni = std::string_view(reinterpret_cast<const char*>(host.data), host.len);
            break;
          }
        }
        break;
      }
      case kTlsExtAlpn:
        if (out.alpn.data == nullptr) out.alpn = inner_list16(ext);
        break;
      case kTlsExtSupportedGroups:
        if (out.supported_groups.data == nullptr) out.supported_groups = inner_list16(ext);
        break;
      case kTlsExtEcPointFormats:
        if (out.ec_point_formats.data == nullptr) out.ec_point_formats = inner_list8(ext);
        break;
      case kTlsExtSignatureAlgorithms:
        if (out.signature_algorithms.data == nullptr) out.signature_algorithms = inner_list16(ext);
        break;
      case kTlsExtSupportedVersions:
        if (out.supported_versions.data == nullptr) out.supported_versions = inner_list8(ext);
        break;
      default:
        break;
    }
  }
  // Odd-length 16-bit lists cannot be split into code points: treat them as absent.
  if (out.supported_groups.len % 2 != 0) out.supported_groups = {};
  if (out.signature_algorithms.len % 2 != 0) out.signature_algorithms = {};
  if (out.supported_versions.len % 2 != 0) out.supported_versions = {};

  out.highest_version = out.legacy_version;
  if (out.supported_versions.len != 0) {
    std::uint16_t best = 0;
    for (std::size_t i = 0; i + 1 < out.supported_versions.len; i += 2) {
      const std::uint16_t v = be16(out.supported_versions.data + i);
      if (!is_grease(v) && v > best) best = v;
    }
    if (best != 0) out.highest_version = best;
  }

  Md5Stream md5;
  write_ja3(out, nullptr, 0, &md5);
  md5_hex(md5, out.ja3_md5);
  if (ja4) compute_ja4(out, transport, out.ja4);
  return TlsStatus::ok;
}

TlsStatus parse_server_hello(const std::uint8_t* body, std::size_t len, TlsServerHello& out) noexcept {
  out = TlsServerHello{};
  if (body == nullptr) return TlsStatus::bad_hello;
  Reader r{body, len};
  ByteView random;
  if (!r.u16(out.legacy_version) || !r.bytes(32, random) || !r.vec8(out.session_id) ||
      !r.u16(out.cipher_suite) || !r.u8(out.compression_method))
    return TlsStatus::bad_hello;
  if (out.session_id.len > 32) return TlsStatus::bad_hello;
  if (r.left != 0) {
    if (!r.vec16(out.extensions) || r.left != 0) return TlsStatus::bad_hello;
    out.has_extensions = true;
  }
  out.hello_retry_request = std::memcmp(random.data, kHelloRetryRandom, 32) == 0;
  out.selected_version = out.legacy_version;

  Reader e{out.extensions.data, out.extensions.len};
  while (e.left != 0) {
    std::uint16_t type = 0;
    ByteView ext;
    if (!e.u16(type) || !e.vec16(ext)) return TlsStatus::bad_hello;
    if (type == kTlsExtSupportedVersions && ext.len == 2) {
      out.selected_version = be16(ext.data);  // RFC 8446 §4.2.1: a single selected_version
    } else if (type == kTlsExtAlpn && out.alpn.empty()) {
      AlpnList list(inner_list16(ext));
      std::string_view name;
      if (list.next(name)) out.alpn = name;
    }
  }

  Md5Stream md5;
  write_ja3s(out, nullptr, 0, &md5);
  md5_hex(md5, out.ja3s_md5);
  return TlsStatus::ok;
}

std::size_t format_ja3(const TlsClientHello& hello, char* out, std::size_t cap) noexcept {
  return write_ja3(hello, out, cap, nullptr);
}

std::size_t format_ja3s(const TlsServerHello& hello, char* out, std::size_t cap) noexcept {
  return write_ja3s(hello, out, cap, nullptr);
}

}  // namespace outpost::capture::proto
