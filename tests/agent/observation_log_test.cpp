#include "agent/observation_log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>


namespace outpost::agent {
namespace {

// The line ObservationLog writes for `o`.
std::string line_of(const rules::Observation& o) {
  std::FILE* f = std::tmpfile();
  EXPECT_NE(f, nullptr);
  if (f == nullptr) return "";
  {
    ObservationLog log(f);
    log.write(o);
    std::fflush(f);
    std::rewind(f);
    char buf[4096];
    const std::size_t n = std::fread(buf, 1, sizeof buf, f);
    EXPECT_TRUE(log.close());
    return std::string(buf, n);
  }
}

rules::Observation certificate_observation(const rules::CertificateFacts& facts) {
  rules::Observation o;
  o.kind = rules::ObservationKind::x509_sha1;
  o.value = "afcc9849f2000e0521186c775f2acf10446ed88b";
  o.ts = 1588921646482756;
  o.flow = 3;
  o.app_proto = "TLS";
  o.certificate = &facts;
  return o;
}

TEST(ObservationLog, WritesTheCertificateFactsBesideTheUnchangedMembers) {
  rules::CertificateFacts c;
  c.sha256 = "58fa7dc6016440672850f6b5d0f036db44517e189580d0da50983ab054d1039a";
  c.serial_number = "91:6a:4c:d1:67:87:16:02";
  c.subject = "O=ntop.org,ST=Some-State,C=IT";
  c.issuer = "CN=\"quoted\"\\, Inc.";
  c.not_before = 1444492547000000;
  c.not_after = 4102444800000001;  // 2100-01-01, a microsecond past
  c.self_signed = 1;
  EXPECT_EQ(line_of(certificate_observation(c)),
            "{\"ts\":1588921646.482756,\"kind\":\"x509_sha1\",\"value\":\"afcc9849f2000e0521186c775f2acf10446ed88b\","
            "\"flow\":3,\"proto\":\"TLS\",\"certificate\":{"
            "\"sha256\":\"58fa7dc6016440672850f6b5d0f036db44517e189580d0da50983ab054d1039a\","
            "\"serial_number\":\"91:6a:4c:d1:67:87:16:02\",\"subject\":\"O=ntop.org,ST=Some-State,C=IT\","
            "\"issuer\":\"CN=\\\"quoted\\\"\\\\, Inc.\",\"not_before\":\"2015-10-10T15:55:47Z\","
            "\"not_after\":\"2100-01-01T00:00:00.000001Z\",\"self_signed\":true}}\n");
}

TEST(ObservationLog, LeavesOutTheFactsTheCertificateDidNotGive) {
  rules::CertificateFacts c;
  c.sha256 = "58fa7dc6016440672850f6b5d0f036db44517e189580d0da50983ab054d1039a";
  EXPECT_EQ(line_of(certificate_observation(c)),
            "{\"ts\":1588921646.482756,\"kind\":\"x509_sha1\",\"value\":\"afcc9849f2000e0521186c775f2acf10446ed88b\","
            "\"flow\":3,\"proto\":\"TLS\",\"certificate\":{"
            "\"sha256\":\"58fa7dc6016440672850f6b5d0f036db44517e189580d0da50983ab054d1039a\"}}\n");
  c.self_signed = 0;
  EXPECT_NE(line_of(certificate_observation(c)).find("\"self_signed\":false}"), std::string::npos);
}

TEST(ObservationLog, WritesNoCertificateMemberForOtherObservations) {
  rules::Observation o;
  o.kind = rules::ObservationKind::tls_sni;
  o.value = "xp.apple.com";
  o.ts = 1523351398864824;
  o.flow = 1;
  o.app_proto = "TLS.Apple";
  EXPECT_EQ(line_of(o),
            "{\"ts\":1523351398.864824,\"kind\":\"tls_sni\",\"value\":\"xp.apple.com\",\"flow\":1,\"proto\":\"TLS.Apple\"}\n");
}

}  // namespace
}  // namespace outpost::agent
