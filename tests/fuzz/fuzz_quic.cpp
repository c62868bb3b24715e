// libFuzzer target: QUIC Initial packets (capture/proto/quic_initial.h).
//
// Input: one mode byte, then records of [control byte][length, 2 bytes big-endian][bytes]
// (a length past the input's end takes what is left). Control bit 0: sent by the client side.
//
//  * mode bit 0 clear ("raw"): each record is one UDP datagram fed as it is to a
//    QuicInitialReader (and read by parse_quic_long_header / looks_like_quic_initial). Real
//    Initials from the corpus decrypt; mutations exercise headers, lengths and coalescing.
//  * mode bit 0 set ("sealed"): each record is the PLAINTEXT frame payload of an Initial that
//    this target protects itself (RFC 9001 §5: keys from a fixed client DCID, AES-128-GCM,
//    header protection) for the version picked by mode bits 1-2, so the fuzzer reaches frame
//    parsing, CRYPTO reassembly and the hello parsers behind authentication. Control bit 1
//    coalesces the next packet into the same datagram; bits 2-3 give the packet number length.
//
// Every datagram sits in its own heap block of exactly its length, so a read past it is an
// ASan report. Seeds: tests/fuzz/quic_dtls_seeds.py (raw and sealed, from the corpus).

#include <mbedtls/gcm.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "capture/proto/quic_initial.h"

namespace {

using namespace outpost::capture::proto;

struct CheckingVisitor : TlsVisitor {
  std::size_t total = 0;
  void on_client_hello(const TlsClientHello& h) override {
    if (std::strlen(h.ja3_md5) != 32) std::abort();
    const std::size_t ja4 = std::strlen(h.ja4);
    if (ja4 != 0 && (ja4 != kJa4Length || h.ja4[0] != 'q')) std::abort();
    total += h.sni.size() + h.alpn.len;
  }
  void on_server_hello(const TlsServerHello& h) override {
    if (std::strlen(h.ja3s_md5) != 32) std::abort();
    total += h.alpn.size();
  }
};

constexpr std::uint8_t kDcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
constexpr std::uint8_t kServerCid[5] = {0xf0, 0x67, 0xa5, 0x50, 0x2a};
constexpr std::uint32_t kVersions[4] = {kQuicVersion1, kQuicVersion2, 0xff00001d, 0xff000017};

void put_varint2(std::vector<std::uint8_t>& b, std::size_t v) {
  b.push_back(static_cast<std::uint8_t>(0x40 | (v >> 8)));
  b.push_back(static_cast<std::uint8_t>(v));
}

// Appends a protected Initial carrying `frames` (RFC 9001 §5.3, §5.4).
void seal(std::vector<std::uint8_t>& out, std::uint32_t version, bool from_client, std::uint64_t pn,
          std::size_t pn_len, const std::uint8_t* frames, std::size_t n) {
  if (n > 16000) n = 16000;  // the 2-byte Length field
  QuicKeys client, server;
  derive_quic_initial_keys(version, kDcid, sizeof kDcid, client, server);
  const QuicKeys& keys = from_client ? client : server;
  std::vector<std::uint8_t> plain(frames, frames + n);
  if (plain.size() + pn_len < 4) plain.resize(4 - pn_len, 0);  // room for the sample

  const bool v2 = version == kQuicVersion2;
  const std::size_t start = out.size();
  out.push_back(static_cast<std::uint8_t>(0xc0 | (v2 ? 1 : 0) << 4 | (pn_len - 1)));
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(version >> (8 * i)));
  if (from_client) {
    out.push_back(sizeof kDcid);
    out.insert(out.end(), kDcid, kDcid + sizeof kDcid);
    out.push_back(0);
  } else {
    out.push_back(0);
    out.push_back(sizeof kServerCid);
    out.insert(out.end(), kServerCid, kServerCid + sizeof kServerCid);
  }
  out.push_back(0);  // token length
  put_varint2(out, pn_len + plain.size() + 16);
  const std::size_t pn_offset = out.size();
  for (std::size_t i = pn_len; i-- > 0;) out.push_back(static_cast<std::uint8_t>(pn >> (8 * i)));
  const std::size_t header_len = out.size() - start;

  std::uint8_t nonce[12];
  std::memcpy(nonce, keys.iv, 12);
  for (int i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<std::uint8_t>(pn >> (8 * i));
  std::vector<std::uint8_t> cipher(plain.size());
  std::uint8_t tag[16];
  mbedtls_gcm_context gcm;
  mbedtls_gcm_init(&gcm);
  mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, keys.key, 128);
  mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, plain.size(), nonce, 12, out.data() + start, header_len,
                            plain.data(), cipher.data(), 16, tag);
  mbedtls_gcm_free(&gcm);
  out.insert(out.end(), cipher.begin(), cipher.end());
  out.insert(out.end(), tag, tag + 16);

  std::uint8_t mask[5];
  quic_header_protection_mask(keys, out.data() + pn_offset + 4, mask);
  out[start] = static_cast<std::uint8_t>(out[start] ^ (mask[0] & 0x0f));
  for (std::size_t i = 0; i < pn_len; ++i) out[pn_offset + i] = static_cast<std::uint8_t>(out[pn_offset + i] ^ mask[1 + i]);
}

void feed(QuicInitialReader& reader, bool from_client, const std::vector<std::uint8_t>& datagram,
          CheckingVisitor& v) {
  auto* exact = static_cast<std::uint8_t*>(std::malloc(datagram.size() + 1));
  if (!datagram.empty()) std::memcpy(exact, datagram.data(), datagram.size());
  QuicLongHeader h;
  const QuicStatus s = parse_quic_long_header(exact, datagram.size(), h);
  if (s == QuicStatus::ok && (h.packet_length > datagram.size() || h.pn_offset > h.packet_length)) std::abort();
  v.total += looks_like_quic_initial(exact, datagram.size());
  const QuicStatus r = reader.on_datagram(from_client, exact, datagram.size(), v);
  if (quic_status_name(r) == "unknown") std::abort();
  std::free(exact);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool sealed = data[0] & 1;
  const std::uint32_t version = kVersions[(data[0] >> 1) & 3];
  std::size_t pos = 1;

  QuicInitialReader reader;
  CheckingVisitor v;
  std::vector<std::uint8_t> datagram;
  std::uint64_t pn[2] = {0, 0};
  bool pending_from_client = true;
  while (pos < size) {
    const std::uint8_t control = data[pos++];
    std::size_t len = 0;
    if (pos < size) len = static_cast<std::size_t>(data[pos++]) << 8;
    if (pos < size) len |= data[pos++];
    if (len > size - pos) len = size - pos;
    const bool from_client = control & 1;
    if (!sealed) {
      datagram.assign(data + pos, data + pos + len);
      feed(reader, from_client, datagram, v);
    } else {
      if (datagram.empty()) pending_from_client = from_client;
      const int side = pending_from_client ? 0 : 1;
      seal(datagram, version, pending_from_client, pn[side]++, ((control >> 2) & 3) + 1, data + pos, len);
      if (!(control & 2) || pos + len >= size) {
        feed(reader, pending_from_client, datagram, v);
        datagram.clear();
      }
    }
    pos += len;
  }
  const QuicCounters& c = reader.counters();
  if (c.initials_decrypted > c.packets || c.gave_up > 2) std::abort();
  return 0;
}
