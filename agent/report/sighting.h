#pragma once
// The values the aggregator hands to the output side: one Sighting per (indicator, device,
// window), grouped per closed window. Everything here is owned (copied out of the transient
// Observation / MatchedIndicator views) and plain data, so writers and tests can build them.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/match.h"
#include "rules/observation.h"

namespace outpost::agent {

// STIX 2.1 Cyber-observable types a sighting can carry (§6). Fixed width, names beside.
enum class ObservableType : std::uint8_t {
  domain_name = 0,
  ipv4_addr,
  ipv6_addr,
  url,
  x509_certificate,  // hashes {"SHA-1": value}
  file,              // hashes {<hash_algorithm>: value} of an HTTP body
  network_traffic,   // remote address + remote port + protocols
};
// STIX type name ("domain-name", "ipv4-addr", ...).
std::string_view observable_type_name(ObservableType t) noexcept;

// Hash algorithms of x509-certificate / file observables, spelled as STIX hashes keys
// (hash-algorithm-ov, §10.7).
enum class HashAlgorithm : std::uint8_t { none = 0, md5, sha1, sha256 };
std::string_view hash_algorithm_name(HashAlgorithm h) noexcept;  // "MD5", "SHA-1", "SHA-256"

// One distinct remote-side observable of a sighting.
struct Observable {
  ObservableType type = ObservableType::domain_name;
  // domain-name / url: the text (valid UTF-8; URL without query unless configured);
  // x509-certificate / file: lowercase hex digest. Empty for addresses and network-traffic.
  std::string value;
  HashAlgorithm hash = HashAlgorithm::none;
  // ipv4-addr / ipv6-addr: the address; network-traffic: the remote endpoint's address.
  rules::IpAddress ip;
  // network-traffic only.
  std::uint16_t port = 0;         // remote port
  std::uint8_t l4_proto = 0;      // IP protocol number
  bool remote_is_source = false;  // inbound flows: the remote end initiated (src_ref/src_port)
};

struct Sighting {
  // Indicator side (copied at the first match).
  std::string indicator_id;
  rules::IndicatorSource source;
  int confidence = -1;                    // indicator's confidence, -1 when absent
  std::vector<std::string> marking_refs;  // indicator's object_marking_refs
  std::string matched_term;               // first matched term (URL query stripped)

  rules::Device device;
  rules::TimeUs window_start = 0;  // [window_start, window_end)
  rules::TimeUs window_end = 0;

  rules::TimeUs first_seen = 0;
  rules::TimeUs last_seen = 0;
  std::uint64_t count = 0;

  std::uint32_t seen_in = 0;    // bit (1 << ObservationKind) per kind seen
  std::uint8_t directions = 0;  // bit (1 << Direction) per direction seen
  std::vector<std::string> app_protos;  // distinct, at most kMaxAppProtos, first seen first
  std::vector<Observable> observables;  // distinct, first seen first, bounded by options
  std::uint32_t observables_omitted = 0;  // distinct-or-not observables not kept (cap, size)

  static constexpr std::size_t kMaxAppProtos = 4;
};

// One closed window: what becomes one STIX bundle.
struct ClosedWindow {
  rules::TimeUs start = 0;
  rules::TimeUs end = 0;
  // When the window was closed: its end when replay time passed it, or the latest time seen
  // when flush() closed it early. Used as created/modified of its sightings.
  rules::TimeUs closed_at = 0;
  std::vector<Sighting> sightings;  // ordered by (indicator id, device)
};

}  // namespace outpost::agent
