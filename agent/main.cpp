// outpost: replays captures (or captures live), matches what it sees against indicators and
// writes STIX 2.1 sightings. A thin main over outpost_agent: see agent/options.h for the CLI
// contract and agent/sensor.h for the wiring.
#include <csignal>
#include <cstdio>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "agent/options.h"
#include "agent/report/stix_bundle_writer.h"
#include "agent/sensor.h"
#include "agent/version.h"

namespace {
void on_signal(int) { outpost::agent::Sensor::stop(); }
}  // namespace

int main(int argc, char** argv) {
  using namespace outpost::agent;
#ifdef __GLIBC__
  // Large blocks (indicator shards and tables, rebuilt by live updates) go back to the system
  // when freed: glibc otherwise raises its mmap threshold after the first such free and keeps
  // them in the heap (musl, OpenWrt's C library, returns them anyway).
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
  try {
    const Options options = parse_options(argc, argv);
    if (options.help) {
      std::fputs(options_help().c_str(), stdout);
      return 0;
    }
    if (options.version) {
      std::printf("outpost %.*s\n", static_cast<int>(version().size()), version().data());
      return 0;
    }
    if (options.extension_definition) {
      std::printf("%s\n", StixBundleWriter::extension_definition_objects().c_str());
      return 0;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGPIPE, SIG_IGN);
    Sensor sensor(options);
    if (options.interface.empty()) sensor.replay();
    else sensor.capture_live();
    return sensor.finish() ? 0 : 1;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "outpost: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "outpost: error: %s\n", e.what());
    return 1;
  }
}
