#include "capture/proto/tcp_sequence.h"

namespace outpost::capture::proto {

void TcpSequenceCursor::start(std::uint32_t next_seq) noexcept {
  if (started_) return;
  next_ = next_seq;
  started_ = true;
}

TcpSequenceCursor::Span TcpSequenceCursor::accept(std::uint32_t seq, const std::uint8_t* data,
                                                  std::size_t len) noexcept {
  if (gave_up_ || data == nullptr || len == 0) return {};
  if (!started_) {
    next_ = seq;
    started_ = true;
  }
  // Signed distance modulo 2^32 between the segment start and the expected byte.
  const auto ahead = static_cast<std::int32_t>(seq - next_);
  if (ahead > 0) {
    ++gaps_;
    gave_up_ = true;
    return {};
  }
  const std::uint32_t behind = static_cast<std::uint32_t>(-static_cast<std::int64_t>(ahead));
  if (behind >= len) {
    ++duplicates_;
    trimmed_ += len;
    return {};
  }
  trimmed_ += behind;
  const std::size_t fresh = len - behind;
  next_ += static_cast<std::uint32_t>(fresh);
  return {data + behind, fresh};
}

}  // namespace outpost::capture::proto
