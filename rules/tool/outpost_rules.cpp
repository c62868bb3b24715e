// outpost-rules: load indicator sets and look at them.
//   outpost-rules stats  [--json FILE] [--budget BYTES] [--warnings] --indicators [KIND:]FILE...
//   outpost-rules lookup KIND VALUE [--at TIME] --indicators [KIND:]FILE...
// Exit codes: 0 ok (lookup: found), 1 lookup found nothing, 2 usage or input error.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "rules/indicator_set.h"
#include "rules/time.h"

namespace {

using namespace outpost::rules;

int usage(const char* why) {
  if (why) std::fprintf(stderr, "outpost-rules: %s\n", why);
  std::fprintf(stderr,
               "usage: outpost-rules stats [--json FILE] [--budget BYTES] [--warnings] --indicators [KIND:]FILE...\n"
               "       outpost-rules lookup KIND VALUE [--at RFC3339] --indicators [KIND:]FILE...\n"
               "KIND: domain ipv4 ipv6 url md5 sha1 sha256 ja3 ja3s x509_sha1 ip_port\n");
  return 2;
}

// The observation kind a lookup of an indicator type simulates.
ObservationKind observation_for(IndicatorType t) {
  switch (t) {
    case IndicatorType::domain: return ObservationKind::dns_query;
    case IndicatorType::ipv4:
    case IndicatorType::ipv6: return ObservationKind::dst_ip;
    case IndicatorType::url: return ObservationKind::http_url;
    case IndicatorType::md5: return ObservationKind::http_file_md5;
    case IndicatorType::sha1: return ObservationKind::http_file_sha1;
    case IndicatorType::sha256: return ObservationKind::http_file_sha256;
    case IndicatorType::ja3: return ObservationKind::ja3;
    case IndicatorType::ja3s: return ObservationKind::ja3s;
    case IndicatorType::x509_sha1: return ObservationKind::x509_sha1;
    default: return ObservationKind::ip_port;
  }
}

struct PrintSink : MatchSink {
  int matches = 0;
  void on_match(const MatchedIndicator& m, const Observation&) override {
    ++matches;
    std::printf("%.*s\t%.*s\t%s\t%.*s\tconfidence=%d\n", static_cast<int>(m.id.size()), m.id.data(),
                static_cast<int>(m.matched_term.size()), m.matched_term.data(),
                std::string(indicator_source_kind_name(m.source->kind)).c_str(),
                static_cast<int>(m.source->name.size()), m.source->name.c_str(), m.confidence);
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(nullptr);
  const std::string command = argv[1];
  std::vector<std::string> specs, positional;
  std::string json_path, at_text;
  bool show_warnings = false;
  LoadOptions options;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "--indicators") {
      while (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0) specs.emplace_back(argv[++i]);
    } else if (a == "--json") {
      const char* v = value();
      if (!v) return usage("--json needs a file");
      json_path = v;
    } else if (a == "--budget") {
      const char* v = value();
      if (!v) return usage("--budget needs a number of bytes");
      options.memory_budget_bytes = std::strtoull(v, nullptr, 10);
    } else if (a == "--at") {
      const char* v = value();
      if (!v) return usage("--at needs a timestamp");
      at_text = v;
    } else if (a == "--warnings") {
      show_warnings = true;
    } else if (a.rfind("--", 0) == 0) {
      return usage(("unknown option " + a).c_str());
    } else {
      positional.push_back(a);
    }
  }
  if (specs.empty()) return usage("--indicators is required");
  if (command != "stats" && command != "lookup") return usage("unknown command");
  if (command == "lookup" && positional.size() != 2) return usage("lookup needs KIND and VALUE");

  IndicatorSetBuilder builder(options);
  for (const auto& s : specs) {
    const LoadStatus st = builder.add(s);
    if (!st) {
      std::fprintf(stderr, "outpost-rules: %s\n", st.message.c_str());
      return 2;
    }
  }
  const auto set = builder.build();
  if (show_warnings || command == "stats")
    for (const auto& w : set->stats().warnings)
      if (show_warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());

  if (command == "stats") {
    std::fputs(set->stats().to_text().c_str(), stdout);
    if (!json_path.empty()) {
      std::FILE* f = json_path == "-" ? stdout : std::fopen(json_path.c_str(), "w");
      if (!f) {
        std::fprintf(stderr, "outpost-rules: cannot write %s\n", json_path.c_str());
        return 2;
      }
      const std::string j = set->stats().to_json();
      std::fwrite(j.data(), 1, j.size(), f);
      std::fputc('\n', f);
      if (f != stdout) std::fclose(f);
    }
    return 0;
  }

  IndicatorType type;
  if (!parse_indicator_type(positional[0], type)) return usage("unknown KIND");
  Observation o;
  o.kind = observation_for(type);
  o.value = positional[1];
  // A tool run, not a replay: without --at, validity is judged at the current time.
  if (at_text.empty()) {
    o.ts = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
               .count();
  } else if (!parse_timestamp(at_text, o.ts)) {
    return usage("--at: not an RFC 3339 timestamp");
  }
  PrintSink sink;
  set->match(o, sink);
  return sink.matches > 0 ? 0 : 1;
}
