#pragma once
// The STIX cyber-observable objects (STIX 2.1 §6) one network Observation stands for: what a
// residual pattern (stix/pattern_compile.h) is evaluated against. One observation is one
// STIX observation (number_observed 1, first = last = its packet time) whose objects are:
//
//   kind                       objects (ids in the pool in parentheses)
//   every kind with a flow     network-traffic (flow): src_ref (src), dst_ref (dst) — the
//                              initiator and responder addresses as ipv4-addr / ipv6-addr —,
//                              src_port, dst_port, protocols ["ipv4"|"ipv6", "tcp"|"udp"|...,
//                              the application protocol's lowercase name when known]
//   dns_query, tls_sni,        domain-name (name) {value}
//   quic_sni, http_host        (http_host also: flow.extensions.'http-request-ext'
//                              .request_header.Host)
//   dns_answer                 domain-name (name) {value: the owner, resolves_to_refs: [answer]},
//                              answer: ipv4-addr / ipv6-addr / domain-name {value}
//   src_ip, dst_ip             ipv4-addr / ipv6-addr (address) {value}
//   http_url                   url (url) {value}; flow.extensions.'http-request-ext'
//                              .request_value (the path and query)
//   http_user_agent            flow.extensions.'http-request-ext'.request_header.'User-Agent'
//   ja3, ja3s, ja4             flow.x_ja3 / x_ja3s / x_ja4 (custom properties, STIX 2.1 §11.1)
//   x509_sha1                  x509-certificate (certificate) {hashes {'SHA-1', 'SHA-256'},
//                              serial_number, subject, issuer, validity_not_before,
//                              validity_not_after, is_self_signed} as far as known
//   http_file_*, http_upload_* file (file) {hashes {MD5, 'SHA-1', 'SHA-256'}, name, size,
//                              mime_type}
//
// observable_kinds() is the same table read the other way: which observation kinds carry a
// property, so the compiler knows what is out of scope and which kinds to scan.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rules/observation.h"
#include "rules/stix/object_tree.h"
#include "rules/stix/pattern.h"
#include "rules/stix/pattern_eval.h"

namespace outpost::rules {

inline constexpr std::uint32_t kind_bit(ObservationKind k) noexcept {
  return std::uint32_t{1} << static_cast<unsigned>(k);
}

// The observation kinds whose objects have property `path` (bit = ObservationKind); 0 when
// no network observation ever has it.
std::uint32_t observable_kinds(const stix::ObjectPath& path) noexcept;

// The objects of one observation, rebuilt in place for each observation evaluated (the tree
// and pool keep their storage, so this allocates nothing once warm).
class ObservedObjects {
 public:
  static constexpr std::size_t kMaxObjects = 8;
  // Fills the tree from `o`; views into `o` must outlive the evaluation.
  void build(const Observation& o);
  const stix::ObjectTree& tree() const noexcept { return tree_; }
  const stix::ObservedData& observed() const noexcept { return data_; }

 private:
  stix::ObjectTree tree_;
  stix::PoolObject pool_[kMaxObjects];
  stix::ObservedData data_;
};

}  // namespace outpost::rules
