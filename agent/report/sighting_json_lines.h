#pragma once
// SightingJsonLines: the --sightings output, JSON Lines (one STIX bundle per line, each line
// a complete JSON text followed by '\n'). Each line is flushed when written, so a reader
// tailing the file, or a crash, never sees half a bundle from a finished window. Opening the
// file, and "-" for stdout, are the CLI's job.

#include <cstdint>
#include <cstdio>
#include <iosfwd>

#include "agent/report/sighting.h"
#include "agent/report/stix_bundle_writer.h"

namespace outpost::agent {

class SightingJsonLines {
 public:
  // The writer and stream must outlive this object.
  SightingJsonLines(const StixBundleWriter& writer, std::FILE* out) noexcept;
  SightingJsonLines(const StixBundleWriter& writer, std::ostream& out) noexcept;

  // Appends the window's bundle as one line and flushes. Returns false on an I/O error,
  // which is also counted.
  bool write(const ClosedWindow& window);

  std::uint64_t bundles_written() const noexcept { return bundles_written_; }
  std::uint64_t write_errors() const noexcept { return write_errors_; }

 private:
  const StixBundleWriter& writer_;
  std::FILE* file_ = nullptr;
  std::ostream* stream_ = nullptr;
  std::uint64_t bundles_written_ = 0;
  std::uint64_t write_errors_ = 0;
};

}  // namespace outpost::agent
