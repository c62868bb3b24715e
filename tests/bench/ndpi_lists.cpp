// The peer of tests/bench/engine_bench.cpp: nDPI 4.2's own list matching (custom categories:
// what `ndpiReader -c` loads), measured the same way in the same run. Bench-only code (the
// agent reaches nDPI only through capture/dpi/ndpi/). Compiled by tests/bench/engine:
//   g++ -O2 ndpi_lists.cpp $(pkg-config --cflags --libs libndpi)
//
//   ndpi_lists LIST... [--values VALUES --runs N]
// LIST: one domain or IPv4 address/CIDR per line (as ../shared/corpus/indicators). Prints the
// load time and resident growth, then, with --values (lines "kind<TAB>value<TAB>0|1", kinds
// domain and ipv4 only), lookups/s of ndpi_get_custom_category_match per kind.

#include <ndpi/ndpi_api.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

long status_kib(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key, 0) == 0) return std::strtol(line.c_str() + std::strlen(key), nullptr, 10);
  return -1;
}

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> lists;
  std::string values_path;
  int runs = 3;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--values") == 0 && i + 1 < argc) values_path = argv[++i];
    else if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = std::atoi(argv[++i]);
    else lists.emplace_back(argv[i]);
  }
  const long rss0 = status_kib("VmRSS:");
  const auto t0 = std::chrono::steady_clock::now();
  NDPI_PROTOCOL_BITMASK all;
  ndpi_detection_module_struct* ndpi = ndpi_init_detection_module(ndpi_no_prefs);
  NDPI_BITMASK_SET_ALL(all);
  ndpi_set_protocol_detection_bitmask2(ndpi, &all);
  ndpi_finalize_initialization(ndpi);
  const double init_s = since(t0);
  const long rss_init = status_kib("VmRSS:");
  const auto t1 = std::chrono::steady_clock::now();
  std::size_t loaded = 0, refused = 0;
  for (const auto& path : lists) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (ndpi_load_category(ndpi, line.c_str(), CUSTOM_CATEGORY_MALWARE) >= 0) ++loaded;
      else ++refused;
    }
  }
  ndpi_enable_loaded_categories(ndpi);
  const double load_s = since(t1);
  const long rss_loaded = status_kib("VmRSS:");
  std::printf("{\"what\":\"ndpi_load\",\"entries\":%zu,\"refused\":%zu,\"init_seconds\":%.3f,\"seconds\":%.3f,"
              "\"rss_start_kib\":%ld,\"rss_after_init_kib\":%ld,\"rss_after_load_kib\":%ld,\"peak_rss_kib\":%ld}\n",
              loaded, refused, init_s, load_s, rss0, rss_init, rss_loaded, status_kib("VmHWM:"));
  if (values_path.empty()) return 0;
  std::map<std::string, std::pair<std::vector<std::string>, std::vector<char>>> by_kind;
  std::ifstream in(values_path);
  std::string line;
  while (std::getline(in, line)) {
    const auto a = line.find('\t'), b = line.rfind('\t');
    if (a == std::string::npos || b == a) continue;
    const std::string kind = line.substr(0, a);
    if (kind != "domain" && kind != "ipv4") continue;
    auto& v = by_kind[kind];
    v.first.push_back(line.substr(a + 1, b - a - 1));
    v.second.push_back(line[b + 1] == '1');
  }
  for (auto& [kind, v] : by_kind) {
    std::size_t found = 0, agree = 0;
    for (std::size_t i = 0; i < v.first.size(); ++i) {
      ndpi_protocol_category_t id;
      const bool hit = ndpi_get_custom_category_match(ndpi, v.first[i].data(),
                                                      static_cast<u_int>(v.first[i].size()), &id) == 0;
      found += hit;
      agree += hit == (v.second[i] != 0);
    }
    std::vector<double> rates;
    for (int r = 0; r < runs; ++r) {
      const auto t = std::chrono::steady_clock::now();
      std::size_t done = 0;
      do {
        for (auto& s : v.first) {
          ndpi_protocol_category_t id;
          ndpi_get_custom_category_match(ndpi, s.data(), static_cast<u_int>(s.size()), &id);
        }
        done += v.first.size();
      } while (since(t) < 0.3);
      rates.push_back(static_cast<double>(done) / since(t));
    }
    std::sort(rates.begin(), rates.end());
    std::printf("{\"what\":\"ndpi_lookups\",\"kind\":\"%s\",\"values\":%zu,\"found\":%zu,\"agree\":%zu,"
                "\"lookups_per_s\":%.0f}\n",
                kind.c_str(), v.first.size(), found, agree, rates[rates.size() / 2]);
  }
  ndpi_exit_detection_module(ndpi);
  return 0;
}
