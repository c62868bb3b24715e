#pragma once
// DnsTcpFramer: splits one direction of a DNS-over-TCP stream into messages (RFC 1035 §4.2.2,
// RFC 7766 §8: each message is preceded by a two-byte big-endian length). One framer per
// direction; feed it in-order TCP payload (see tcp_sequence.h for trimming retransmissions).
//
// Pull style, no callbacks and no allocation:
//
//   framer.feed(payload, payload_len);
//   DnsTcpFramer::Message m;
//   while (framer.next(m)) parse_dns_message(m.data, m.len, visitor);
//
// A segment may hold several messages, or pieces of them; a message (or its length prefix)
// may span segments. Messages that arrive whole inside one segment are returned in place
// (zero-copy, pointing into the fed segment, valid until the next feed()); pieces are
// accumulated in a fixed buffer of kBufferBytes. A message longer than the buffer is returned
// cut to its first kBufferBytes (Message::cut set, counted in oversized()): the question and
// the first answers come first in a DNS message, so the prefix still yields them and
// parse_dns_message reports the cut as truncated_record. The rest of that message is skipped.
// All input given to feed() must be drained with next() before the next feed().

#include <cstddef>
#include <cstdint>

namespace outpost::capture::proto {

class DnsTcpFramer {
 public:
  static constexpr std::size_t kBufferBytes = 4096;

  struct Message {
    const std::uint8_t* data = nullptr;
    std::size_t len = 0;        // bytes available at data
    std::size_t wire_len = 0;   // the length announced by the prefix
    bool cut = false;           // len < wire_len (the message exceeded kBufferBytes)
  };

  void feed(const std::uint8_t* data, std::size_t len) noexcept;
  // Returns the next complete message, or false when the fed input is used up.
  bool next(Message& out) noexcept;
  void reset() noexcept;

  std::uint64_t messages() const noexcept { return messages_; }
  std::uint64_t oversized() const noexcept { return oversized_; }
  // Zero-length messages are skipped (RFC 7766 gives them no meaning); counted.
  std::uint64_t empty_messages() const noexcept { return empty_; }

 private:
  enum class State : std::uint8_t { length, body, skip };

  const std::uint8_t* in_ = nullptr;  // unconsumed part of the fed segment
  std::size_t in_len_ = 0;
  State state_ = State::length;
  std::uint8_t prefix_[2] = {};
  std::uint8_t prefix_have_ = 0;
  std::size_t want_ = 0;       // announced length of the current message
  std::size_t have_ = 0;       // bytes of it in buf_
  std::size_t skip_ = 0;       // bytes still to drop after a cut message
  std::uint64_t messages_ = 0, oversized_ = 0, empty_ = 0;
  std::uint8_t buf_[kBufferBytes];
};

}  // namespace outpost::capture::proto
