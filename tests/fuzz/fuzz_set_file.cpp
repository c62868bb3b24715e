// libFuzzer target: compiled set files (rules/set_file.h). A corrupt or truncated file must be
// refused or, when it passes the structural checks, be safe to use: every lookup stays inside
// the file's blocks (ASan reports any read outside them) and may only miss.
//
// Byte 0 of the input picks whether the body checksum is checked (bit 0 set: checked, as the
// agent does); the rest is the file. Without the checksum most mutations reach the structural
// checks and the lookups behind them. Seeds: tests/data/fuzz/set_file/ (small sets written by
// `outpost-rules compile` from tests/data/rules/golden/ and other hand-written inputs).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "rules/set_file.h"

namespace {

using namespace outpost::rules;

struct Touch : MatchSink {
  std::size_t bytes = 0;
  void on_match(const MatchedIndicator& m, const Observation&) override {
    for (char c : m.id()) bytes += static_cast<unsigned char>(c);
    for (char c : m.matched_term) bytes += static_cast<unsigned char>(c);
    bytes += m.source->name.size() + m.source->version.size();
    if (m.marking_refs)
      for (const auto& r : *m.marking_refs) bytes += r.size();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > (1 << 20)) return 0;
  SetFileOptions options;
  options.verify_checksum = (data[0] & 1) != 0;
  auto copy = std::make_shared<std::vector<std::uint8_t>>(data + 1, data + size);
  LoadStatus st;
  auto set = SetFile::load_image("fuzz.set", copy->data(), copy->size(), copy, st, options);
  if (!set) {
    if (st.ok || st.message.empty() || st.message.find('\n') != std::string::npos) std::abort();
    return 0;
  }
  static const std::pair<ObservationKind, const char*> probes[] = {
      {ObservationKind::dns_query, "a.b.evil.example.com"}, {ObservationKind::dns_query, "listed.org"},
      {ObservationKind::dst_ip, "198.51.100.7"},            {ObservationKind::dst_ip, "2001:db8:1::5"},
      {ObservationKind::dst_ip, "203.0.113.9"},             {ObservationKind::ip_port, "192.0.2.10:8443"},
      {ObservationKind::ip_port, "[2001:db8::10]:53"},      {ObservationKind::http_url, "http://bad.example/gate.php"},
      {ObservationKind::http_file_md5, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"},
      {ObservationKind::x509_sha1, "cccccccccccccccccccccccccccccccccccccccc"},
      {ObservationKind::http_file_sha256, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
  };
  Touch t;
  for (const auto& [kind, value] : probes) {
    Observation o;
    o.kind = kind;
    o.value = value;
    o.ts = 1700000000000000;
    set->match(o, t);
  }
  std::size_t entries = 0;
  set->for_each_entry([&](IndicatorType, std::string_view term, const MatchedIndicator& m, bool) {
    entries += term.size() + m.id().size();
  });
  set->for_each_indicator([&](std::string_view id, TimeUs) { entries += id.size(); });
  entries += set->stats().to_json().size() + set->stats().to_text().size();
  return static_cast<int>((entries + t.bytes) & 0);
}
