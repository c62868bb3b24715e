#pragma once
// QUIC Initial packets: the TLS ClientHello / ServerHello that QUIC carries in CRYPTO frames of
// Initial packets, which a passive observer can decrypt because their keys derive from the
// client's Destination Connection ID and a per-version public salt (RFC 9001 §5.2).
//
//  * Long header (RFC 9000 §17.2, §17.2.2), coalesced packets in one datagram (§12.2).
//  * Versions: 1 (RFC 9000), 2 (RFC 9369: own salt, "quicv2 " HKDF labels, other long-header
//    type bits), the v2 draft 0x709a50c4, and drafts 23..34 (0xff000017..0xff000022) with their
//    salts. Google QUIC (Q0xx, T0xx) and unknown versions are skipped: unsupported_version.
//  * Initial keys (RFC 9001 §5.2: HKDF-SHA256, HKDF-Expand-Label of RFC 8446 §7.1), header
//    protection removal (§5.4.1, §5.4.3: AES-128-ECB mask of a 16-byte sample) and
//    AEAD_AES_128_GCM (§5.3); mbedTLS crypto.
//  * Frames of an Initial (RFC 9000 §12.4 Table 3, §19): PADDING, PING, ACK, CRYPTO,
//    CONNECTION_CLOSE; anything else ends the packet (bad_frame). CRYPTO data is reassembled
//    by offset (any order, across packets) in a fixed buffer per direction; when the first
//    handshake message is complete it is parsed with parse_client_hello(…, 'q') /
//    parse_server_hello and given to a TlsVisitor (tls_handshake.h), as the TCP path does.
//
// QuicInitialReader is the state of one UDP flow. The server's Initials are protected with keys
// from the CLIENT's first Destination Connection ID, so the reader remembers it; after a Retry
// (RFC 9000 §17.2.5) the client's new DCID is taken when the old keys fail. Which side is the
// client is learned from the packets themselves (only a client Initial decrypts with keys
// derived from its own DCID), so a flow whose initiator is the server still works.
//
// Memory: about 8.8 KB per reader (two kCryptoBufferBytes buffers). Stack per call: about
// 5 KB (one decrypted packet, AES/GCM contexts) plus parse_client_hello's JA4 tables (~8 KB).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "capture/proto/offset_reassembly.h"
#include "capture/proto/tls_handshake.h"
#include "capture/proto/tls_hello.h"

namespace outpost::capture::proto {

// Fixed width, one name table (quic_status_name).
enum class QuicStatus : std::uint8_t {
  ok = 0,
  not_quic,             // not a long-header packet (or too short for one)
  unsupported_version,  // version negotiation, gQUIC, or a version without known Initial keys
  not_initial,          // a long-header packet of another type (0-RTT, Handshake, Retry)
  bad_header,           // header lengths inconsistent with the datagram
  packet_too_large,     // longer than kMaxPacketBytes: not decrypted
  decrypt_failed,       // AEAD tag mismatch: wrong keys, corrupted, or not an Initial we can read
  bad_frame,            // frame encoding inconsistent, or a frame type not allowed in Initials
  crypto_overflow,      // CRYPTO data past the reassembly buffer (dropped)
  bad_hello,            // the reassembled handshake message is not a valid hello
  count_
};
inline constexpr std::size_t kQuicStatusCount = static_cast<std::size_t>(QuicStatus::count_);
std::string_view quic_status_name(QuicStatus s) noexcept;

inline constexpr std::uint32_t kQuicVersion1 = 0x00000001;
inline constexpr std::uint32_t kQuicVersion2 = 0x6b3343cf;
inline constexpr std::size_t kQuicMaxCidBytes = 20;  // RFC 9000 §17.2

// True for the versions whose Initial packets this file can read.
bool quic_initial_version_supported(std::uint32_t version) noexcept;

// Packet protection keys of one direction (AEAD_AES_128_GCM, RFC 9001 §5.3).
struct QuicKeys {
  std::uint8_t key[16] = {};
  std::uint8_t iv[12] = {};
  std::uint8_t hp[16] = {};
};

// RFC 9001 §5.2 (and RFC 9369 §3.3 for v2): client and server Initial keys of `version` for the
// client's first Destination Connection ID. False for an unsupported version or a DCID longer
// than 20 bytes.
bool derive_quic_initial_keys(std::uint32_t version, const std::uint8_t* dcid, std::size_t dcid_len,
                              QuicKeys& client, QuicKeys& server) noexcept;

// RFC 9001 §5.4.3: the first 5 bytes of AES-128-ECB(hp, sample).
void quic_header_protection_mask(const QuicKeys& keys, const std::uint8_t sample[16],
                                 std::uint8_t mask[5]) noexcept;

// The cleartext fields of a long header (RFC 9000 §17.2), read without keys.
struct QuicLongHeader {
  std::uint32_t version = 0;
  bool initial = false;            // the version's Initial type bits
  ByteView dcid, scid, token;      // token: Initial only
  std::size_t pn_offset = 0;       // where the (protected) packet number starts
  std::size_t packet_length = 0;   // bytes of this packet in the datagram (header included)
};

// Reads one long-header packet at the start of `data` (a datagram or what follows a coalesced
// packet). ok for an Initial; not_initial for the other typed packets (packet_length is valid,
// so the caller can skip to the next one); not_quic / unsupported_version / bad_header else.
QuicStatus parse_quic_long_header(const std::uint8_t* data, std::size_t len, QuicLongHeader& out) noexcept;

// Removes header protection and decrypts the Initial packet that parse_quic_long_header read at
// `data`. `largest_pn` is the largest packet number decrypted so far in that direction (-1 for
// none), used to expand the truncated packet number (RFC 9000 §17.1, Appendix A.3). On ok the
// frames are in plaintext[0, *plaintext_len) and *packet_number is set. `plaintext` must hold
// packet_length bytes; larger packets are refused with packet_too_large.
QuicStatus decrypt_quic_initial(const std::uint8_t* data, const QuicLongHeader& header,
                                const QuicKeys& keys, std::int64_t largest_pn,
                                std::uint8_t* plaintext, std::size_t capacity,
                                std::size_t* plaintext_len, std::uint64_t* packet_number) noexcept;

// A quick test for the pipeline: does this UDP payload start with a client's first Initial
// (long header, supported version, Initial type, DCID of 8..20 bytes as RFC 9000 §7.2 requires)?
bool looks_like_quic_initial(const std::uint8_t* payload, std::size_t len) noexcept;

struct QuicCounters {
  std::uint64_t datagrams = 0;
  std::uint64_t packets = 0;             // long-header packets read
  std::uint64_t initials_decrypted = 0;
  std::uint64_t decrypt_failures = 0;
  std::uint64_t packets_too_large = 0;
  std::uint64_t unsupported_versions = 0;
  std::uint64_t bad_headers = 0;
  std::uint64_t bad_frames = 0;          // includes frame types not allowed in Initials
  std::uint64_t crypto_frames = 0;
  std::uint64_t crypto_bytes_dropped = 0;  // past kCryptoBufferBytes, or too fragmented
  std::uint64_t hellos_too_large = 0;      // handshake message longer than the buffer
  std::uint64_t bad_hellos = 0;
  std::uint64_t retries_followed = 0;      // new client DCID adopted (after a Retry)
  std::uint64_t roles_swapped = 0;         // the flow's initiator turned out to be the server
  std::uint64_t gave_up = 0;               // a direction stopped without its hello
};

class QuicInitialReader {
 public:
  // Per-direction CRYPTO reassembly (the Initial packet number space's stream, offset 0..).
  static constexpr std::size_t kCryptoBufferBytes = 4096;
  // Largest packet decrypted (Initials are padded to >= 1200 bytes and fit a 1500-byte MTU).
  static constexpr std::size_t kMaxPacketBytes = 4096;
  // A direction that has sent this many Initial packets without completing its hello gives up.
  static constexpr std::uint32_t kMaxInitialsPerDirection = 32;

