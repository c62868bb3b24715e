#include "agent/options.h"

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <limits>

namespace outpost::agent {

namespace {

std::int64_t parse_int(const std::string& opt, const std::string& v, std::int64_t lo, std::int64_t hi) {
  if (v.empty()) throw UsageError(opt + ": expected a number, got an empty value");
  char* end = nullptr;
  errno = 0;
  const long long n = std::strtoll(v.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || n < lo || n > hi)
    throw UsageError(opt + ": expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                     "], got '" + v + "'");
  return n;
}

struct OptionSpec {
  const char* name;
  const char* arg;  // nullptr for flags
  const char* help;
  std::function<void(Options&, const std::string& opt, const std::string& value)> set;
};

const std::vector<OptionSpec>& table() {
  static const std::vector<OptionSpec> t = {
      {"--pcap", "FILE", "replay a capture file (pcap or pcapng); repeatable",
       [](Options& o, const std::string&, const std::string& v) { o.pcaps.push_back(v); }},
      {"--interface", "IF", "capture live on an interface until SIGINT/SIGTERM",
       [](Options& o, const std::string&, const std::string& v) { o.interface = v; }},
      {"--filter", "BPF", "BPF filter for live capture",
       [](Options& o, const std::string&, const std::string& v) { o.bpf_filter = v; }},
      {"--snaplen", "N", "live capture snapshot length (default 2048)",
       [](Options& o, const std::string& n, const std::string& v) {
         o.snaplen = static_cast<int>(parse_int(n, v, 64, 262144));
       }},
      {"--buffer-size", "BYTES", "live capture kernel buffer (default 4194304)",
       [](Options& o, const std::string& n, const std::string& v) {
         o.buffer_bytes = static_cast<int>(parse_int(n, v, 65536, 1 << 30));
       }},
      {"--user", "NAME", "drop privileges to this user after opening the capture",
       [](Options& o, const std::string&, const std::string& v) { o.run_as_user = v; }},
      {"--indicators", "[KIND:]FILE",
       "STIX 2.1/2.0 bundle (.json) or plain list, one value per line (gzip ok); KIND = domain, "
       "ipv4, ipv6, url, md5, sha1, sha256, ja3, ja3s, x509_sha1, ip_port; repeatable",
       [](Options& o, const std::string&, const std::string& v) { o.indicators.push_back(v); }},
      {"--sightings", "FILE", "write STIX 2.1 bundles of sightings, one per line ('-' = stdout)",
       [](Options& o, const std::string&, const std::string& v) { o.sightings_path = v; }},
      {"--observations", "FILE", "write observations as JSON Lines ('-' = stdout)",
       [](Options& o, const std::string&, const std::string& v) { o.observations_path = v; }},
      {"--stats", "FILE", "write the end-of-run summary as JSON ('-' = stdout)",
       [](Options& o, const std::string&, const std::string& v) { o.stats_path = v; }},
      {"--pseudonym-key", "FILE", "key for device pseudonyms (created 0600 if missing); for reproducible replays",
       [](Options& o, const std::string&, const std::string& v) { o.pseudonym_key_path = v; }},
      {"--state-dir", "DIR", "state folder (pseudonym key, ...); default /var/lib/outpost as root, else ~/.local/state/outpost",
       [](Options& o, const std::string&, const std::string& v) { o.state_dir = v; }},
      {"--sensor-name", "NAME", "name of the sensor's STIX identity (default outpost)",
       [](Options& o, const std::string& n, const std::string& v) {
         if (v.empty()) throw UsageError(n + ": expected a non-empty name");
         o.sensor_name = v;
       }},
      {"--window", "SECONDS", "sighting aggregation window (default 3600)",
       [](Options& o, const std::string& n, const std::string& v) {
         o.window_seconds = parse_int(n, v, 1, 7 * 86400);
       }},
      {"--lan", "CIDR", "LAN prefix deciding the device side; repeatable (default RFC 1918, fc00::/7, fe80::/10)",
       [](Options& o, const std::string&, const std::string& v) { o.lan_prefixes.push_back(v); }},
      {"--raw-device", nullptr, "report raw MAC/IP of devices instead of pseudonyms",
       [](Options& o, const std::string&, const std::string&) { o.raw_device = true; }},
      {"--keep-query", nullptr, "keep query strings in reported URLs",
       [](Options& o, const std::string&, const std::string&) { o.keep_query = true; }},
      {"--max-flows", "N", "flow table capacity (default 65536)",
       [](Options& o, const std::string& n, const std::string& v) {
         o.max_flows = static_cast<std::uint32_t>(parse_int(n, v, 16, 1 << 24));
       }},
      {"--quiet", nullptr, "no summary on stderr",
       [](Options& o, const std::string&, const std::string&) { o.quiet = true; }},
      {"--help", nullptr, "show this help",
       [](Options& o, const std::string&, const std::string&) { o.help = true; }},
      {"--extension-definition", nullptr,
       "print the STIX extension-definition of the sightings' context extension (import it once) and exit",
       [](Options& o, const std::string&, const std::string&) { o.extension_definition = true; }},
      {"--version", nullptr, "show the version",
       [](Options& o, const std::string&, const std::string&) { o.version = true; }},
  };
  return t;
}

}  // namespace

Options parse_options(int argc, const char* const* argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_inline = false;
    if (const auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline = true;
    }
    const OptionSpec* spec = nullptr;
    for (const auto& s : table())
      if (arg == s.name) spec = &s;
    if (spec == nullptr) {
      if (arg == "-h") {
        o.help = true;
        continue;
      }
      throw UsageError(arg + ": unknown option (see --help)");
    }
    if (spec->arg != nullptr) {
      if (!has_inline) {
        if (i + 1 >= argc) throw UsageError(arg + ": expected " + spec->arg + " after it");
        value = argv[++i];
      }
    } else if (has_inline) {
      throw UsageError(arg + ": takes no value");
    }
    spec->set(o, arg, value);
  }
  if (o.help || o.version || o.extension_definition) return o;
  if (o.pcaps.empty() && o.interface.empty())
    throw UsageError("--pcap: expected at least one capture file (or --interface for live capture)");
  if (!o.pcaps.empty() && !o.interface.empty())
    throw UsageError("--interface: cannot be combined with --pcap");
  return o;
}

std::string options_help() {
  std::string h =
      "usage: outpost --pcap FILE [--pcap FILE...] [--indicators [KIND:]FILE...] --sightings FILE\n"
      "               [--observations FILE] [--stats FILE] [options]\n"
      "       outpost --interface IF [--filter BPF] [options]\n\noptions:\n";
  for (const auto& s : table()) {
    std::string left = std::string("  ") + s.name + (s.arg ? std::string(" ") + s.arg : "");
    if (left.size() < 28) left.resize(28, ' ');
    else left += "\n" + std::string(28, ' ');
    h += left + s.help + "\n";
  }
  h += "\nExit codes: 0 done (a cut-short capture is a warning), 2 bad option or unreadable input.\n";
  return h;
}

const std::vector<std::string>& default_lan_prefixes() {
  static const std::vector<std::string> p = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                             "fc00::/7", "fe80::/10"};
  return p;
}

}  // namespace outpost::agent
