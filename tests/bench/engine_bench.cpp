// Indicator-engine benchmark driver (tests/bench/engine runs it; not a test). One JSON object
// per line on stdout, so the script can tabulate runs side by side with nDPI's numbers.
//
//   engine_bench load SET [--runs N]           map a compiled set: load time, resident growth
//   engine_bench build [KIND:]FILE... [--runs N]  build from lists/bundles: the same
//   engine_bench lookups SET VALUES [--runs N]   VALUES: lines "kind<TAB>value<TAB>0|1" (1 = in
//                                                the set); lookups/s per kind, hits checked
//   engine_bench update SET [--batches N]        live updates while a packet thread matches:
//                                                longest pause, peak and steady resident memory

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <vector>

#include "rules/indicator_store.h"
#include "rules/set_file.h"

namespace {

using namespace outpost::rules;
using Clock = std::chrono::steady_clock;

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

long hwm_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int die(const std::string& why) {
  std::fprintf(stderr, "engine_bench: %s\n", why.c_str());
  return 2;
}

int load_or_build(bool build, const std::vector<std::string>& specs, int runs) {
  std::vector<double> times;
  long growth = 0;
  std::size_t entries = 0, memory = 0, file_bytes = 0;
  for (int r = 0; r < runs; ++r) {
    const long before = rss_kib();
    const auto t0 = Clock::now();
    LoadStatus st;
    std::unique_ptr<IndicatorSet> set = build ? load_indicators(specs, {}, st) : SetFile::load(specs[0], st);
    if (!set) return die(st.message);
    times.push_back(seconds_since(t0));
    const long after = rss_kib();
    if (r == 0) {
      growth = after - before;
      entries = set->size();
      memory = set->memory_bytes();
      file_bytes = set->stats().set_file_bytes;
    }
  }
  std::printf("{\"what\":\"%s\",\"runs\":%d,\"seconds\":%.6f,\"rss_growth_kib\":%ld,\"entries\":%zu,"
              "\"memory_bytes\":%zu,\"file_bytes\":%zu,\"peak_rss_kib\":%ld}\n",
              build ? "build" : "load", runs, median(times), growth, entries, memory, file_bytes, hwm_kib());
  return 0;
}

ObservationKind carrier(IndicatorType t) {
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

struct CountSink : MatchSink {
  std::size_t matches = 0;
  void on_match(const MatchedIndicator&, const Observation&) override { ++matches; }
};

int lookups(const std::string& set_path, const std::string& values_path, int runs) {
  LoadStatus st;
  auto set = SetFile::load(set_path, st);
  if (!set) return die(st.message);
  struct Batch {
    std::vector<std::string> values;
    std::vector<char> hit;
  };
  std::map<std::string, Batch> by_kind;
  std::ifstream in(values_path);
  std::string line;
  while (std::getline(in, line)) {
    const auto a = line.find('\t'), b = line.rfind('\t');
    if (a == std::string::npos || b == a) continue;
    Batch& batch = by_kind[line.substr(0, a)];
    batch.values.push_back(line.substr(a + 1, b - a - 1));
    batch.hit.push_back(line[b + 1] == '1');
  }
  for (auto& [kind, batch] : by_kind) {
    IndicatorType type;
    if (!parse_indicator_type(kind, type)) return die("unknown kind " + kind);
    std::vector<Observation> obs(batch.values.size());
    for (std::size_t i = 0; i < obs.size(); ++i) {
      obs[i].kind = carrier(type);
      obs[i].value = batch.values[i];
      obs[i].ts = 1700000000000000;
      // Capture hands addresses over in binary as well (Observation::address).
      if (obs[i].kind == ObservationKind::dst_ip) parse_ip(batch.values[i], obs[i].address);
    }
    // Correctness first: every value marked as a hit matches, every miss does not.
    std::size_t wrong = 0, hits = 0;
    for (std::size_t i = 0; i < obs.size(); ++i) {
      CountSink c;
      set->match(obs[i], c);
      if ((c.matches > 0) != (batch.hit[i] != 0)) ++wrong;
      hits += batch.hit[i] != 0;
    }
    std::vector<double> rates;
    std::size_t total_matches = 0;
    for (int r = 0; r < runs; ++r) {
      CountSink c;
      const auto t0 = Clock::now();
      // Enough passes for ~0.3 s of work per run, so the clock's resolution does not matter.
      std::size_t done = 0;
      do {
        for (const Observation& o : obs) set->match(o, c);
        done += obs.size();
      } while (seconds_since(t0) < 0.3);
      rates.push_back(static_cast<double>(done) / seconds_since(t0));
      total_matches += c.matches;
    }
    std::printf("{\"what\":\"lookups\",\"kind\":\"%s\",\"values\":%zu,\"hits\":%zu,\"wrong\":%zu,"
                "\"lookups_per_s\":%.0f,\"runs\":%d,\"matches\":%zu}\n",
                kind.c_str(), obs.size(), hits, wrong, median(rates), runs, total_matches);
  }
  return 0;
}

stix::StixIndicator update_indicator(int n, int version) {
  stix::StixIndicator in;
  char id[64];
  std::snprintf(id, sizeof id, "indicator--%08d-0000-4000-8000-%012d", n, 0);
  in.id = id;
  in.pattern = "[domain-name:value = 'update" + std::to_string(n) + ".bench.example']";
  in.pattern_type = "stix";
  in.created = 1600000000000000;
  in.modified = 1600000000000000 + version;
  in.valid_from = 1600000000000000;
  return in;
}

// Live updates with a packet thread matching all the while: the longest gap between two of its
// matches (the pause an update causes), and resident memory steady / at peak.
int update(const std::string& set_path, int batches) {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);  // as the agent's main does (agent/main.cpp)
#endif
  LoadStatus st;
  std::shared_ptr<const IndicatorSet> base = SetFile::load(set_path, st);
  if (!base) return die(st.message);
  IndicatorStore store(std::move(base));  // as the agent does: the store is the base's only holder
  SnapshotMailbox mailbox(store.current());
  std::atomic<bool> done{false};
  std::atomic<long> peak_kib{0};
  long highest = 0;
  std::atomic<bool> updating{false};
  double longest_idle = 0, longest_updating = 0;  // packet thread's longest gap, without / with updates
  // The longest the packet thread spent taking a new snapshot, by the wall clock (includes
  // being preempted) and by its own CPU time (the work the update costs it).
  double longest_swap = 0, longest_swap_cpu = 0;
  std::size_t matched = 0, taken = 0;
  long preempted = 0;
  const long steady_before = rss_kib();
  // Resident memory sampled every millisecond, through applies and merge steps alike.
  std::thread sampler([&] {
    while (!done.load(std::memory_order_relaxed)) {
      peak_kib = std::max<long>(peak_kib.load(), rss_kib());
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  std::thread packets([&] {
    auto current = store.current();
    Observation o;
    o.kind = ObservationKind::dns_query;
    o.ts = 1700000000000000;
    const std::string names[] = {"update5.bench.example", "www.example.com", "update900.bench.example"};
    CountSink c;
    auto last = Clock::now();
    std::size_t i = 0;
    while (!done.load(std::memory_order_relaxed)) {
      const auto t0 = Clock::now();
      const double cpu0 = thread_cpu_seconds();
      if (mailbox.take(current)) {
        longest_swap = std::max(longest_swap, std::chrono::duration<double>(Clock::now() - t0).count());
        longest_swap_cpu = std::max(longest_swap_cpu, thread_cpu_seconds() - cpu0);
        ++taken;
      }
      o.value = names[i++ % 3];
      current->match(o, c);
      const auto now = Clock::now();
      double& longest = updating.load(std::memory_order_relaxed) ? longest_updating : longest_idle;
      longest = std::max(longest, std::chrono::duration<double>(now - last).count());
      last = now;
    }
    matched = c.matches;
    rusage ru{};
    getrusage(RUSAGE_THREAD, &ru);
    preempted = ru.ru_nivcsw;  // involuntary context switches: times the scheduler took the core away
  });
  // One second without updates first: the longest gap then is the machine's own (scheduling,
  // other processes), the floor the figure with updates must be read against.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  updating = true;
  int n = 0;
  std::vector<double> apply_seconds;
  // Each batch's peak against the steady state around it (before it and after it: a batch
  // adds indicators, so the set grows), the worst ratio reported.
  long steady = steady_before;
  double worst_ratio = 0;
  for (int b = 0; b < batches; ++b) {
    std::vector<stix::StixIndicator> batch;
    for (int i = 0; i < 1000; ++i) batch.push_back(update_indicator(n++ % 30000, b));
    peak_kib = rss_kib();
    const auto t0 = Clock::now();
    mailbox.offer(store.apply({IndicatorSource::Kind::collection, "bench", std::to_string(b)}, std::move(batch)));
    while (store.merge_pending()) mailbox.offer(store.merge_step());
    apply_seconds.push_back(seconds_since(t0));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the packet thread takes the newest
    mailbox.collect();
#ifdef __GLIBC__
    malloc_trim(0);  // glibc keeps freed heap pages unless trimmed: an update thread should trim after a batch
#endif
    const long peak = peak_kib.load();
    const long next = rss_kib();
    worst_ratio = std::max(worst_ratio, static_cast<double>(peak) / static_cast<double>(std::max(steady, next)));
    highest = std::max(highest, peak);
    steady = next;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the packet thread takes the last snapshot
  done = true;
  packets.join();
  sampler.join();
  mailbox.collect();
  const long steady_after = rss_kib();
  std::printf("{\"what\":\"update\",\"batches\":%d,\"indicators_per_batch\":1000,\"apply_seconds_median\":%.6f,"
              "\"longest_packet_gap_ms\":%.3f,\"longest_idle_gap_ms\":%.3f,\"longest_swap_ms\":%.3f,\"longest_swap_cpu_ms\":%.3f,\"rss_steady_before_kib\":%ld,\"rss_steady_after_kib\":%ld,"
              "\"rss_peak_sampled_kib\":%ld,\"peak_over_steady\":%.3f,\"merges\":%llu,\"shards_rebuilt\":%llu,\"snapshots_taken\":%zu,"
              "\"matches\":%zu,\"packet_thread_preempted\":%ld}\n",
              batches, median(apply_seconds), longest_updating * 1000, longest_idle * 1000, longest_swap * 1000, longest_swap_cpu * 1000, steady_before, steady_after,
              highest, worst_ratio, static_cast<unsigned long long>(store.stats().merges),
              static_cast<unsigned long long>(store.stats().shards_rebuilt), taken, matched, preempted);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return die("usage: engine_bench load|build|lookups|update ...");
  const std::string cmd = argv[1];
  std::vector<std::string> args;
  int runs = 5, batches = 20;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--batches") == 0 && i + 1 < argc) batches = std::atoi(argv[++i]);
    else args.emplace_back(argv[i]);
  }
  if (runs < 1) runs = 1;
  if (cmd == "load" && args.size() == 1) return load_or_build(false, args, runs);
  if (cmd == "build" && !args.empty()) return load_or_build(true, args, runs);
  if (cmd == "lookups" && args.size() == 2) return lookups(args[0], args[1], runs);
  if (cmd == "update" && args.size() == 1) return update(args[0], batches);
  return die("bad arguments for " + cmd);
}
