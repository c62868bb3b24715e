#pragma once
// DnsMessage: parser of one DNS message (RFC 1035 §4) — the payload of a UDP datagram or one
// length-delimited message of a DNS-over-TCP stream (see dns_tcp_framer.h).
//
// Pure and bounded: bytes in, results out through a DnsVisitor; no allocation, no
// exceptions, never reads outside [msg, msg + len). Results are reported as they are found,
// so a message that turns out to be malformed still reports the header and every question
// (and answer) parsed before the error; the returned DnsStatus says what went wrong.
//
// What is reported:
//  * the header (id, QR, opcode, RCODE, flags, section counts);
//  * every question: name and QTYPE/QCLASS;
//  * every answer-section record of type A, AAAA and CNAME: owner name, type, TTL and rdata
//    (the address, or the CNAME target), plus the question it answers. CNAME chains are
//    followed (RFC 1034 §3.6.2), in any record order, so an A record for
//    `edge.cdn.example` reached through `www.example.com CNAME edge.cdn.example` reports
//    question `www.example.com`. Authority and additional sections are not read.
//
// Names (RFC 1035 §3.1, §4.1.4): any legal name — at most 255 octets on the wire, labels of
// at most 63 octets — with compression pointers. A pointer must point strictly before the
// start of the labels that contain it (RFC 1035 §4.1.4: "a prior occurrence"), which rules out
// loops and forward pointers by construction; other pointers are bad_pointer.
//
// Name text ("presentation format", RFC 1035 §5.1 / RFC 4343 §2.1): labels are joined with '.',
// case is kept as on the wire, there is no trailing dot, and the root name is the empty
// string. Bytes that would make the text ambiguous are ESCAPED (never rejected): a '.' or '\'
// inside a label is written `\.` / `\\`, and any byte outside 0x21..0x7E (space, controls,
// non-ASCII) as `\ddd` with three decimal digits. So every distinct wire name has a distinct
// text, and plain LDH names are unchanged. (tshark 4.0 prints such bytes raw; newer
// Wireshark, dig and the RFC use this escaping.) normalize_dns_name() gives the lowercase form
// used for matching.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rules/observation.h"

namespace outpost::capture::proto {

// Fixed width, one name table (dns_status_name).
enum class DnsStatus : std::uint8_t {
  ok = 0,
  truncated_header,     // fewer than 12 bytes
  truncated_question,   // the data ended inside the question section (QDCOUNT larger than data)
  truncated_record,     // the data ended inside the answer section (ANCOUNT larger than data)
  bad_pointer,          // compression pointer out of range, forward or self-referencing
  bad_label_type,       // label type 0b01/0b10 (RFC 6891 §5 deprecated extended labels)
  name_too_long,        // more than 255 octets on the wire (RFC 1035 §3.1)
  bad_rdata,            // A/AAAA RDLENGTH is not 4/16, or a CNAME target overruns RDLENGTH
  count_
};
inline constexpr std::size_t kDnsStatusCount = static_cast<std::size_t>(DnsStatus::count_);
std::string_view dns_status_name(DnsStatus s) noexcept;

// RR types and classes used here (RFC 1035 §3.2.2, RFC 3596).
inline constexpr std::uint16_t kDnsTypeA = 1;
inline constexpr std::uint16_t kDnsTypeCname = 5;
inline constexpr std::uint16_t kDnsTypeAaaa = 28;
inline constexpr std::uint16_t kDnsClassIn = 1;

inline constexpr std::size_t kDnsMaxNameWire = 255;  // RFC 1035 §3.1
inline constexpr std::size_t kDnsMaxLabel = 63;
// Longest presentation text: 4 labels of ~63 octets, every octet escaped as \ddd.
inline constexpr std::size_t kDnsMaxNameText = 1004;

// A decoded name (see the escaping rules above). NUL-terminated.
struct DnsName {
  DnsName() noexcept { text[0] = '\0'; }  // the rest is not zero-filled: names are per packet

  char text[kDnsMaxNameText + 1];
  std::uint16_t length = 0;      // characters in text
  std::uint8_t labels = 0;       // number of labels (0 for the root)
  std::uint8_t wire_length = 0;  // octets on the wire, uncompressed, including the root label

  std::string_view view() const noexcept { return {text, length}; }
};

struct DnsHeader {
  std::uint16_t id = 0;
  bool qr = false;               // false: query, true: response
  std::uint8_t opcode = 0;       // RFC 1035 §4.1.1 / RFC 6895
  bool aa = false, tc = false, rd = false, ra = false;
  std::uint8_t rcode = 0;        // low 4 bits of the header RCODE (no EDNS extension)
  std::uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
};

struct DnsQuestion {
  std::uint16_t index = 0;       // 0-based position in the question section
  DnsName name;
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
};

// One A, AAAA or CNAME record of the answer section.
struct DnsAnswer {
  std::uint16_t index = 0;       // 0-based position in the answer section
  DnsName owner;
  std::uint16_t type = 0;        // kDnsTypeA, kDnsTypeAaaa or kDnsTypeCname
  std::uint16_t rclass = 0;      // as on the wire (mDNS sets the top "cache flush" bit)
  std::uint32_t ttl = 0;
  rules::IpAddress address;      // A / AAAA
  DnsName target;                // CNAME
  // The question this record answers, following CNAME chains within the answer section:
  // question_index < 0 when no chain leads from a question name to this owner (or the
  // question is not among the first kDnsTrackedQuestions).
  std::int16_t question_index = -1;
  DnsName question;              // its name, empty when question_index < 0
  std::uint8_t cname_hops = 0;   // CNAME records between the question name and this owner
};

// Bounds of the CNAME-chain bookkeeping (per message, on the stack). Records beyond them are
// still reported; they just cannot serve as chain links / chain starts.
inline constexpr std::size_t kDnsTrackedQuestions = 8;
inline constexpr std::size_t kDnsTrackedCnames = 32;
inline constexpr std::size_t kDnsMaxCnameHops = 16;

// Receives the results. Callbacks see references valid only during the call.
class DnsVisitor {
 public:
  virtual ~DnsVisitor() = default;
  virtual void on_header(const DnsHeader& /*header*/) {}
  virtual void on_question(const DnsQuestion& /*question*/) {}
  virtual void on_answer(const DnsAnswer& /*answer*/) {}
};

// Parses one DNS message. Calls on_header once (if the header is complete), then on_question
// for each question in order, then on_answer for each A/AAAA/CNAME answer in order. Returns
// the first error met (everything before it has been reported) or ok.
DnsStatus parse_dns_message(const std::uint8_t* msg, std::size_t len, DnsVisitor& visitor) noexcept;

// The form used for matching: ASCII A-Z lowercased, a trailing unescaped '.' removed; escapes
// are kept as they are. Writes at most cap bytes (no NUL) and returns the length written;
// returns 0 if the text does not fit. `out` may equal `text.data()`.
std::size_t normalize_dns_name(std::string_view text, char* out, std::size_t cap) noexcept;

}  // namespace outpost::capture::proto
