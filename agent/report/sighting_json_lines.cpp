#include "agent/report/sighting_json_lines.h"

#include <ostream>
#include <string>

namespace outpost::agent {

SightingJsonLines::SightingJsonLines(const StixBundleWriter& writer, std::FILE* out) noexcept
    : writer_(writer), file_(out) {}

SightingJsonLines::SightingJsonLines(const StixBundleWriter& writer, std::ostream& out) noexcept
    : writer_(writer), stream_(&out) {}

bool SightingJsonLines::write(const ClosedWindow& window) {
  std::string line = writer_.bundle(window);
  line.push_back('\n');
  bool ok;
  if (file_ != nullptr) {
    ok = std::fwrite(line.data(), 1, line.size(), file_) == line.size() && std::fflush(file_) == 0;
  } else {
    stream_->write(line.data(), static_cast<std::streamsize>(line.size()));
    stream_->flush();
    ok = stream_->good();
  }
  if (ok)
    ++bundles_written_;
  else
    ++write_errors_;
  return ok;
}

}  // namespace outpost::agent
