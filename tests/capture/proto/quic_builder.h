#pragma once
// Test-only builders of protected QUIC Initial packets (RFC 9000 §17.2.2, RFC 9001 §5), so
// tests can make hand-built Initials the reader must decrypt: header, CRYPTO / ACK / PADDING
// frames, AEAD_AES_128_GCM and header protection with mbedTLS. The builder is checked against
// the RFC 9001 sample packet (quic_initial_test.cpp).

#include <mbedtls/gcm.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "capture/proto/quic_initial.h"
#include "tls_builder.h"

namespace outpost::test::proto_support {

inline Bytes from_hex(std::string_view hex) {
  auto nibble = [](char c) -> std::uint8_t {
    return static_cast<std::uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  };
  Bytes b;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    b.push_back(static_cast<std::uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  return b;
}

inline std::string to_hex(const std::uint8_t* p, std::size_t n) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    s += k[p[i] >> 4];
    s += k[p[i] & 15];
  }
  return s;
}

// RFC 9000 §16, shortest encoding (or a forced width of 1, 2, 4 or 8 bytes).
inline void put_varint(Bytes& b, std::uint64_t v, int width = 0) {
  if (width == 0) width = v < 64 ? 1 : v < 16384 ? 2 : v < (1u << 30) ? 4 : 8;
  const std::uint8_t prefix = width == 1 ? 0x00 : width == 2 ? 0x40 : width == 4 ? 0x80 : 0xc0;
  for (int i = width - 1; i >= 0; --i) {
    std::uint8_t byte = static_cast<std::uint8_t>(v >> (8 * i));
    if (i == width - 1) byte = static_cast<std::uint8_t>(byte | prefix);
    b.push_back(byte);
  }
}

inline Bytes crypto_frame(std::uint64_t offset, const Bytes& data) {
  Bytes f{0x06};
  put_varint(f, offset);
  put_varint(f, data.size());
  append(f, data);
  return f;
}

inline Bytes crypto_frame(std::uint64_t offset, const Bytes& stream, std::size_t from, std::size_t n) {
  return crypto_frame(offset, Bytes(stream.begin() + static_cast<long>(from),
                                    stream.begin() + static_cast<long>(from + n)));
}

inline Bytes ack_frame(std::uint64_t largest) {
  Bytes f{0x02};
  put_varint(f, largest);
  put_varint(f, 0);  // delay
  put_varint(f, 0);  // no further ranges
  put_varint(f, 0);  // first range
  return f;
}

struct InitialSpec {
  std::uint32_t version = outpost::capture::proto::kQuicVersion1;
  Bytes dcid, scid, token;
  bool from_client = true;
  Bytes key_dcid;            // the DCID the keys derive from; empty: dcid
  std::uint64_t packet_number = 0;
  int pn_len = 4;
  std::size_t pad_to = 0;    // PADDING frames appended up to this many frame bytes
  std::uint8_t type = 0xff;  // long-header type bits; 0xff: the version's Initial
};

// A protected long-header packet carrying `frames`.
inline Bytes protect_initial(const InitialSpec& s, Bytes frames) {
  using namespace outpost::capture::proto;
  const bool v2 = s.version == kQuicVersion2 || s.version == 0x709a50c4;
  const std::uint8_t type = s.type != 0xff ? s.type : (v2 ? 1 : 0);
  if (frames.size() < s.pad_to) frames.resize(s.pad_to, 0x00);
  if (frames.size() + s.pn_len < 4) frames.resize(4 - s.pn_len, 0x00);  // room for the sample

  QuicKeys client, server;
  const Bytes& kd = s.key_dcid.empty() ? s.dcid : s.key_dcid;
  derive_quic_initial_keys(s.version, kd.data(), kd.size(), client, server);
  const QuicKeys& keys = s.from_client ? client : server;

  Bytes pkt{static_cast<std::uint8_t>(0xc0 | type << 4 | (s.pn_len - 1))};
  for (int i = 3; i >= 0; --i) pkt.push_back(static_cast<std::uint8_t>(s.version >> (8 * i)));
  pkt.push_back(static_cast<std::uint8_t>(s.dcid.size()));
  append(pkt, s.dcid);
  pkt.push_back(static_cast<std::uint8_t>(s.scid.size()));
  append(pkt, s.scid);
  if (type == (v2 ? 1 : 0)) {
    put_varint(pkt, s.token.size());
    append(pkt, s.token);
  }
  put_varint(pkt, s.pn_len + frames.size() + 16, 2);
  const std::size_t pn_offset = pkt.size();
  for (int i = s.pn_len - 1; i >= 0; --i) pkt.push_back(static_cast<std::uint8_t>(s.packet_number >> (8 * i)));
  const std::size_t header_len = pkt.size();

  std::uint8_t nonce[12];
  std::copy(keys.iv, keys.iv + 12, nonce);
  for (int i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<std::uint8_t>(s.packet_number >> (8 * i));
  Bytes out(frames.size());
  std::uint8_t tag[16];
  mbedtls_gcm_context gcm;
  mbedtls_gcm_init(&gcm);
  mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, keys.key, 128);
  mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, frames.size(), nonce, 12, pkt.data(), header_len,
                            frames.data(), out.data(), 16, tag);
  mbedtls_gcm_free(&gcm);
  append(pkt, out);
  pkt.insert(pkt.end(), tag, tag + 16);

  std::uint8_t mask[5];
  quic_header_protection_mask(keys, pkt.data() + pn_offset + 4, mask);
  pkt[0] = static_cast<std::uint8_t>(pkt[0] ^ (mask[0] & 0x0f));
  for (int i = 0; i < s.pn_len; ++i) pkt[pn_offset + i] = static_cast<std::uint8_t>(pkt[pn_offset + i] ^ mask[1 + i]);
  return pkt;
}

}  // namespace outpost::test::proto_support
