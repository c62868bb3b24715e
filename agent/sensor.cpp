#include "agent/sensor.h"

#include "rules/rapidjson.h"  // first: see the header

#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>

#include "agent/observation_log.h"
#include "agent/report/pseudonym_key.h"
#include "agent/report/sighting_aggregator.h"
#include "agent/report/sighting_json_lines.h"
#include "agent/report/stix_bundle_writer.h"
#include "agent/version.h"
#include "capture/packet_source.h"
#include "capture/traffic_observer.h"
#include "rules/indicator_set.h"
#include "rules/set_file.h"
#include "rules/time.h"

namespace outpost::agent {

namespace {

std::atomic<bool> g_stop{false};

std::FILE* open_output(const std::string& path, const char* option) {
  if (path.empty()) return nullptr;
  if (path == "-") return stdout;
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr)
    throw UsageError(std::string(option) + ": cannot open '" + path + "' for writing: " + std::strerror(errno));
  return f;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

long peak_rss_kb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

void drop_privileges(const std::string& user) {
  if (user.empty()) return;
  errno = 0;
  const passwd* pw = getpwnam(user.c_str());
  if (pw == nullptr) throw UsageError("--user: no such user '" + user + "'");
  if (setgroups(0, nullptr) != 0 && errno != EPERM)
    throw UsageError("--user: cannot drop supplementary groups: " + std::string(std::strerror(errno)));
  if (setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
    throw UsageError("--user: cannot switch to user '" + user + "': " + std::strerror(errno));
  if (setuid(0) == 0) throw UsageError("--user: privileges could be regained after switching to '" + user + "'");
}

}  // namespace

void make_state_dir(const std::string& dir) {
  if (dir.empty()) throw UsageError("--state-dir: expected a folder");
  std::string partial;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST)
      throw UsageError("--state-dir: cannot create '" + partial + "': " + std::strerror(errno));
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw UsageError("--state-dir: '" + dir + "' is not a folder");
}

std::string default_state_dir() {
  if (::geteuid() == 0) return "/var/lib/outpost";
  if (const char* x = std::getenv("XDG_STATE_HOME"); x != nullptr && *x != '\0') return std::string(x) + "/outpost";
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') return std::string(h) + "/.local/state/outpost";
  return ".outpost-state";
}

struct Sensor::Impl : capture::ObservationSink {
  static constexpr std::size_t kListedSightings = 50;

  Impl(const Options& o, std::FILE* l) : opt(o), log(l) {
    load_indicators();
    open_outputs();
    setup_report();
    setup_capture();
  }

  // ---- setup ----

  void load_indicators() {
    if (opt.indicators.empty()) return;
    rules::LoadStatus st;
    indicators = rules::load_indicators(opt.indicators, {}, st);
    if (!indicators) throw UsageError("--indicators: " + st.message);
    if (!opt.quiet) {
      const auto& stats = indicators->stats();
      for (const auto& w : stats.warnings) std::fprintf(log, "outpost: warning: %s\n", w.c_str());
      if (stats.warnings_dropped > 0)
        std::fprintf(log, "outpost: warning: %llu more indicator warnings not shown\n",
                     static_cast<unsigned long long>(stats.warnings_dropped));
      std::fprintf(log, "%s", stats.to_text().c_str());
    }
  }

  void open_outputs() {
    sightings_file = open_output(opt.sightings_path, "--sightings");
    if (std::FILE* f = open_output(opt.observations_path, "--observations")) observation_log = std::make_unique<ObservationLog>(f);
    // --stats is written at the end, but a path that cannot be written must fail now.
    if (!opt.stats_path.empty() && opt.stats_path != "-") {
      std::FILE* f = open_output(opt.stats_path, "--stats");
      std::fclose(f);
    }
  }

