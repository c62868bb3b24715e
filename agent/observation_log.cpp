#include "agent/observation_log.h"

#include "rules/rapidjson.h"

#include <cinttypes>

namespace outpost::agent {

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
