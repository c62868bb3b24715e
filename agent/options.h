#pragma once
// Command-line options of `outpost`: one typed table (name, argument, default, description)
// from which both parsing and --help are generated; unknown options are errors.
// The CLI contract (other tools depend on it):
//   outpost --pcap FILE --indicators [KIND:]FILE --sightings FILE [--observations FILE]

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace outpost::agent {

// A whole-input failure (bad option or value, unreadable file): the CLI prints the one-line
// message and exits with code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Options {
  std::vector<std::string> pcaps;         // --pcap FILE (repeatable)
  std::string interface;                  // --interface IF (live capture)
  std::string bpf_filter;                 // --filter EXPR
  int snaplen = 2048;                     // --snaplen N
  int buffer_bytes = 4 << 20;             // --buffer-size BYTES
  std::string run_as_user;                // --user NAME: drop privileges after opening
  std::vector<std::string> indicators;    // --indicators [KIND:]FILE (repeatable)
  std::string sightings_path;             // --sightings FILE ('-' = stdout)
  std::string observations_path;          // --observations FILE ('-' = stdout)
  std::string stats_path;                 // --stats FILE ('-' = stdout)
  std::string pseudonym_key_path;         // --pseudonym-key FILE
  std::string state_dir;                  // --state-dir DIR
  std::string sensor_name = "outpost";    // --sensor-name NAME
  std::int64_t window_seconds = 3600;     // --window SECONDS
  std::vector<std::string> lan_prefixes;  // --lan CIDR (repeatable; default RFC 1918 etc.)
  bool raw_device = false;                // --raw-device
  bool keep_query = false;                // --keep-query
  std::uint32_t max_flows = 65536;        // --max-flows N
  bool quiet = false;                     // --quiet
  bool help = false;                      // --help
  bool version = false;                   // --version
  bool extension_definition = false;      // --extension-definition
};

// Parses argv. Throws UsageError("--option: what was expected") on any problem.
Options parse_options(int argc, const char* const* argv);

// The --help text, generated from the option table.
std::string options_help();

// The LAN prefixes used when --lan is not given: RFC 1918, RFC 4193 (fc00::/7), fe80::/10.
const std::vector<std::string>& default_lan_prefixes();

}  // namespace outpost::agent