  QuicInitialReader() noexcept = default;
  QuicInitialReader(const QuicInitialReader&) = delete;
  QuicInitialReader& operator=(const QuicInitialReader&) = delete;

  // One UDP payload. from_client: sent by the flow's initiator (normally the QUIC client; see
  // above). Walks every coalesced packet; reports each hello once through `visitor`. Returns ok
  // or the first problem met in this datagram (problems are also counted). Ignores input once
  // done().
  QuicStatus on_datagram(bool from_client, const std::uint8_t* payload, std::size_t len,
                         TlsVisitor& visitor) noexcept;

  // Both hellos reported, or their directions gave up (short-header packets seen, a bad or
  // oversized hello, or kMaxInitialsPerDirection Initials without a complete hello).
  bool done() const noexcept { return dirs_[0].done && dirs_[1].done; }
  bool client_hello_seen() const noexcept { return dirs_[kClient].hellos_reported != 0; }
  bool server_hello_seen() const noexcept { return dirs_[kServer].hellos_reported != 0; }
  // The version of the first Initial decrypted; 0 before.
  std::uint32_t version() const noexcept { return version_; }
  // Whether the flow's initiator is the QUIC client (known after the first client Initial).
  bool initiator_is_client() const noexcept { return initiator_is_client_; }
  const QuicCounters& counters() const noexcept { return counters_; }
  // Whether ClientHellos get their JA4 (default); kept across reset().
  void set_ja4(bool on) noexcept { ja4_ = on; }
  void reset() noexcept;

 private:
  static constexpr int kClient = 0;
  static constexpr int kServer = 1;

  struct Direction {
    OffsetReassembly<kCryptoBufferBytes, 16> crypto;
    QuicKeys keys;
    std::uint32_t keys_version = 0;  // the version `keys` were derived for; 0: none
    std::int64_t largest_pn = -1;
    std::uint32_t initials = 0;
    std::size_t message_start = 0;   // CRYPTO offset of the next hello to parse
    std::uint8_t hellos_wanted = 1;  // 2 after a HelloRetryRequest
    std::uint8_t hellos_reported = 0;
    bool gave_up = false;
    bool done = false;
    void reset() noexcept;
  };

  int role_of(bool from_client) const noexcept {
    return from_client == initiator_is_client_ ? kClient : kServer;
  }
  QuicStatus on_initial(bool from_client, const std::uint8_t* data, const QuicLongHeader& h,
                        TlsVisitor& visitor) noexcept;
  QuicStatus decrypt_with(int role, const std::uint8_t* data, const QuicLongHeader& h,
                          std::uint8_t* plaintext, std::size_t* plain_len) noexcept;
  QuicStatus take_frames(int role, const std::uint8_t* p, std::size_t n) noexcept;
  QuicStatus finish_hellos(int role, TlsVisitor& visitor) noexcept;
  bool derive_keys(std::uint32_t version, const std::uint8_t* dcid, std::size_t dcid_len) noexcept;
  void give_up(int role) noexcept;

  Direction dirs_[2];
  std::uint8_t dcid_[kQuicMaxCidBytes] = {};  // the client's first DCID (keys of both directions)
  std::uint8_t dcid_len_ = 0;
  bool roles_known_ = false;
  bool initiator_is_client_ = true;
  std::uint32_t version_ = 0;
  std::uint32_t unattributed_initials_ = 0;  // Initials seen before any decrypted
  QuicCounters counters_;
  bool ja4_ = true;
};

}  // namespace outpost::capture::proto
