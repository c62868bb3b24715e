#pragma once
// TcpSequenceCursor: turns the segments of one TCP direction, as captured, into the in-order
// byte stream the protocol parsers want, without buffering. One per direction.
//
// It remembers the next expected sequence number. A segment entirely below it (a
// retransmission or duplicate) yields nothing; one that overlaps it yields only the new tail;
// one that starts beyond it means bytes are missing (loss, or reordering in the capture) — the
// cursor then GIVES UP for good (gave_up(), counted in gaps()), because the parsers downstream
// are stream parsers that cannot resynchronise inside TLS records. Comparison is modulo 2^32
// (RFC 9293 §3.4 sequence arithmetic), so wrap-around is handled.
//
// Usage per captured segment:
//   if (syn) cursor.start(seq + 1);            // optional; else the first data segment starts it
//   auto s = cursor.accept(seq, payload, payload_len);
//   if (s.len) parser.feed(s.data, s.len, ...);

#include <cstddef>
#include <cstdint>

namespace outpost::capture::proto {

class TcpSequenceCursor {
 public:
  struct Span {
    const std::uint8_t* data = nullptr;
    std::size_t len = 0;
  };

  // Sets the sequence number of the first payload byte (the SYN's seq + 1, RFC 9293 §3.4).
  void start(std::uint32_t next_seq) noexcept;
  // Returns the not-yet-seen bytes of the segment (possibly empty). A pure retransmission of
  // already-seen bytes is counted in duplicates(). After a gap returns empty forever.
  Span accept(std::uint32_t seq, const std::uint8_t* data, std::size_t len) noexcept;
  void reset() noexcept { *this = TcpSequenceCursor{}; }

  bool started() const noexcept { return started_; }
  bool gave_up() const noexcept { return gave_up_; }
  std::uint32_t next_seq() const noexcept { return next_; }
  std::uint64_t duplicates() const noexcept { return duplicates_; }  // segments fully seen before
  std::uint64_t trimmed_bytes() const noexcept { return trimmed_; }  // re-sent bytes dropped
  std::uint64_t gaps() const noexcept { return gaps_; }              // 0 or 1

 private:
  std::uint32_t next_ = 0;
  bool started_ = false;
  bool gave_up_ = false;
  std::uint64_t duplicates_ = 0, trimmed_ = 0, gaps_ = 0;
};

}  // namespace outpost::capture::proto
