#include "capture/proto/quic_initial.h"

#include <cstring>

#include <mbedtls/aes.h>
#include <mbedtls/gcm.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>

namespace outpost::capture::proto {

namespace {

constexpr std::string_view kQuicStatusNames[kQuicStatusCount] = {
    "ok",         "not_quic",       "unsupported_version", "not_initial", "bad_header",
    "packet_too_large", "decrypt_failed", "bad_frame",     "crypto_overflow", "bad_hello",
};

// Initial salts (RFC 9001 §5.2; RFC 9369 §3.3.1; the quicwg drafts named).
constexpr std::uint8_t kSaltV1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                      0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
constexpr std::uint8_t kSaltV2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
                                      0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};
// draft-ietf-quic-v2-01..07, version 0x709a50c4.
constexpr std::uint8_t kSaltV2Draft[20] = {0xa7, 0x07, 0xc2, 0x03, 0xa5, 0x9b, 0x47, 0x18, 0x4a, 0x1d,
                                           0x62, 0xca, 0x57, 0x04, 0x06, 0xea, 0x7a, 0xe3, 0xe5, 0xd3};
// draft-ietf-quic-tls-29..32.
constexpr std::uint8_t kSaltDraft29[20] = {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
                                           0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};
// draft-ietf-quic-tls-23..28.
constexpr std::uint8_t kSaltDraft23[20] = {0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
                                           0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02};

struct VersionRules {
  const std::uint8_t* salt = nullptr;
  bool v2 = false;  // RFC 9369: "quicv2 " labels and the v2 long-header type bits
};

bool version_rules(std::uint32_t version, VersionRules& out) noexcept {
  if (version == kQuicVersion1 || version == 0xff000021 || version == 0xff000022) {
    out = {kSaltV1, false};
  } else if (version == kQuicVersion2) {
    out = {kSaltV2, true};
  } else if (version == 0x709a50c4) {
    out = {kSaltV2Draft, true};
  } else if (version >= 0xff00001d && version <= 0xff000020) {
    out = {kSaltDraft29, false};
  } else if (version >= 0xff000017 && version <= 0xff00001c) {
    out = {kSaltDraft23, false};
  } else {
    return false;
  }
  return true;
}

std::uint32_t be32(const std::uint8_t* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

// Variable-length integer (RFC 9000 §16).
bool read_varint(const std::uint8_t*& p, std::size_t& left, std::uint64_t& v) noexcept {
  if (left < 1) return false;
  const std::size_t n = std::size_t{1} << (p[0] >> 6);
  if (left < n) return false;
  v = p[0] & 0x3f;
  for (std::size_t i = 1; i < n; ++i) v = v << 8 | p[i];
  p += n;
  left -= n;
  return true;
}

// HKDF-Expand-Label(secret, label, "", length) with SHA-256 (RFC 8446 §7.1; RFC 9001 §5.1).
bool expand_label(const std::uint8_t secret[32], std::string_view label, std::uint8_t* out,
                  std::size_t length) noexcept {
  constexpr std::string_view kPrefix = "tls13 ";
  std::uint8_t info[2 + 1 + 255 + 1];
  const std::size_t label_len = kPrefix.size() + label.size();
  if (label_len > 255) return false;
  std::size_t n = 0;
  info[n++] = static_cast<std::uint8_t>(length >> 8);
  info[n++] = static_cast<std::uint8_t>(length);
  info[n++] = static_cast<std::uint8_t>(label_len);
  std::memcpy(info + n, kPrefix.data(), kPrefix.size());
  n += kPrefix.size();
  std::memcpy(info + n, label.data(), label.size());
  n += label.size();
  info[n++] = 0;  // empty context
  const mbedtls_md_info_t* md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
  return md != nullptr && mbedtls_hkdf_expand(md, secret, 32, info, n, out, length) == 0;
}

bool derive_direction(const std::uint8_t initial_secret[32], std::string_view side, bool v2,
                      QuicKeys& keys) noexcept {
  std::uint8_t secret[32];
  const bool ok = expand_label(initial_secret, side, secret, sizeof secret) &&
                  expand_label(secret, v2 ? "quicv2 key" : "quic key", keys.key, sizeof keys.key) &&
                  expand_label(secret, v2 ? "quicv2 iv" : "quic iv", keys.iv, sizeof keys.iv) &&
                  expand_label(secret, v2 ? "quicv2 hp" : "quic hp", keys.hp, sizeof keys.hp);
  std::memset(secret, 0, sizeof secret);
  return ok;
}

// RFC 9000 Appendix A.3.
std::uint64_t expand_packet_number(std::int64_t largest, std::uint64_t truncated, std::size_t pn_len) noexcept {
  const std::uint64_t expected = static_cast<std::uint64_t>(largest + 1);
  const std::uint64_t win = std::uint64_t{1} << (pn_len * 8);
  const std::uint64_t hwin = win / 2;
  const std::uint64_t mask = win - 1;
  const std::uint64_t candidate = (expected & ~mask) | truncated;
  constexpr std::uint64_t kMax = std::uint64_t{1} << 62;
  if (candidate + hwin <= expected && candidate < kMax - win) return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}

class AesEcb {
 public:
  explicit AesEcb(const std::uint8_t key[16]) noexcept {
    mbedtls_aes_init(&ctx_);
    ok_ = mbedtls_aes_setkey_enc(&ctx_, key, 128) == 0;
  }
  ~AesEcb() { mbedtls_aes_free(&ctx_); }
  AesEcb(const AesEcb&) = delete;
  AesEcb& operator=(const AesEcb&) = delete;
  bool encrypt(const std::uint8_t in[16], std::uint8_t out[16]) noexcept {
    return ok_ && mbedtls_aes_crypt_ecb(&ctx_, MBEDTLS_AES_ENCRYPT, in, out) == 0;
  }

 private:
  mbedtls_aes_context ctx_;
  bool ok_ = false;
};

class AesGcm {
 public:
  explicit AesGcm(const std::uint8_t key[16]) noexcept {
    mbedtls_gcm_init(&ctx_);
    ok_ = mbedtls_gcm_setkey(&ctx_, MBEDTLS_CIPHER_ID_AES, key, 128) == 0;
  }
  ~AesGcm() { mbedtls_gcm_free(&ctx_); }
  AesGcm(const AesGcm&) = delete;
  AesGcm& operator=(const AesGcm&) = delete;
  bool open(const std::uint8_t nonce[12], const std::uint8_t* aad, std::size_t aad_len,
            const std::uint8_t* in, std::size_t len, const std::uint8_t tag[16], std::uint8_t* out) noexcept {
    return ok_ && mbedtls_gcm_auth_decrypt(&ctx_, len, nonce, 12, aad, aad_len, tag, 16, in, out) == 0;
  }

 private:
  mbedtls_gcm_context ctx_;
  bool ok_ = false;
};

constexpr std::uint8_t kHandshakeClientHello = 1;
constexpr std::uint8_t kHandshakeServerHello = 2;

}  // namespace

std::string_view quic_status_name(QuicStatus s) noexcept {
  const auto i = static_cast<std::size_t>(s);
  return i < kQuicStatusCount ? kQuicStatusNames[i] : std::string_view("unknown");
}

bool quic_initial_version_supported(std::uint32_t version) noexcept {
  VersionRules rules;
  return version_rules(version, rules);
}

bool derive_quic_initial_keys(std::uint32_t version, const std::uint8_t* dcid, std::size_t dcid_len,
                              QuicKeys& client, QuicKeys& server) noexcept {
  VersionRules rules;
  if (!version_rules(version, rules) || dcid_len > kQuicMaxCidBytes) return false;
  const mbedtls_md_info_t* md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
  if (md == nullptr) return false;
  static const std::uint8_t kEmpty[1] = {0};
  std::uint8_t initial_secret[32];
  if (mbedtls_hkdf_extract(md, rules.salt, 20, dcid_len != 0 ? dcid : kEmpty, dcid_len, initial_secret) != 0)
    return false;
  const bool ok = derive_direction(initial_secret, "client in", rules.v2, client) &&
                  derive_direction(initial_secret, "server in", rules.v2, server);
  std::memset(initial_secret, 0, sizeof initial_secret);
  return ok;
}

void quic_header_protection_mask(const QuicKeys& keys, const std::uint8_t sample[16],
                                 std::uint8_t mask[5]) noexcept {
  std::uint8_t block[16] = {};
  AesEcb aes(keys.hp);
  aes.encrypt(sample, block);
  std::memcpy(mask, block, 5);
}

QuicStatus parse_quic_long_header(const std::uint8_t* data, std::size_t len, QuicLongHeader& out) noexcept {
  out = QuicLongHeader{};
  if (data == nullptr || len < 7 || (data[0] & 0x80) == 0) return QuicStatus::not_quic;
  out.version = be32(data + 1);
  VersionRules rules;
  // Version 0 is Version Negotiation (RFC 9000 §17.2.1); other versions' layouts are unknown
  // past the invariant fields (RFC 8999 §5.1).
  if (!version_rules(out.version, rules)) return QuicStatus::unsupported_version;
  const std::uint8_t* p = data + 5;
  std::size_t left = len - 5;
  const std::size_t dcid_len = p[0];
  if (dcid_len > kQuicMaxCidBytes || left < 1 + dcid_len + 1) return QuicStatus::bad_header;
  out.dcid = ByteView{p + 1, dcid_len};
  p += 1 + dcid_len;
  left -= 1 + dcid_len;
  const std::size_t scid_len = p[0];
  if (scid_len > kQuicMaxCidBytes || left < 1 + scid_len) return QuicStatus::bad_header;
  out.scid = ByteView{p + 1, scid_len};
  p += 1 + scid_len;
  left -= 1 + scid_len;

  // RFC 9000 §17.2 Table 5; RFC 9369 §3.2 for v2.
  const unsigned type = (data[0] >> 4) & 0x03;
  const unsigned initial = rules.v2 ? 1 : 0;
  const unsigned retry = rules.v2 ? 0 : 3;
  if (type == retry) {  // no Length field: the Retry runs to the end of the datagram
    out.packet_length = len;
    return QuicStatus::not_initial;
  }
  out.initial = type == initial;
  if (out.initial) {
    std::uint64_t token_len = 0;
    if (!read_varint(p, left, token_len) || token_len > left) return QuicStatus::bad_header;
    out.token = ByteView{p, static_cast<std::size_t>(token_len)};
    p += token_len;
    left -= static_cast<std::size_t>(token_len);
  }
  std::uint64_t length = 0;
  if (!read_varint(p, left, length) || length > left) return QuicStatus::bad_header;
  out.pn_offset = static_cast<std::size_t>(p - data);
  out.packet_length = out.pn_offset + static_cast<std::size_t>(length);
  return out.initial ? QuicStatus::ok : QuicStatus::not_initial;
}

QuicStatus decrypt_quic_initial(const std::uint8_t* data, const QuicLongHeader& header,
                                const QuicKeys& keys, std::int64_t largest_pn,
                                std::uint8_t* plaintext, std::size_t capacity,
                                std::size_t* plaintext_len, std::uint64_t* packet_number) noexcept {
  // RFC 9001 §5.4.2: the sample starts 4 bytes after the packet number's start; the packet
  // must hold it whole (and so the tag, §5.3).
  const std::size_t sample_offset = header.pn_offset + 4;
  if (!header.initial || header.packet_length < sample_offset + 16) return QuicStatus::bad_header;
  if (header.packet_length > capacity) return QuicStatus::packet_too_large;

  std::uint8_t mask[5];
  quic_header_protection_mask(keys, data + sample_offset, mask);
  const std::uint8_t first = static_cast<std::uint8_t>(data[0] ^ (mask[0] & 0x0f));  // long header
  const std::size_t pn_len = (first & 0x03) + 1;
  const std::size_t header_len = header.pn_offset + pn_len;

  // The associated data is the unprotected header (§5.3); it sits in front of the plaintext.
  std::memcpy(plaintext, data, header_len);
  plaintext[0] = first;
  std::uint64_t truncated = 0;
  for (std::size_t i = 0; i < pn_len; ++i) {
    plaintext[header.pn_offset + i] = static_cast<std::uint8_t>(data[header.pn_offset + i] ^ mask[1 + i]);
    truncated = truncated << 8 | plaintext[header.pn_offset + i];
  }
  const std::uint64_t pn = expand_packet_number(largest_pn, truncated, pn_len);

  std::uint8_t nonce[12];
  std::memcpy(nonce, keys.iv, sizeof nonce);
  for (std::size_t i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<std::uint8_t>(pn >> (8 * i));

  const std::size_t cipher_len = header.packet_length - header_len - 16;
  AesGcm gcm(keys.key);
  if (!gcm.open(nonce, plaintext, header_len, data + header_len, cipher_len,
                data + header_len + cipher_len, plaintext + header_len))
    return QuicStatus::decrypt_failed;
  std::memmove(plaintext, plaintext + header_len, cipher_len);
  *plaintext_len = cipher_len;
  *packet_number = pn;
  return QuicStatus::ok;
}

bool looks_like_quic_initial(const std::uint8_t* payload, std::size_t len) noexcept {
  QuicLongHeader h;
  return parse_quic_long_header(payload, len, h) == QuicStatus::ok && h.dcid.len >= 8 &&
         h.packet_length >= h.pn_offset + 20;
}

// ---- QuicInitialReader ----------------------------------------------------------------------

void QuicInitialReader::Direction::reset() noexcept {
  crypto.reset();
  keys = QuicKeys{};
  keys_version = 0;
  largest_pn = -1;
  initials = 0;
  message_start = 0;
  hellos_wanted = 1;
  hellos_reported = 0;
  gave_up = false;
  done = false;
}

void QuicInitialReader::reset() noexcept {
  dirs_[0].reset();
  dirs_[1].reset();
  std::memset(dcid_, 0, sizeof dcid_);
  dcid_len_ = 0;
  roles_known_ = false;
  initiator_is_client_ = true;
  version_ = 0;
  unattributed_initials_ = 0;
  counters_ = QuicCounters{};
}

bool QuicInitialReader::derive_keys(std::uint32_t version, const std::uint8_t* dcid,
                                    std::size_t dcid_len) noexcept {
  if (!derive_quic_initial_keys(version, dcid, dcid_len, dirs_[kClient].keys, dirs_[kServer].keys)) {
    dirs_[kClient].keys_version = dirs_[kServer].keys_version = 0;
    return false;
  }
  dirs_[kClient].keys_version = dirs_[kServer].keys_version = version;
  return true;
}

void QuicInitialReader::give_up(int role) noexcept {
  Direction& d = dirs_[role];
  if (d.done) return;
  d.done = true;
  d.gave_up = true;
  ++counters_.gave_up;
}

QuicStatus QuicInitialReader::on_datagram(bool from_client, const std::uint8_t* payload, std::size_t len,
                                          TlsVisitor& visitor) noexcept {
  ++counters_.datagrams;
  if (done() || payload == nullptr) return QuicStatus::ok;
  QuicStatus result = QuicStatus::ok;
  auto note = [&](QuicStatus s) {
    if (result == QuicStatus::ok) result = s;
  };
  std::size_t pos = 0;
  while (pos < len && !done()) {
    const std::uint8_t* p = payload + pos;
    const std::size_t n = len - pos;
    if ((p[0] & 0x80) == 0) {
      // A datagram holding only a short-header (1-RTT) packet: its sender is past the Initial
      // exchange (RFC 9000 §17.3). Zero bytes after coalesced packets are padding.
      if (pos == 0 && roles_known_ && p[0] != 0) give_up(role_of(from_client));
      if (pos == 0) note(QuicStatus::not_quic);
      break;
    }
    QuicLongHeader h;
    const QuicStatus s = parse_quic_long_header(p, n, h);
    if (s == QuicStatus::not_initial) {
      ++counters_.packets;
      pos += h.packet_length;
      continue;
    }
    if (s != QuicStatus::ok) {
      if (s == QuicStatus::unsupported_version) ++counters_.unsupported_versions;
      else ++counters_.bad_headers;
      note(s);
      break;
    }
    ++counters_.packets;
    note(on_initial(from_client, p, h, visitor));
    pos += h.packet_length;
  }
  return result;
}

QuicStatus QuicInitialReader::on_initial(bool from_client, const std::uint8_t* data,
                                         const QuicLongHeader& h, TlsVisitor& visitor) noexcept {
  if (h.packet_length > kMaxPacketBytes) {
    ++counters_.packets_too_large;
    return QuicStatus::packet_too_large;
  }
  std::uint8_t plaintext[kMaxPacketBytes];
  std::size_t plain_len = 0;
  int role = kClient;

  if (!roles_known_) {
    // Only the client's first Initials decrypt with keys from their own DCID (RFC 9001 §5.2).
    QuicStatus s = QuicStatus::decrypt_failed;
    if (h.dcid.len > 0 && derive_keys(h.version, h.dcid.data, h.dcid.len))
      s = decrypt_with(kClient, data, h, plaintext, &plain_len);
    if (s != QuicStatus::ok) {
      if (s == QuicStatus::decrypt_failed) ++counters_.decrypt_failures;
      else ++counters_.bad_headers;
      if (++unattributed_initials_ >= kMaxInitialsPerDirection) {
        give_up(kClient);
        give_up(kServer);
      }
      return s;
    }
    roles_known_ = true;
    initiator_is_client_ = from_client;
    if (!from_client) ++counters_.roles_swapped;
    std::memcpy(dcid_, h.dcid.data, h.dcid.len);
    dcid_len_ = static_cast<std::uint8_t>(h.dcid.len);
    version_ = h.version;
  } else {
    role = role_of(from_client);
    Direction& d = dirs_[role];
    if (d.done) return QuicStatus::ok;
    // Compatible version negotiation (RFC 9368) may move a flow to another version; the keys
    // still come from the client's original DCID.
    if (d.keys_version != h.version) derive_keys(h.version, dcid_, dcid_len_);
    QuicStatus s = d.keys_version == h.version ? decrypt_with(role, data, h, plaintext, &plain_len)
                                               : QuicStatus::decrypt_failed;
    if (s == QuicStatus::decrypt_failed && role == kClient &&
        (h.dcid.len != dcid_len_ || std::memcmp(h.dcid.data, dcid_, dcid_len_) != 0)) {
      // After a Retry the client's Initials use the server-chosen DCID (RFC 9000 §17.2.5.2,
      // RFC 9001 §5.2), and so do the server's.
      if (derive_keys(h.version, h.dcid.data, h.dcid.len)) {
        s = decrypt_with(role, data, h, plaintext, &plain_len);
        if (s == QuicStatus::ok) {
          std::memcpy(dcid_, h.dcid.data, h.dcid.len);
          dcid_len_ = static_cast<std::uint8_t>(h.dcid.len);
          ++counters_.retries_followed;
        } else {
          derive_keys(h.version, dcid_, dcid_len_);
        }
      }
    }
    if (s != QuicStatus::ok) {
      if (s == QuicStatus::decrypt_failed) ++counters_.decrypt_failures;
      else if (s == QuicStatus::packet_too_large) ++counters_.packets_too_large;
      else ++counters_.bad_headers;
      if (++d.initials >= kMaxInitialsPerDirection) give_up(role);
      return s;
    }
  }

  Direction& d = dirs_[role];
  ++counters_.initials_decrypted;
  QuicStatus s = take_frames(role, plaintext, plain_len);
  const QuicStatus hello = finish_hellos(role, visitor);
  if (s == QuicStatus::ok) s = hello;
  if (!d.done && ++d.initials >= kMaxInitialsPerDirection) give_up(role);
  return s;
}

QuicStatus QuicInitialReader::decrypt_with(int role, const std::uint8_t* data, const QuicLongHeader& h,
                                           std::uint8_t* plaintext, std::size_t* plain_len) noexcept {
  Direction& d = dirs_[role];
  std::uint64_t pn = 0;
  const QuicStatus s =
      decrypt_quic_initial(data, h, d.keys, d.largest_pn, plaintext, kMaxPacketBytes, plain_len, &pn);
  if (s == QuicStatus::ok && static_cast<std::int64_t>(pn) > d.largest_pn)
    d.largest_pn = static_cast<std::int64_t>(pn);
  return s;
}

// Frames allowed in Initial packets (RFC 9000 §12.4 Table 3; encodings in §19).
QuicStatus QuicInitialReader::take_frames(int role, const std::uint8_t* p, std::size_t n) noexcept {
  Direction& d = dirs_[role];
  QuicStatus result = QuicStatus::ok;
  while (n != 0) {
    if (p[0] == 0x00) {  // PADDING (§19.1), usually a long run
      ++p;
      --n;
      continue;
    }
    std::uint64_t type = 0;
    if (!read_varint(p, n, type)) break;
    bool ok = true;
    std::uint64_t a = 0, b = 0, c = 0;
    switch (type) {
      case 0x01:  // PING (§19.2)
        break;
      case 0x02:
      case 0x03: {  // ACK (§19.3): Largest, Delay, Range Count, First Range, ranges, [ECN counts]
        std::uint64_t count = 0;
        ok = read_varint(p, n, a) && read_varint(p, n, b) && read_varint(p, n, count) && read_varint(p, n, c);
        // Each range takes at least two bytes, so a count beyond the bytes left ends the loop early.
        for (std::uint64_t i = 0; ok && i < count; ++i) ok = read_varint(p, n, a) && read_varint(p, n, b);
        if (ok && type == 0x03) ok = read_varint(p, n, a) && read_varint(p, n, b) && read_varint(p, n, c);
        break;
      }
      case 0x06: {  // CRYPTO (§19.6): Offset, Length, Crypto Data
        ok = read_varint(p, n, a) && read_varint(p, n, b) && b <= n && a + b < (std::uint64_t{1} << 62);
        if (!ok) break;
        ++counters_.crypto_frames;
        const std::size_t len = static_cast<std::size_t>(b);
        if (!d.done) {
          const std::size_t dropped = d.crypto.add(a, p, len);
          if (dropped != 0) {
            counters_.crypto_bytes_dropped += dropped;
            if (result == QuicStatus::ok) result = QuicStatus::crypto_overflow;
          }
        }
        p += len;
        n -= len;
        break;
      }
      case 0x1c:
      case 0x1d:  // CONNECTION_CLOSE (§19.19): Error Code, [Frame Type], Reason Phrase
        ok = read_varint(p, n, a) && (type == 0x1d || read_varint(p, n, b)) && read_varint(p, n, c) && c <= n;
        if (ok) {
          p += c;
          n -= static_cast<std::size_t>(c);
        }
        break;
      default:
        ok = false;
        break;
    }
    if (!ok) {
      ++counters_.bad_frames;
      return result == QuicStatus::ok ? QuicStatus::bad_frame : result;
    }
  }
  return result;
}

// Parses every complete hello at the head of the direction's CRYPTO stream: one per direction,
// or two after a HelloRetryRequest (RFC 8446 §4.1.4: the server's second ServerHello and the
// client's second ClientHello follow in the same Initial stream, RFC 9001 §4.1.3).
QuicStatus QuicInitialReader::finish_hellos(int role, TlsVisitor& visitor) noexcept {
  Direction& d = dirs_[role];
  while (!d.done) {
    const std::size_t have = d.crypto.contiguous();
    if (have < d.message_start + 4) return QuicStatus::ok;
    const std::uint8_t* m = d.crypto.data() + d.message_start;
    const std::size_t body_len = static_cast<std::size_t>(m[1]) << 16 | static_cast<std::size_t>(m[2]) << 8 | m[3];
    const std::uint8_t want = role == kClient ? kHandshakeClientHello : kHandshakeServerHello;
    if (m[0] != want) {
      ++counters_.bad_hellos;
      give_up(role);
      return QuicStatus::bad_hello;
    }
    if (d.message_start + 4 + body_len > kCryptoBufferBytes) {
      ++counters_.hellos_too_large;
      give_up(role);
      return QuicStatus::crypto_overflow;
    }
    if (have < d.message_start + 4 + body_len) return QuicStatus::ok;

    bool retry_request = false;
    if (role == kClient) {
      TlsClientHello hello;
      if (parse_client_hello(m + 4, body_len, hello, 'q', ja4_) != TlsStatus::ok) {
        ++counters_.bad_hellos;
        give_up(role);
        return QuicStatus::bad_hello;
      }
      visitor.on_client_hello(hello);
    } else {
      TlsServerHello hello;
      if (parse_server_hello(m + 4, body_len, hello) != TlsStatus::ok) {
        ++counters_.bad_hellos;
        give_up(role);
        return QuicStatus::bad_hello;
      }
      retry_request = hello.hello_retry_request && d.hellos_wanted == 1;
      visitor.on_server_hello(hello);
    }
    d.message_start += 4 + body_len;
    ++d.hellos_reported;
    if (retry_request) {
      d.hellos_wanted = 2;
      Direction& client = dirs_[kClient];
      client.hellos_wanted = 2;
      if (!client.gave_up) client.done = client.hellos_reported >= 2;
    }
    if (d.hellos_reported >= d.hellos_wanted) d.done = true;
  }
  return QuicStatus::ok;
}

}  // namespace outpost::capture::proto
