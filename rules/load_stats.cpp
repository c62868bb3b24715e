#include "rules/load_stats.h"

#include "rules/rapidjson.h"  // first: see the header

#include <cstdio>

namespace outpost::rules {

void ReasonCounts::add(std::string_view reason, std::uint64_t n) {
  if (reason.size() > kMaxReasonLength) reason = reason.substr(0, kMaxReasonLength);
  for (auto& [r, c] : items_)
    if (r == reason) {
      c += n;
      return;
    }
  if (items_.size() + 1 >= kMaxReasons) {
    for (auto& [r, c] : items_)
      if (r == "other") {
        c += n;
        return;
      }
    items_.emplace_back("other", n);
    return;
  }
  items_.emplace_back(std::string(reason), n);
}

std::uint64_t ReasonCounts::get(std::string_view reason) const noexcept {
  for (const auto& [r, c] : items_)
    if (r == reason) return c;
  return 0;
}

std::uint64_t ReasonCounts::total() const noexcept {
  std::uint64_t t = 0;
  for (const auto& [r, c] : items_) t += c;
  return t;
}

std::uint64_t LoadStats::entries() const noexcept {
  std::uint64_t n = 0;
  for (const auto& t : types) n += t.entries;
  return n;
}

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(Writer& w, std::string_view k) { w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
void str(Writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }
void num(Writer& w, std::string_view k, std::uint64_t v) {
  key(w, k);
  w.Uint64(v);
}
void reasons(Writer& w, std::string_view k, const ReasonCounts& r) {
  key(w, k);
  w.StartObject();
  for (const auto& [reason, count] : r.items()) num(w, reason, count);
  w.EndObject();
}

}  // namespace

std::string LoadStats::to_json() const {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  num(w, "entries", entries());
  num(w, "stix_indicators", stix_indicators);
  num(w, "memory_bytes", memory_bytes);
  num(w, "budget_bytes", budget_bytes);
  key(w, "load_seconds");
  w.Double(load_seconds);
  if (!set_file.empty()) {
    key(w, "set_file");
    str(w, set_file);
    num(w, "set_file_bytes", set_file_bytes);
    num(w, "set_file_version", set_file_version);
  }
  key(w, "types");
  w.StartObject();
  for (std::size_t i = 0; i < kIndicatorTypeCount; ++i) {
    if (types[i].entries == 0) continue;
    key(w, indicator_type_name(static_cast<IndicatorType>(i)));
    w.StartObject();
    num(w, "entries", types[i].entries);
    num(w, "bytes", types[i].bytes);
    w.EndObject();
  }
  w.EndObject();
  key(w, "sources");
  w.StartArray();
  for (const auto& s : sources) {
    w.StartObject();
    key(w, "name");
    str(w, s.name);
    key(w, "kind");
    str(w, indicator_source_kind_name(s.kind));
    key(w, "format");
    str(w, s.format);
    if (s.kind == IndicatorSource::Kind::list) {
      num(w, "lines", s.lines);
    } else {
      num(w, "objects", s.objects);
      num(w, "indicators", s.indicators);
    }
    num(w, "loaded", s.loaded);
    num(w, "terms", s.terms);
    num(w, "duplicates", s.duplicates);
    num(w, "superseded", s.superseded);
    num(w, "revoked", s.revoked);
    num(w, "expired_at_load", s.expired_at_load);
    num(w, "host_bits_cleared", s.host_bits_cleared);
    num(w, "budget_dropped", s.budget_dropped);
    if (s.kind != IndicatorSource::Kind::list) {
      num(w, "exact", s.exact);
      num(w, "residual", s.residual);
      num(w, "scan", s.scan);
      num(w, "multi_observation", s.multi_observation);
      num(w, "partly_out_of_scope", s.partly_out_of_scope);
      num(w, "out_of_scope", s.out_of_scope);
    }
    reasons(w, "skipped", s.skipped);
    reasons(w, "unsupported", s.unsupported);
    w.EndObject();
  }
  w.EndArray();
  num(w, "warnings", warnings.size() + warnings_dropped);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string LoadStats::to_text() const {
  std::string out;
  char line[512];
  for (const auto& s : sources) {
    if (s.kind == IndicatorSource::Kind::list)
      std::snprintf(line, sizeof line, "%s (%s): %llu lines, %llu loaded", s.name.c_str(), s.format.c_str(),
                    static_cast<unsigned long long>(s.lines), static_cast<unsigned long long>(s.loaded));
    else
      std::snprintf(line, sizeof line, "%s (%s): %llu objects, %llu indicators, %llu loaded (%llu terms)",
                    s.name.c_str(), s.format.c_str(), static_cast<unsigned long long>(s.objects),
                    static_cast<unsigned long long>(s.indicators), static_cast<unsigned long long>(s.loaded),
                    static_cast<unsigned long long>(s.terms));
    out += line;
    auto note = [&](const char* what, std::uint64_t n) {
      if (n == 0) return;
      std::snprintf(line, sizeof line, ", %llu %s", static_cast<unsigned long long>(n), what);
      out += line;
    };
    note("duplicates", s.duplicates);
    note("superseded", s.superseded);
    note("revoked", s.revoked);
    note("expired at load", s.expired_at_load);
    note("CIDRs with host bits set", s.host_bits_cleared);
    note("dropped by the memory budget", s.budget_dropped);
    note("out of scope for a network sensor", s.out_of_scope);
    out += '\n';
    if (s.residual > 0) {
      std::snprintf(line, sizeof line,
                    "  matched by set entries %llu, evaluated beyond them %llu (%llu scanned, %llu over a device's "
                    "history), %llu with a part out of scope\n",
                    static_cast<unsigned long long>(s.exact), static_cast<unsigned long long>(s.residual),
                    static_cast<unsigned long long>(s.scan), static_cast<unsigned long long>(s.multi_observation),
                    static_cast<unsigned long long>(s.partly_out_of_scope));
      out += line;
    }
    for (const auto& [r, c] : s.skipped.items()) {
      std::snprintf(line, sizeof line, "  skipped %llu: %s\n", static_cast<unsigned long long>(c), r.c_str());
      out += line;
    }
    for (const auto& [r, c] : s.unsupported.items()) {
      std::snprintf(line, sizeof line, "  unsupported %llu: %s\n", static_cast<unsigned long long>(c), r.c_str());
      out += line;
    }
  }
  for (std::size_t i = 0; i < kIndicatorTypeCount; ++i) {
    if (types[i].entries == 0) continue;
    std::snprintf(line, sizeof line, "%-10s %10llu entries %12llu bytes %7.1f bytes/entry\n",
                  std::string(indicator_type_name(static_cast<IndicatorType>(i))).c_str(),
                  static_cast<unsigned long long>(types[i].entries), static_cast<unsigned long long>(types[i].bytes),
                  static_cast<double>(types[i].bytes) / static_cast<double>(types[i].entries));
    out += line;
  }
  std::snprintf(line, sizeof line, "total: %llu entries, %llu STIX indicators, %llu bytes, loaded in %.3f s\n",
                static_cast<unsigned long long>(entries()), static_cast<unsigned long long>(stix_indicators),
                static_cast<unsigned long long>(memory_bytes), load_seconds);
  out += line;
  if (!set_file.empty()) {
    std::snprintf(line, sizeof line, "compiled set %s: %llu bytes, format version %u\n", set_file.c_str(),
                  static_cast<unsigned long long>(set_file_bytes), set_file_version);
    out += line;
  }
  return out;
}

}  // namespace outpost::rules
