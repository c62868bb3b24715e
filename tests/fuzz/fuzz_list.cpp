// libFuzzer target: plain indicator lists (rules/lists/list_reader.h) and value normalisation
// (rules/indicator_value.h).
//
// The input is read as a list (line splitting, comments, CRLF, typing by form). For every
// line that yields a value: its canonical form is a fixed point of normalisation, and the
// whole list, loaded into an IndicatorSet, finds that value again through the observation kind
// that carries it.
//
// Seeds: the first lines of each ../shared/corpus/indicators list (rules/README.md).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "rules/indicator_set.h"
#include "rules/lists/list_reader.h"

namespace {

using namespace outpost::rules;

ObservationKind carrier(IndicatorType t) {
  switch (t) {
    case IndicatorType::domain: return ObservationKind::dns_query;
    case IndicatorType::ipv4:
    case IndicatorType::ipv6: return ObservationKind::dst_ip;
    case IndicatorType::url: return ObservationKind::http_url;
    case IndicatorType::md5: return ObservationKind::http_file_md5;
    case IndicatorType::sha1: return ObservationKind::http_file_sha1;
    case IndicatorType::sha256: return ObservationKind::http_file_sha256;
    default: return ObservationKind::ip_port;
  }
}

struct Expect : MatchSink {
  std::string term;
  bool found = false;
  void on_match(const MatchedIndicator& m, const Observation&) override { found = found || m.matched_term == term; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::pair<IndicatorType, std::string>> values;
  lists::read_list_memory(text, [&](std::uint64_t, std::string_view line, bool too_long) {
    if (line.size() > lists::kMaxLineLength) std::abort();
    if (too_long) return;
    const lists::ListLine l = lists::split_list_line(line);
    if (l.kind != lists::LineKind::value) return;
    std::string_view v = l.value;
    if (v.size() > 2 && v[0] == '*' && v[1] == '.') v.remove_prefix(2);
    IndicatorType t;
    if (!lists::classify_list_value(v, t)) return;
    std::string canonical, again;
    if (normalise_indicator_value(t, v, canonical) != ValueError::none) return;
    if (normalise_indicator_value(t, canonical, again) != ValueError::none || again != canonical) std::abort();
    values.emplace_back(t, canonical);
  });

  IndicatorSetBuilder builder;
  if (!builder.add_list_memory("fuzz.txt", text, std::nullopt).ok) std::abort();
  const auto set = builder.build();
  for (const auto& [type, canonical] : values) {
    Observation o;
    o.kind = carrier(type);
    std::string value = canonical;
    if ((type == IndicatorType::ipv4 || type == IndicatorType::ipv6) && value.find('/') != std::string::npos)
      value.resize(value.find('/'));
    o.value = value;
    Expect e;
    e.term = canonical;
    set->match(o, e);
    if (!e.found) std::abort();
  }
  return 0;
}
