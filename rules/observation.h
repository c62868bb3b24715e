#pragma once
// Observation: the one type that crosses from capture/ to rules/. capture/ produces it (from
// packets, flows and its own protocol parsers); rules/ matches it against indicator sets;
// agent/ turns matches into sightings. Nothing else of rules/ may be included by capture/.
//
// An Observation is a transient view: `value` and `context` point into buffers owned by the
// producer and are valid only for the duration of the callback that receives it. Consumers
// that keep one must copy the strings.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace outpost::rules {

// All times in Outpost are 64-bit microseconds since the Unix epoch (UTC). 32-bit routers
// have a 32-bit time_t, so no Outpost interface uses time_t.
using TimeUs = std::int64_t;

// Fixed-width enum beside its one name table (observation_kind_name). The names are a
// contract: they appear in --observations output and in indicator list prefixes.
enum class ObservationKind : std::uint8_t {
  dns_query = 0,      // question name of a DNS query or response (UDP or TCP)
  dns_answer,         // one answer record: value = address or CNAME target, context = owner name
  tls_sni,            // server_name of a TLS ClientHello over TCP
  quic_sni,           // server_name of a QUIC ClientHello (from nDPI)
  http_host,          // Host header without :port (the port, if any, is in context)
  http_url,           // reconstructed absolute URL: http:// + Host (with :port) + target
  http_user_agent,    // User-Agent header
  ja3,                // JA3 MD5 of a ClientHello (GREASE excluded)
  ja3s,               // JA3S MD5 of a ServerHello
  ja4,                // JA4 of a ClientHello (FoxIO)
  x509_sha1,          // SHA-1 of one DER certificate of a TLS chain
  src_ip,             // source address of an IP header (outer and inner headers, ICMP quotes)
  dst_ip,             // destination address of an IP header; context = DNS name it resolved from
  ip_port,            // remote address:port of a flow (IPv6 as [addr]:port)
  http_file_sha256,   // hashes of HTTP response bodies (file-hash issue)
  http_file_md5,
  http_file_sha1,
  http_upload_sha256, // hashes of HTTP request bodies
  http_upload_md5,
  http_upload_sha1,
  count_              // number of kinds; not a kind
};

inline constexpr std::size_t kObservationKindCount = static_cast<std::size_t>(ObservationKind::count_);

// The canonical spelling of each kind ("dns_query", ...).
std::string_view observation_kind_name(ObservationKind kind) noexcept;
// Parses a canonical spelling; returns false if `name` is not a kind.
bool parse_observation_kind(std::string_view name, ObservationKind& out) noexcept;

// An IPv4 or IPv6 address in network byte order. IPv4 uses bytes[0..3].
struct IpAddress {
  std::uint8_t family = 0;  // 0 = none, 4, 6
  std::uint8_t bytes[16] = {};

  bool empty() const noexcept { return family == 0; }
  friend bool operator==(const IpAddress& a, const IpAddress& b) noexcept;
  friend bool operator!=(const IpAddress& a, const IpAddress& b) noexcept { return !(a == b); }
};

// Writes the textual form (dotted quad, RFC 5952 for IPv6) into buf; returns its length.
// buf must hold at least 46 bytes.
std::size_t format_ip(const IpAddress& ip, char* buf) noexcept;
// Parses an IPv4 or IPv6 textual address (no prefix length). Returns false if invalid.
bool parse_ip(std::string_view text, IpAddress& out) noexcept;

// The LAN device an observation is attributed to: its MAC where layer 2 is present, else its
// IP address.
struct Device {
  enum class Kind : std::uint8_t { none = 0, mac = 1, ip = 2 };
  Kind kind = Kind::none;
  std::uint8_t mac[6] = {};
  IpAddress ip;
};

// Direction of the flow relative to the configured LAN prefixes.
enum class Direction : std::uint8_t {
  outbound = 0,  // LAN device -> outside
  inbound,       // outside -> LAN device (the initiator is outside)
  internal,      // both ends in the LAN
  external,      // neither end in the LAN (e.g. a mirror port or a transit capture)
};
std::string_view direction_name(Direction d) noexcept;

// What a TLS certificate says about itself (the x509-certificate SCO, STIX 2.1 §6.17), carried
// by x509_sha1 observations so patterns on more than the hash can be evaluated. Views are valid
// during the callback only; empty / kNoFactTime / -1 when the producer does not know.
inline constexpr TimeUs kNoFactTime = INT64_MIN;
struct CertificateFacts {
  std::string_view sha256;         // hex, lowercase
  std::string_view serial_number;  // lowercase hex byte pairs joined by ':' ("0c:48:73:...")
  std::string_view subject;        // RFC 4514 string ("CN=example.com,O=Example,C=US")
  std::string_view issuer;
  TimeUs not_before = kNoFactTime;  // validity (RFC 5280 §4.1.2.5)
  TimeUs not_after = kNoFactTime;
  std::int8_t self_signed = -1;     // 1: issuer and subject are the same name; -1 unknown
};

// What is known of a transferred file (the file SCO, STIX 2.1 §6.7), carried by http_file_* and
// http_upload_* observations: the value is one of its hashes, these are all of them.
struct FileFacts {
  std::string_view md5, sha1, sha256;  // hex, lowercase; empty when not computed
  std::string_view name;               // Content-Disposition file name, else the URL's last segment
  std::string_view mime_type;          // Content-Type without parameters
  std::string_view url;                // the request URL
  std::int64_t size = -1;              // bytes of the (decoded) body
};

struct Observation {
  ObservationKind kind = ObservationKind::dst_ip;
  std::string_view value;    // normalised value (lowercase names, no trailing dot, ...)
  std::string_view context;  // kind-specific context (see ObservationKind), may be empty
  IpAddress address;         // the value as an address when it is one (src_ip, dst_ip, address
                             // dns_answers) and the producer has it binary; family 0 otherwise
  TimeUs ts = 0;             // timestamp of the packet that carried it
  std::uint64_t flow = 0;    // flow id, unique within a run; 0 if not part of a flow
  std::string_view app_proto;  // application protocol (nDPI's name, or ours), may be empty
  std::uint8_t l4_proto = 0;   // IP protocol number of the flow (6 TCP, 17 UDP, ...)
  Direction direction = Direction::external;
  IpAddress local;             // LAN-side endpoint of the flow (or the initiator if none)
  IpAddress remote;            // the other endpoint
  std::uint16_t local_port = 0;
  std::uint16_t remote_port = 0;
  Device device;               // LAN device this observation belongs to
  const CertificateFacts* certificate = nullptr;  // x509_sha1: the certificate's other facts
  const FileFacts* file = nullptr;                // http_file_* / http_upload_*: the file's facts
};

}  // namespace outpost::rules
