// outpost-rules: compile indicator sets and look at them (rules/tool/README.md).
//   outpost-rules compile -o SET [--budget BYTES] [--domains exact|below] INPUT...
//   outpost-rules stats SET... [--json] [--warnings]
//   outpost-rules lookup SET VALUE [--kind KIND] [--at RFC3339]
//   outpost-rules diff OLD NEW [--limit N]
//   outpost-rules check 'PATTERN'
// SET and INPUT are compiled sets, STIX bundles / TAXII envelopes or plain lists ([KIND:]FILE).
// Exit codes: 0 ok (lookup: a match; diff: no difference), 1 lookup found nothing / diff found
// differences, 2 usage or input error.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "rules/indicator_set.h"
#include "rules/lists/list_reader.h"
#include "rules/set_file.h"
#include "rules/stix/pattern.h"
#include "rules/stix/pattern_format.h"
#include "rules/time.h"

namespace {

using namespace outpost::rules;

int usage(const std::string& why) {
  if (!why.empty()) std::fprintf(stderr, "outpost-rules: %s\n", why.c_str());
  std::fprintf(stderr,
               "usage: outpost-rules compile -o SET [--budget BYTES] [--domains exact|below] INPUT...\n"
               "       outpost-rules stats SET... [--json] [--warnings]\n"
               "       outpost-rules lookup SET VALUE [--kind KIND] [--at RFC3339]\n"
               "       outpost-rules diff OLD NEW [--limit N]\n"
               "       outpost-rules check 'PATTERN'\n"
               "SET, INPUT: a compiled set, a STIX bundle or TAXII envelope, or a list ([KIND:]FILE)\n"
               "KIND: domain ipv4 ipv6 url md5 sha1 sha256 ja3 ja3s x509_sha1 ip_port\n");
  return 2;
}

bool parse_count(const char* text, std::uint64_t& out) {
  if (text == nullptr || *text == '\0') return false;
  char* end = nullptr;
  out = std::strtoull(text, &end, 10);
  return *end == '\0' && text[0] != '-';
}

std::unique_ptr<IndicatorSet> load(const std::vector<std::string>& specs, const LoadOptions& options,
                                   const ListOptions& lists) {
  LoadStatus st;
  auto set = load_indicators(specs, options, st, lists);
  if (!set) std::fprintf(stderr, "outpost-rules: %s\n", st.message.c_str());
  return set;
}

void print_warnings(const IndicatorSet& set) {
  for (const auto& w : set.stats().warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (set.stats().warnings_dropped > 0)
    std::fprintf(stderr, "warning: %llu more warnings not shown\n",
                 static_cast<unsigned long long>(set.stats().warnings_dropped));
}

// The observation that carries a value of each indicator type.
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
  IndicatorType type = IndicatorType::domain;
  int matches = 0;
  void on_match(const MatchedIndicator& m, const Observation&) override {
    ++matches;
    std::printf("%.*s\t%s\t%.*s\t%s %s%s%s\tconfidence=%d\n", static_cast<int>(m.id().size()), m.id().data(),
                std::string(indicator_type_name(type)).c_str(), static_cast<int>(m.matched_term.size()),
                m.matched_term.data(), std::string(indicator_source_kind_name(m.source->kind)).c_str(),
                m.source->name.c_str(), m.source->version.empty() ? "" : "@", m.source->version.c_str(), m.confidence);
  }
};

int compile(const std::vector<std::string>& inputs, const std::string& out, const LoadOptions& options,
            const ListOptions& lists) {
  if (out.empty()) return usage("compile needs -o SET");
  if (inputs.empty()) return usage("compile needs at least one INPUT");
  const auto set = load(inputs, options, lists);
  if (!set) return 2;
  print_warnings(*set);
  const std::string err = SetFile::write(*set, out);
  if (!err.empty()) {
    std::fprintf(stderr, "outpost-rules: %s\n", err.c_str());
    return 2;
  }
  std::fputs(set->stats().to_text().c_str(), stderr);
  std::fprintf(stderr, "wrote %s\n", out.c_str());
  return 0;
}

int lookup(const std::string& spec, const std::string& value, const std::string& kind, const std::string& at) {
  std::vector<IndicatorType> types;
  if (!kind.empty()) {
    IndicatorType t;
    if (!parse_indicator_type(kind, t)) return usage("--kind: unknown KIND '" + kind + "'");
    types.push_back(t);
  } else {
    IndicatorType t;
    if (!lists::classify_list_value(value, t)) return usage("cannot tell what kind of value '" + value + "' is; give --kind");
    // A bare hex value may be any digest of its length.
    if (t == IndicatorType::md5) types = {IndicatorType::md5, IndicatorType::ja3, IndicatorType::ja3s};
    else if (t == IndicatorType::sha1) types = {IndicatorType::sha1, IndicatorType::x509_sha1};
    else types = {t};
  }
  TimeUs ts = 0;
  // A tool run, not a replay: without --at, validity is judged at the current time.
  if (at.empty())
    ts = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  else if (!parse_timestamp(at, ts))
    return usage("--at: not an RFC 3339 timestamp: " + at);
  const auto set = load({spec}, {}, {});
  if (!set) return 2;
  PrintSink sink;
  for (IndicatorType t : types) {
    Observation o;
    o.kind = observation_for(t);
    o.value = value;
    o.ts = ts;
    sink.type = t;
    set->match(o, sink);
  }
  return sink.matches > 0 ? 0 : 1;
}

// What diff compares: STIX indicators by id (version and terms), list entries by what they
// match (type and value, whichever list holds them).
struct Inventory {
  std::map<std::string, std::string> stix;                       // id -> "version terms..."
  std::vector<std::pair<std::string, std::string>> list_entries;  // ("type value", list), sorted
};

Inventory inventory(const IndicatorSet& set) {
  Inventory inv;
  std::map<std::string, std::vector<std::string>> terms;
  set.for_each_entry([&](IndicatorType type, std::string_view term, const MatchedIndicator& m, bool list) {
    std::string t = std::string(indicator_type_name(type)) + " " + std::string(term);
    if (list) inv.list_entries.emplace_back(t, m.source->name);
    else terms[std::string(m.id())].push_back(t);
  });
  set.for_each_indicator([&](std::string_view id, TimeUs version) {
    auto& v = terms[std::string(id)];
    std::sort(v.begin(), v.end());
    std::string desc = format_timestamp(version, true);
    for (const auto& t : v) desc += " " + t;
    inv.stix[std::string(id)] = desc;
  });
  std::sort(inv.list_entries.begin(), inv.list_entries.end());
  inv.list_entries.erase(std::unique(inv.list_entries.begin(), inv.list_entries.end(),
                                     [](const auto& a, const auto& b) { return a.first == b.first; }),
                         inv.list_entries.end());
  return inv;
}

int diff(const std::string& old_spec, const std::string& new_spec, std::uint64_t limit) {
  const auto a = load({old_spec}, {}, {});
  if (!a) return 2;
  const auto b = load({new_spec}, {}, {});
  if (!b) return 2;
  const Inventory x = inventory(*a), y = inventory(*b);
  std::uint64_t shown = 0, added = 0, removed = 0, changed = 0, list_added = 0, list_removed = 0;
  auto show = [&](const char* sign, const std::string& what) {
    if (shown++ < limit) std::printf("%s %s\n", sign, what.c_str());
  };
  for (const auto& [id, desc] : x.stix) {
    auto it = y.stix.find(id);
    if (it == y.stix.end()) {
      ++removed;
      show("-", id + " " + desc);
    } else if (it->second != desc) {
      ++changed;
      show("~", id + " " + desc + " -> " + it->second);
    }
  }
  for (const auto& [id, desc] : y.stix)
    if (!x.stix.count(id)) {
      ++added;
      show("+", id + " " + desc);
    }
  std::size_t i = 0, j = 0;
  while (i < x.list_entries.size() || j < y.list_entries.size()) {
    if (j == y.list_entries.size() ||
        (i < x.list_entries.size() && x.list_entries[i].first < y.list_entries[j].first)) {
      ++list_removed;
      show("-", x.list_entries[i].first + "\t" + x.list_entries[i].second);
      ++i;
    } else if (i == x.list_entries.size() || y.list_entries[j].first < x.list_entries[i].first) {
      ++list_added;
      show("+", y.list_entries[j].first + "\t" + y.list_entries[j].second);
      ++j;
    } else {
      ++i, ++j;
    }
  }
  if (shown > limit) std::printf("... %llu more lines (--limit)\n", static_cast<unsigned long long>(shown - limit));
  std::printf("STIX indicators: %llu added, %llu removed, %llu changed; list entries: %llu added, %llu removed\n",
              static_cast<unsigned long long>(added), static_cast<unsigned long long>(removed),
              static_cast<unsigned long long>(changed), static_cast<unsigned long long>(list_added),
              static_cast<unsigned long long>(list_removed));
  return added + removed + changed + list_added + list_removed == 0 ? 0 : 1;
}

// STIX 2.1 §9: the pattern parses, or the error names its byte position.
int check(const std::string& text) {
  stix::Pattern p;
  stix::PatternError e;
  if (!stix::parse_pattern(text, p, e)) {
    std::fprintf(stderr, "outpost-rules: invalid pattern at byte %zu: %s\n", e.position, e.message.c_str());
    return 2;
  }
  std::printf("%s\n", stix::format_pattern(p).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage("");
  const std::string command = argv[1];
  std::vector<std::string> positional;
  std::string out, kind, at;
  std::uint64_t limit = 50;
  bool json = false, warnings = false;
  LoadOptions options;
  ListOptions lists;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "-o") {
      const char* v = value();
      if (!v) return usage("-o needs a file");
      out = v;
    } else if (a == "--budget") {
      std::uint64_t n = 0;
      if (!parse_count(value(), n)) return usage("--budget needs a number of bytes");
      options.memory_budget_bytes = n;
    } else if (a == "--domains") {
      const char* v = value();
      if (v && std::strcmp(v, "exact") == 0) lists.domain_match = DomainMatch::exact;
      else if (v && std::strcmp(v, "below") == 0) lists.domain_match = DomainMatch::suffix;
      else return usage("--domains needs exact or below");
      lists.domain_match_set = true;
    } else if (a == "--kind") {
      const char* v = value();
      if (!v) return usage("--kind needs a KIND");
      kind = v;
    } else if (a == "--at") {
      const char* v = value();
      if (!v) return usage("--at needs a timestamp");
      at = v;
    } else if (a == "--limit") {
      if (!parse_count(value(), limit)) return usage("--limit needs a number");
    } else if (a == "--json") {
      json = true;
    } else if (a == "--warnings") {
      warnings = true;
    } else if (a.size() > 1 && a[0] == '-' && command != "check") {
      return usage("unknown option " + a);
    } else {
      positional.push_back(a);
    }
  }
  if (command == "compile") return compile(positional, out, options, lists);
  if (command == "stats") {
    if (positional.empty()) return usage("stats needs a SET");
    const auto set = load(positional, options, lists);
    if (!set) return 2;
    if (warnings) print_warnings(*set);
    if (json) std::printf("%s\n", set->stats().to_json().c_str());
    else std::fputs(set->stats().to_text().c_str(), stdout);
    return 0;
  }
  if (command == "lookup") {
    if (positional.size() != 2) return usage("lookup needs SET and VALUE");
    return lookup(positional[0], positional[1], kind, at);
  }
  if (command == "diff") {
    if (positional.size() != 2) return usage("diff needs OLD and NEW");
    return diff(positional[0], positional[1], limit);
  }
  if (command == "check") {
    if (positional.size() != 1) return usage("check needs one PATTERN (quote it)");
    return check(positional[0]);
  }
  return usage("unknown command " + command);
}
