#pragma once
// OffsetReassembly: the first N bytes of a stream whose pieces arrive at arbitrary offsets —
// overlapping, repeated or out of order — as QUIC CRYPTO frames (RFC 9000 §19.6: "the receiver
// MUST be prepared to accept data out of order") and DTLS handshake fragments (RFC 6347
// §4.2.2) do. Keeps the bytes in a fixed buffer and the received ranges in a small fixed table;
// bytes past N, or a piece that would need more than MaxRanges disjoint ranges, are dropped
// and returned as such so the caller can count them. Retransmitted bytes simply overwrite
// (both protocols require retransmitted data to be identical). No allocation.

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace outpost::capture::proto {

template <std::size_t N, std::size_t MaxRanges = 8>
class OffsetReassembly {
  static_assert(N > 0 && N <= 0xffffffffu, "ranges are kept as 32-bit offsets");
  static_assert(MaxRanges >= 1, "at least one range");

 public:
  static constexpr std::size_t kCapacity = N;

  // Stores the part of [offset, offset + len) below N. Returns the number of bytes NOT stored:
  // those at or past N, or all of them when the table of ranges is full.
  std::size_t add(std::uint64_t offset, const std::uint8_t* data, std::size_t len) noexcept {
    if (len == 0) return 0;
    if (offset >= N) return len;
    const std::size_t begin = static_cast<std::size_t>(offset);
    const std::size_t room = N - begin;
    const std::size_t take = len < room ? len : room;
    std::size_t b = begin, e = begin + take;
    // Merge with every range that overlaps or touches [b, e).
    std::size_t kept = 0;
    Range keep[MaxRanges];
    for (std::size_t i = 0; i < count_; ++i) {
      const Range r = ranges_[i];
      if (r.end >= b && r.begin <= e) {
        if (r.begin < b) b = r.begin;
        if (r.end > e) e = r.end;
      } else {
        keep[kept++] = r;
      }
    }
    if (kept == MaxRanges) return len;
    std::memcpy(buf_ + begin, data, take);
    // Re-insert sorted by start.
    std::size_t out = 0;
    bool placed = false;
    for (std::size_t i = 0; i < kept; ++i) {
      if (!placed && b < keep[i].begin) {
        ranges_[out++] = Range{static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(e)};
        placed = true;
      }
      ranges_[out++] = keep[i];
    }
    if (!placed) ranges_[out++] = Range{static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(e)};
    count_ = out;
    return len - take;
  }

  // Length of the prefix [0, k) received in full.
  std::size_t contiguous() const noexcept {
    return count_ != 0 && ranges_[0].begin == 0 ? ranges_[0].end : 0;
  }
  std::size_t ranges() const noexcept { return count_; }
  const std::uint8_t* data() const noexcept { return buf_; }
  // The buffer itself, for the owner to use for something else while no stream is being
  // reassembled; the next stream starts with reset(), which forgets whatever is there.
  std::uint8_t* storage() noexcept { return buf_; }
  void reset() noexcept { count_ = 0; }

 private:
  struct Range {
    std::uint32_t begin, end;
  };
  Range ranges_[MaxRanges] = {};
  std::size_t count_ = 0;
  std::uint8_t buf_[N];
};

}  // namespace outpost::capture::proto
