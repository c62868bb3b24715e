#pragma once
// Test-only builders of TLS handshake bytes (RFC 8446 §4, §5.1).

#include <cstdint>
#include <string>
#include <vector>

namespace outpost::test::proto_support {

using Bytes = std::vector<std::uint8_t>;

inline void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
inline void put24(Bytes& b, std::size_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 16));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
inline void append(Bytes& b, const Bytes& more) { b.insert(b.end(), more.begin(), more.end()); }

struct Extension {
  std::uint16_t type;
  Bytes data;
};

inline Bytes u16_list(const std::vector<std::uint16_t>& v, int length_bytes = 2) {
  Bytes b;
  if (length_bytes == 2) put16(b, static_cast<std::uint16_t>(v.size() * 2));
  else b.push_back(static_cast<std::uint8_t>(v.size() * 2));
  for (auto x : v) put16(b, x);
  return b;
}

inline Extension sni_ext(const std::string& host) {
  Bytes d;
  put16(d, static_cast<std::uint16_t>(host.size() + 3));
  d.push_back(0);
  put16(d, static_cast<std::uint16_t>(host.size()));
  d.insert(d.end(), host.begin(), host.end());
  return {0, d};
}

inline Extension alpn_ext(const std::vector<std::string>& protos) {
  Bytes list;
  for (const auto& p : protos) {
    list.push_back(static_cast<std::uint8_t>(p.size()));
    list.insert(list.end(), p.begin(), p.end());
  }
  Bytes d;
  put16(d, static_cast<std::uint16_t>(list.size()));
  append(d, list);
  return {16, d};
}

inline Bytes extensions_block(const std::vector<Extension>& exts) {
  Bytes b;
  for (const auto& e : exts) {
    put16(b, e.type);
    put16(b, static_cast<std::uint16_t>(e.data.size()));
    append(b, e.data);
  }
  return b;
}

// ClientHello body (after the handshake header).
inline Bytes client_hello_body(std::uint16_t version, const std::vector<std::uint16_t>& ciphers,
                               const std::vector<Extension>& exts, bool with_extensions = true) {
  Bytes b;
  put16(b, version);
  b.insert(b.end(), 32, 0x11);  // random
  b.push_back(32);              // session id
  b.insert(b.end(), 32, 0x22);
  append(b, u16_list(ciphers));
  b.push_back(1);  // compression methods: null
  b.push_back(0);
  if (with_extensions) {
    const Bytes block = extensions_block(exts);
    put16(b, static_cast<std::uint16_t>(block.size()));
    append(b, block);
  }
  return b;
}

inline Bytes server_hello_body(std::uint16_t version, std::uint16_t cipher,
                               const std::vector<Extension>& exts, bool retry = false) {
  static const std::uint8_t kRetry[32] = {
      0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
      0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
  Bytes b;
  put16(b, version);
  if (retry) b.insert(b.end(), kRetry, kRetry + 32);
  else b.insert(b.end(), 32, 0x33);
  b.push_back(0);  // empty session id
  put16(b, cipher);
  b.push_back(0);
  const Bytes block = extensions_block(exts);
  put16(b, static_cast<std::uint16_t>(block.size()));
  append(b, block);
  return b;
}

// Handshake message: type + 24-bit length + body.
inline Bytes handshake(std::uint8_t type, const Bytes& body) {
  Bytes b{type};
  put24(b, body.size());
  append(b, body);
  return b;
}

// Certificate message body (TLS 1.2) for the given DER blobs.
inline Bytes certificate_body(const std::vector<Bytes>& ders) {
  Bytes list;
  for (const auto& d : ders) {
    put24(list, d.size());
    append(list, d);
  }
  Bytes b;
  put24(b, list.size());
  append(b, list);
  return b;
}

// One record (type, TLS 1.2 legacy version, length) around `fragment`.
inline Bytes record(std::uint8_t type, const Bytes& fragment, std::uint16_t version = 0x0303) {
  Bytes b{type};
  put16(b, version);
  put16(b, static_cast<std::uint16_t>(fragment.size()));
  append(b, fragment);
  return b;
}

}  // namespace outpost::test::proto_support