  void setup_report() {
    report.window_us = opt.window_seconds * 1000000;
    report.sensor_name = opt.sensor_name;
    report.raw_device = opt.raw_device;
    report.keep_query = opt.keep_query;
    // The extension-definition is published on its own (see agent/README.md): the OASIS
    // bundle schema rejects it inside a bundle, and every line we write must validate.
    report.embed_extension_definition = false;
    if (!opt.raw_device) {
      try {
        if (!opt.pseudonym_key_path.empty()) {
          key = PseudonymKey::load_or_create(opt.pseudonym_key_path);
        } else {
          const std::string dir = opt.state_dir.empty() ? default_state_dir() : opt.state_dir;
          make_state_dir(dir);
          key = PseudonymKey::load_or_create(dir + "/pseudonym.key");
        }
      } catch (const UsageError&) {
        throw;
      } catch (const std::exception& e) {
        throw UsageError(std::string("--pseudonym-key: ") + e.what());
      }
    }
    writer = std::make_unique<StixBundleWriter>(report, key ? &*key : nullptr);
    if (sightings_file != nullptr) sightings_out = std::make_unique<SightingJsonLines>(*writer, sightings_file);
    aggregator = std::make_unique<SightingAggregator>(report, [this](ClosedWindow&& w) { on_window(std::move(w)); });
  }

