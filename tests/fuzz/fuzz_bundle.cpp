// libFuzzer target: the streaming STIX bundle / TAXII envelope reader (rules/stix/bundle_reader.h)
// and the builder behind it (version resolution, pattern compilation, set insertion).
//
// The input, copied into a heap block of exactly its size, is read as one JSON input; what
// reads is built into an IndicatorSet and probed with a few observations. Invariants: a failed
// read names the input and an offset within it; the summary counts agree with the sink.
//
// Seeds: ../shared/corpus/stix/bundles/**/*.json and tests/data/rules/*.json (rules/README.md).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "rules/indicator_set.h"
#include "rules/stix/bundle_reader.h"

namespace {

using namespace outpost::rules;

struct CountingSink : stix::BundleSink {
  std::uint64_t indicators = 0, markings = 0, skipped = 0;
  void on_indicator(stix::StixIndicator&& i) override {
    ++indicators;
    if (i.id.empty() || i.pattern.size() > stix::BundleLimits{}.max_pattern_bytes) std::abort();
  }
  void on_marking_definition(stix::MarkingDefinition&&) override { ++markings; }
  void on_skipped(std::uint64_t, std::string_view, stix::ObjectProblem, std::string_view) override { ++skipped; }
};

struct NullSink : MatchSink {
  std::size_t n = 0;
  void on_match(const MatchedIndicator& m, const Observation&) override {
    if (m.source == nullptr || m.id().empty()) std::abort();
    ++n;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::unique_ptr<char[]> copy(new char[size == 0 ? 1 : size]);
  if (size) std::memcpy(copy.get(), data, size);

  CountingSink sink;
  stix::BundleSummary summary;
  const stix::ReadStatus st = stix::read_bundle_memory("fuzz.json", copy.get(), size, sink, summary);
  if (!st.ok) {
    if (st.message.rfind("fuzz.json: byte ", 0) != 0 || st.offset > size) std::abort();
  } else if (summary.indicators != sink.indicators || summary.marking_definitions != sink.markings ||
             summary.skipped != sink.skipped) {
    std::abort();
  }

  IndicatorSetBuilder builder;
  if (!builder.add_bundle_memory("fuzz.json", std::string_view(copy.get(), size)).ok) return 0;
  const auto set = builder.build();
  NullSink m;
  Observation o;
  o.ts = 1700000000000000;
  const std::pair<ObservationKind, const char*> probes[] = {
      {ObservationKind::dns_query, "www.example.com"}, {ObservationKind::dst_ip, "10.0.0.1"},
      {ObservationKind::http_url, "http://example.com/"}, {ObservationKind::dns_answer, "192.0.2.1"}};
  for (const auto& [kind, value] : probes) {
    o.kind = kind;
    o.value = value;
    o.context = "example.com";
    set->match(o, m);
  }
  return 0;
}
