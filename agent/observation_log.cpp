#include "agent/observation_log.h"

#include "rules/rapidjson.h"
#include "rules/time.h"

#include <cinttypes>

namespace outpost::agent {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void string_member(Writer& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

// RFC 3339 as STIX writes timestamps; whole seconds (what certificates hold) without a fraction.
void time_member(Writer& w, const char* key, rules::TimeUs t) {
  std::string text = rules::format_timestamp(t);
  const std::string_view zero_fraction = ".000000Z";
  if (text.size() > zero_fraction.size() && text.compare(text.size() - zero_fraction.size(), zero_fraction.size(), zero_fraction) == 0)
    text.replace(text.size() - zero_fraction.size(), zero_fraction.size(), "Z");
  string_member(w, key, text);
}

// The x509-certificate facts of an x509_sha1 observation; members the certificate did not
// give are left out.
void certificate_member(Writer& w, const rules::CertificateFacts& c) {
  w.Key("certificate");
  w.StartObject();
  if (!c.sha256.empty()) string_member(w, "sha256", c.sha256);
  if (!c.serial_number.empty()) string_member(w, "serial_number", c.serial_number);
  if (!c.subject.empty()) string_member(w, "subject", c.subject);
  if (!c.issuer.empty()) string_member(w, "issuer", c.issuer);
  if (c.not_before != rules::kNoFactTime) time_member(w, "not_before", c.not_before);
  if (c.not_after != rules::kNoFactTime) time_member(w, "not_after", c.not_after);
  if (c.self_signed >= 0) {
    w.Key("self_signed");
    w.Bool(c.self_signed == 1);
  }
  w.EndObject();
}

}  // namespace

ObservationLog::~ObservationLog() { close(); }

void ObservationLog::write(const rules::Observation& o) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  // Seconds with the capture's microsecond precision, written exactly (no binary rounding).
  char ts[40];
  const std::int64_t sec = o.ts >= 0 ? o.ts / 1000000 : -((-o.ts + 999999) / 1000000);
  const std::int64_t us = o.ts - sec * 1000000;
  const int n = std::snprintf(ts, sizeof ts, "%" PRId64 ".%06" PRId64, sec, us);
  w.Key("ts");
  w.RawValue(ts, static_cast<rapidjson::SizeType>(n), rapidjson::kNumberType);
  const auto kind = rules::observation_kind_name(o.kind);
  w.Key("kind");
  w.String(kind.data(), static_cast<rapidjson::SizeType>(kind.size()));
  w.Key("value");
  w.String(o.value.data(), static_cast<rapidjson::SizeType>(o.value.size()));
  w.Key("flow");
  w.Uint64(o.flow);
  w.Key("proto");
  w.String(o.app_proto.data(), static_cast<rapidjson::SizeType>(o.app_proto.size()));
  if (!o.context.empty()) {
    w.Key("context");
    w.String(o.context.data(), static_cast<rapidjson::SizeType>(o.context.size()));
  }
  if (o.certificate != nullptr) certificate_member(w, *o.certificate);
  w.EndObject();
  if (out_ == nullptr) return;
  if (std::fwrite(sb.GetString(), 1, sb.GetSize(), out_) != sb.GetSize() || std::fputc('\n', out_) == EOF)
    failed_ = true;
}

bool ObservationLog::close() {
  if (out_ == nullptr) return !failed_;
  if (std::fflush(out_) != 0) failed_ = true;
  if (out_ != stdout && std::fclose(out_) != 0) failed_ = true;
  out_ = nullptr;
  return !failed_;
}

}  // namespace outpost::agent