  void setup_capture() {
    capture::TrafficObserverConfig c;
    c.flows.max_flows = opt.max_flows;
    c.flows.hash_seed = random_seed();
    try {
      capture::LanPrefixes lan(opt.lan_prefixes.empty() ? default_lan_prefixes() : opt.lan_prefixes);
      c.lan = lan.prefixes();
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    // Gate kinds nobody consumes (no parser runs for them) unless all are written out.
    if (!observation_log) {
      for (std::size_t k = 0; k < rules::kObservationKindCount; ++k)
        c.wanted[k] = indicators && indicators->wants(static_cast<rules::ObservationKind>(k));
      c.certificate_facts = indicators && indicators->wants_certificate_facts();
    }
    try {
      observer = std::make_unique<capture::TrafficObserver>(c, *this);
    } catch (const std::exception& e) {
      throw UsageError(std::string("capture: ") + e.what());
    }
  }

  // ---- per observation (hot path of the agent side) ----

  void on_observation(const rules::Observation& o) override {
    if (observation_log) observation_log->write(o);
    if (indicators) indicators->match(o, *aggregator, &match_context);
    aggregator->advance(o.ts);
  }

  void on_window(ClosedWindow&& w) {
    ++windows;
    sightings += w.sightings.size();
    for (const auto& s : w.sightings) {
      if (listed.size() >= kListedSightings) {
        ++unlisted;
        continue;
      }
      listed.push_back(describe(s));
    }
    if (sightings_out && !sightings_out->write(w)) output_failed = true;
  }

  std::string describe(const Sighting& s) const {
    std::string kinds;
    for (std::size_t k = 0; k < rules::kObservationKindCount; ++k)
      if (s.seen_in & (1u << k)) {
        if (!kinds.empty()) kinds += ",";
        kinds += rules::observation_kind_name(static_cast<rules::ObservationKind>(k));
      }
    char buf[160];
    std::snprintf(buf, sizeof buf, " x%llu %s .. %s", static_cast<unsigned long long>(s.count),
                  rules::format_timestamp(s.first_seen, true).c_str(), rules::format_timestamp(s.last_seen, true).c_str());
    return s.indicator_id + " '" + s.matched_term + "' device " + writer->device_label(s.device) + " in " + kinds + buf;
  }

  // ---- inputs ----

  void run_source(capture::PacketSource& src) {
    const int dlt = src.datalink();
    if (!capture::TrafficObserver::supports_link(dlt) && !opt.quiet)
      std::fprintf(log, "outpost: warning: %s: link type %d (%s) is not decoded; its frames are counted as skipped\n",
                   src.name().c_str(), dlt, pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?");
    struct stat st {};
    const long size = ::stat(src.name().c_str(), &st) == 0 ? static_cast<long>(st.st_size) : 0;
    capture::Frame f;
    std::uint64_t n = 0;
    while (!g_stop.load(std::memory_order_relaxed) && src.next(f)) {
      observer->process(dlt, f.data, f.caplen, f.wire_len, f.ts);
      if ((++n & 0xFFFF) == 0 && !opt.quiet && seconds_since(last_progress) >= 2.0) {
        last_progress = std::chrono::steady_clock::now();
        const long pos = src.position();
        std::fprintf(log, "outpost: %s: %llu frames, %.0f%%\n", src.name().c_str(), static_cast<unsigned long long>(n),
                     size > 0 && pos > 0 ? 100.0 * static_cast<double>(pos) / static_cast<double>(size) : 0.0);
      }
    }
    if (src.state() == capture::PacketSource::State::truncated || src.state() == capture::PacketSource::State::error) {
      warnings.push_back(src.warning());
      if (!opt.quiet) std::fprintf(log, "outpost: warning: %s\n", src.warning().c_str());
    }
  }

  void replay() {
    std::vector<std::unique_ptr<capture::PacketSource>> sources;
    for (const auto& p : opt.pcaps) {
      try {
        sources.push_back(capture::PacketSource::open_offline(p));
      } catch (const std::exception& e) {
        throw UsageError(std::string("--pcap: ") + e.what());
      }
    }
    for (auto& s : sources) {
      run_source(*s);
      s.reset();  // close each file when done
    }
  }

  void capture_live() {
    capture::LiveOptions lo;
    lo.interface = opt.interface;
    lo.bpf_filter = opt.bpf_filter;
    lo.snaplen = opt.snaplen;
    lo.buffer_bytes = opt.buffer_bytes;
    std::unique_ptr<capture::PacketSource> src;
    try {
      src = capture::PacketSource::open_live(lo);
    } catch (const std::exception& e) {
      throw UsageError(std::string("--interface: ") + e.what());
    }
    drop_privileges(opt.run_as_user);
    if (!opt.quiet) std::fprintf(log, "outpost: capturing on %s (SIGINT/SIGTERM to stop)\n", opt.interface.c_str());
    const int dlt = src->datalink();
    pollfd pfd{src->selectable_fd(), POLLIN, 0};
    while (!g_stop.load(std::memory_order_relaxed)) {
      const int rc = ::poll(&pfd, 1, 200);
      if (rc < 0 && errno != EINTR) throw UsageError("--interface: poll failed: " + std::string(std::strerror(errno)));
      capture::Frame f;
      for (int budget = 0; budget < 4096 && src->next(f); ++budget)
        observer->process(dlt, f.data, f.caplen, f.wire_len, f.ts);
      if (src->state() == capture::PacketSource::State::error) {
        warnings.push_back(src->warning());
        break;
      }
    }
    kernel_drops = src->dropped_by_kernel();
  }

  // ---- end of run ----

  bool finish() {
    if (finished) return !output_failed;
    finished = true;
    observer->flush();
    aggregator->flush();
    if (observation_log && !observation_log->close()) {
      output_failed = true;
      std::fprintf(log, "outpost: error: --observations: write failed\n");
    }
    if (sightings_file != nullptr) {
      if (std::fflush(sightings_file) != 0 || (sightings_file != stdout && std::fclose(sightings_file) != 0) ||
          (sightings_out && sightings_out->write_errors() > 0)) {
        output_failed = true;
        std::fprintf(log, "outpost: error: --sightings: write failed\n");
      }
      sightings_file = nullptr;
    }
    const std::string json = stats_json();
    if (!opt.stats_path.empty()) {
      std::FILE* f = opt.stats_path == "-" ? stdout : std::fopen(opt.stats_path.c_str(), "w");
      if (f == nullptr || std::fputs(json.c_str(), f) < 0 || std::fputc('\n', f) == EOF ||
          (f != stdout && std::fclose(f) != 0)) {
        output_failed = true;
        std::fprintf(log, "outpost: error: --stats: cannot write '%s'\n", opt.stats_path.c_str());
      }
    }
    if (!opt.quiet) print_summary();
    return !output_failed;
  }

  void print_summary() const {
    const capture::TrafficStats t = observer->stats();
    auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
    std::fprintf(log, "outpost: %llu packets, %llu bytes, %llu flows (peak %u, %llu evicted), %.2f s, peak RSS %ld kB\n",
                 u(t.frames), u(t.bytes), u(t.flows.created), t.flows.peak_active, u(evictions(t)),
                 seconds_since(started), peak_rss_kb());
    std::string obs;
    std::uint64_t total = 0;
    for (std::size_t k = 0; k < rules::kObservationKindCount; ++k) {
      if (t.observations[k] == 0) continue;
      total += t.observations[k];
      obs += " " + std::string(rules::observation_kind_name(static_cast<rules::ObservationKind>(k))) + "=" +
             std::to_string(t.observations[k]);
    }
    std::fprintf(log, "outpost: observations %llu:%s\n", u(total), obs.c_str());
    std::string skipped;
    for (std::size_t r = 1; r < capture::kDropReasonCount; ++r)
      if (t.decoder.dropped_by[r] != 0)
        skipped += " " + std::string(capture::drop_reason_name(static_cast<capture::DropReason>(r))) + "=" +
                   std::to_string(t.decoder.dropped_by[r]);
    std::fprintf(log, "outpost: packets skipped %llu:%s (not IP %llu, fragments held %llu)\n", u(t.decoder.dropped),
                 skipped.c_str(), u(t.decoder.not_ip), u(t.decoder.held));
    const auto& a = aggregator->counters();
    std::fprintf(log, "outpost: matches %llu, sightings %llu in %llu bundles", u(a.matches), u(sightings), u(windows));
    if (a.matches_dropped_open_cap) std::fprintf(log, ", %llu matches dropped (open-sighting cap)", u(a.matches_dropped_open_cap));
    std::fprintf(log, "\n");
    for (const auto& l : listed) std::fprintf(log, "  sighting: %s\n", l.c_str());
    if (unlisted) std::fprintf(log, "  ... and %llu more sightings\n", u(unlisted));
  }

  static std::uint64_t evictions(const capture::TrafficStats& t) {
    return t.flows.ended[static_cast<std::size_t>(capture::FlowEndReason::evicted)];
  }

  std::string stats_json() const {
    const capture::TrafficStats t = observer->stats();
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    auto key = [&w](std::string_view k) { w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); };
    auto num = [&](std::string_view k, std::uint64_t v) {
      key(k);
      w.Uint64(v);
    };
    w.StartObject();
    key("version");
    w.String(version().data(), static_cast<rapidjson::SizeType>(version().size()));
    num("packets", t.frames);
    num("bytes", t.bytes);
    key("flows");
    w.StartObject();
    num("created", t.flows.created);
    num("peak_active", t.flows.peak_active);
    num("capacity", t.flows.capacity);
    num("evicted", evictions(t));
    for (std::size_t r = 0; r < capture::kFlowEndReasonCount; ++r)
      num(std::string("ended_") + std::string(capture::flow_end_reason_name(static_cast<capture::FlowEndReason>(r))),
          t.flows.ended[r]);
    w.EndObject();
    key("observations");
    w.StartObject();
    for (std::size_t k = 0; k < rules::kObservationKindCount; ++k)
      num(rules::observation_kind_name(static_cast<rules::ObservationKind>(k)), t.observations[k]);
    w.EndObject();
    const auto& a = aggregator->counters();
    num("matches", a.matches);
    num("sightings", sightings);
    num("bundles", windows);
    num("matches_dropped_open_cap", a.matches_dropped_open_cap);
    num("observables_omitted", a.observables_omitted);
    key("skipped");
    w.StartObject();
    for (std::size_t r = 1; r < capture::kDropReasonCount; ++r)
      num(capture::drop_reason_name(static_cast<capture::DropReason>(r)), t.decoder.dropped_by[r]);
    w.EndObject();
    key("decoder");
    w.StartObject();
    num("ok", t.decoder.ok);
    num("not_ip", t.decoder.not_ip);
    num("held", t.decoder.held);
    num("dropped", t.decoder.dropped);
    num("tunnelled", t.decoder.tunnelled);
    num("fragments_reassembled", t.decoder.fragments.reassembled);
    w.EndObject();
    key("parsers");
    w.StartObject();
    num("tls_handshakes", t.tls_handshakes);
    num("tls_gaps", t.tls_gaps);
    num("tls_errors", t.tls_errors);
    num("x509_malformed", t.x509_malformed);
    num("x509_too_long", t.x509_too_long);
    num("tls_pool_exhausted", t.tls_pool_exhausted);
    num("quic_handshakes", t.quic_handshakes);
    num("quic_pool_exhausted", t.quic_pool_exhausted);
    num("dtls_handshakes", t.dtls_handshakes);
    num("dtls_pool_exhausted", t.dtls_pool_exhausted);
    num("http_requests", t.http_requests);
    num("http_pool_exhausted", t.http_pool_exhausted);
    num("dns_messages", t.dns_messages);
    num("dns_errors", t.dns_errors);
    num("dns_tcp_pool_exhausted", t.dns_tcp_pool_exhausted);
    num("dns_cache_evictions", t.dns_cache_evictions);
    num("fingerprints_untracked", t.fingerprints_untracked);
    w.EndObject();
    key("matching");
    w.StartObject();
    const rules::MatchContextStats& m = match_context.stats();
    num("residual_evaluations", m.residual_evaluations);
    num("residual_matches", m.residual_matches);
    num("residual_errors", m.residual_errors);
    num("history_records", m.history_records);
    num("history_key_evictions", m.history_key_evictions);
    num("history_entry_drops", m.history_entry_drops);
    w.EndObject();
    key("dpi");
    w.StartObject();
    key("engine");
    w.String(t.dpi.engine.data(), static_cast<rapidjson::SizeType>(t.dpi.engine.size()));
    num("flows_detected", t.dpi.flows_detected);
    num("flows_given_up", t.dpi.flows_given_up);
    num("state_cap_hits", t.dpi.state_cap_hits);
    num("engine_module_bytes", t.dpi.engine_module_bytes);
    num("engine_heap_peak", t.dpi.engine_heap_peak);
    w.EndObject();
    key("memory");
    w.StartObject();
    num("capture_reserved_bytes", t.memory_reserved_bytes);
    num("indicator_set_bytes", indicators ? indicators->memory_bytes() : 0);
    num("match_context_bytes", match_context.memory_bytes());
    num("peak_rss_kb", static_cast<std::uint64_t>(peak_rss_kb()));
    w.EndObject();
    num("kernel_drops", kernel_drops);
    key("warnings");
    w.StartArray();
    for (const auto& s : warnings) w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
    w.EndArray();
    if (indicators) {
      key("indicators");
      const std::string ind = indicators->stats().to_json();
      w.RawValue(ind.c_str(), ind.size(), rapidjson::kObjectType);
    }
    key("elapsed_seconds");
    w.Double(seconds_since(started));
    w.EndObject();
    return sb.GetString();
  }

  Options opt;
  std::FILE* log;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_progress = started;
  std::unique_ptr<rules::IndicatorSet> indicators;
  rules::MatchContext match_context;  // residual patterns: scratch objects, per-device history
  std::optional<PseudonymKey> key;
  ReportOptions report;
  std::unique_ptr<StixBundleWriter> writer;
  std::FILE* sightings_file = nullptr;
  std::unique_ptr<SightingJsonLines> sightings_out;
  std::unique_ptr<ObservationLog> observation_log;
  std::unique_ptr<SightingAggregator> aggregator;
  std::unique_ptr<capture::TrafficObserver> observer;
  std::vector<std::string> warnings;
  std::vector<std::string> listed;
  std::uint64_t unlisted = 0, sightings = 0, windows = 0, kernel_drops = 0;
  bool output_failed = false;
  bool finished = false;
};

Sensor::Sensor(const Options& options, std::FILE* log) : impl_(std::make_unique<Impl>(options, log)) {}
Sensor::~Sensor() = default;
void Sensor::replay() { impl_->replay(); }
void Sensor::capture_live() { impl_->capture_live(); }
void Sensor::stop() noexcept { g_stop.store(true); }
bool Sensor::finish() { return impl_->finish(); }
std::string Sensor::stats_json() const { return impl_->stats_json(); }

}  // namespace outpost::agent
