#pragma once
// ObservationLog: `--observations FILE`, JSON Lines, one object per observation:
//   {"ts":1523351398.864824,"kind":"tls_sni","value":"xp.apple.com","flow":3,"proto":"TLS"}
// plus "context" when the observation has one (dns_answer owner name, dst_ip resolved name,
// http_host port), and on x509_sha1 lines "certificate" with what the certificate says:
//   "certificate":{"sha256":"…","serial_number":"0c:48:…","subject":"CN=example.com,O=…",
//                  "issuer":"…","not_before":"2021-04-12T19:00:00Z","not_after":"…",
//                  "self_signed":false}
// (members the certificate did not give are left out). Other tools and the end-to-end tests
// read these members. The pipeline already emits each distinct (kind, value, flow) once.

#include <cstdio>
#include <string>

#include "rules/observation.h"

namespace outpost::agent {

class ObservationLog {
 public:
  // Takes ownership of `out` unless it is stdout.
  explicit ObservationLog(std::FILE* out) : out_(out) {}
  ~ObservationLog();
  ObservationLog(const ObservationLog&) = delete;
  ObservationLog& operator=(const ObservationLog&) = delete;

  void write(const rules::Observation& o);
  // Flushes; returns false if any write failed (disk full, closed pipe).
  bool close();

 private:
  std::FILE* out_;
  std::string line_;
  bool failed_ = false;
};

}  // namespace outpost::agent
