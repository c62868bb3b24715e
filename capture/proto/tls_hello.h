#pragma once
// TLS ClientHello / ServerHello bodies and the fingerprints computed from them: JA3, JA3S
// (Salesforce JA3, as tshark's tls.handshake.ja3 / ja3s compute them) and JA4 (FoxIO,
// technical_details/JA4.md). Pure functions over one complete handshake message body (the
// bytes after the 4-byte handshake header), so they serve TLS over TCP (tls_handshake.h) and
// any other carrier (QUIC CRYPTO frames, DTLS) alike. No allocation; views point into the body.
//
// Wire formats: RFC 8446 §4.1.2 (ClientHello), §4.1.3 (ServerHello), §4.2 (extensions);
// RFC 5246 §7.4.1.2-3 (TLS 1.2, extensions optional); RFC 6066 §3 (server_name); RFC 7301
// (ALPN); RFC 8422 §5.1 (supported_groups, ec_point_formats); RFC 8701 (GREASE).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "capture/proto/byte_view.h"
#include "capture/proto/digest.h"

namespace outpost::capture::proto {

// Fixed width, one name table (tls_status_name). Shared by the hello parsers and the
// streaming handshake parser.
enum class TlsStatus : std::uint8_t {
  ok = 0,
  not_tls,          // the stream does not start with a TLS handshake record
  sslv2_hello,      // SSLv2-compatible ClientHello (RFC 5246 Appendix E.2): not parsed
  bad_record,       // record content type, version or length invalid (RFC 8446 §5.1)
  bad_hello,        // ClientHello/ServerHello lengths inconsistent (e.g. a truncated extension)
  bad_certificate,  // Certificate message lengths inconsistent (RFC 5246 §7.4.2)
  hello_too_large,  // a hello message exceeded the parser's buffer; it was skipped
  count_
};
inline constexpr std::size_t kTlsStatusCount = static_cast<std::size_t>(TlsStatus::count_);
std::string_view tls_status_name(TlsStatus s) noexcept;

// RFC 8701 §2: 0x0A0A, 0x1A1A, ..., 0xFAFA.
constexpr bool is_grease(std::uint16_t v) noexcept {
  return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

// Extension code points used here (IANA TLS ExtensionType registry).
inline constexpr std::uint16_t kTlsExtServerName = 0;
inline constexpr std::uint16_t kTlsExtSupportedGroups = 10;
inline constexpr std::uint16_t kTlsExtEcPointFormats = 11;
inline constexpr std::uint16_t kTlsExtSignatureAlgorithms = 13;
inline constexpr std::uint16_t kTlsExtAlpn = 16;
inline constexpr std::uint16_t kTlsExtSupportedVersions = 43;

inline constexpr std::size_t kJa4Length = 36;  // "t13d1516h2_8daaf6152771_e5627efa2ab1"

struct TlsClientHello {
  std::uint16_t legacy_version = 0;   // ClientHello.legacy_version (JA3's SSLVersion)
  ByteView session_id;
  ByteView cookie;                    // DTLS only (transport 'd', RFC 6347 §4.2.1); not in JA3
  ByteView cipher_suites;             // 2-byte code points, in order, GREASE included
  ByteView compression_methods;
  bool has_extensions = false;        // TLS <= 1.2 clients may omit the block
  ByteView extensions;                // the extensions block (type, length, data)*

  bool has_sni = false;               // server_name extension present (JA4 'd')
  std::string_view sni;               // first host_name entry as sent; empty if none. Bytes are
                                      // not validated: lowercase/validate before use.
  ByteView alpn;                      // ProtocolNameList contents (without its 2-byte length)
  ByteView supported_groups;          // NamedGroupList contents
  ByteView ec_point_formats;          // ECPointFormatList contents
  ByteView signature_algorithms;      // SignatureSchemeList contents
  ByteView supported_versions;        // ProtocolVersion list contents
  std::uint16_t highest_version = 0;  // highest non-GREASE supported_versions, else legacy

  char ja3_md5[2 * kMd5Bytes + 1] = {};  // lowercase hex
  char ja4[kJa4Length + 1] = {};         // empty if not computable (more than kJa4MaxItems)
};

struct TlsServerHello {
  std::uint16_t legacy_version = 0;   // JA3S's SSLVersion
  ByteView session_id;
  std::uint16_t cipher_suite = 0;
  std::uint8_t compression_method = 0;
  bool has_extensions = false;
  ByteView extensions;
  // The negotiated version: supported_versions' selected_version (RFC 8446 §4.2.1) when
  // present, else legacy_version.
  std::uint16_t selected_version = 0;
  bool hello_retry_request = false;   // RFC 8446 §4.1.3 special random
  std::string_view alpn;              // the selected protocol, if any
  char ja3s_md5[2 * kMd5Bytes + 1] = {};
};

// JA4 sorts the cipher and extension lists on the stack: at most this many entries each.
inline constexpr std::size_t kJa4MaxItems = 4096;

// Parses a ClientHello body and computes JA3 (MD5) and JA4 for transport 't' (TLS over TCP),
// 'q' (QUIC) or 'd' (DTLS; its ClientHello has a cookie<0..2^8-1> after the session id, RFC 6347
// §4.2.1 and RFC 9147 §5.3, which JA3 and JA4 leave out as tshark does). Returns bad_hello when any length is inconsistent, including a
// truncated extension; then `out` must not be used. Malformed contents of an extension the
// fingerprints do not depend on are ignored.
// `ja4`: whether to compute JA4 (two SHA-256 hashes; left empty when false, for callers
// that have no consumer of it).
TlsStatus parse_client_hello(const std::uint8_t* body, std::size_t len, TlsClientHello& out,
                             char transport = 't', bool ja4 = true) noexcept;

// Parses a ServerHello body (including HelloRetryRequest) and computes JA3S (MD5).
TlsStatus parse_server_hello(const std::uint8_t* body, std::size_t len, TlsServerHello& out) noexcept;

// The full JA3 / JA3S text (decimal fields, GREASE excluded). snprintf-like: writes at most
// cap - 1 characters plus a NUL, returns the full length (so a second call with a larger
// buffer can get all of it; JA3 text has no fixed bound).
std::size_t format_ja3(const TlsClientHello& hello, char* out, std::size_t cap) noexcept;
std::size_t format_ja3s(const TlsServerHello& hello, char* out, std::size_t cap) noexcept;

// Iterates a ProtocolNameList (RFC 7301 §3.1), e.g. TlsClientHello::alpn.
class AlpnList {
 public:
  explicit AlpnList(ByteView list) noexcept : p_(list.data), left_(list.len) {}
  // Next protocol name; false at the end or on a malformed entry.
  bool next(std::string_view& name) noexcept;

 private:
  const std::uint8_t* p_;
  std::size_t left_;
};

}  // namespace outpost::capture::proto
