#include "capture/proto/dns_tcp_framer.h"

#include <cstring>

namespace outpost::capture::proto {

void DnsTcpFramer::feed(const std::uint8_t* data, std::size_t len) noexcept {
  in_ = data;
  in_len_ = data != nullptr ? len : 0;
}

void DnsTcpFramer::reset() noexcept {
  in_ = nullptr;
  in_len_ = 0;
  state_ = State::length;
  prefix_have_ = 0;
  want_ = have_ = skip_ = 0;
}

bool DnsTcpFramer::next(Message& out) noexcept {
  while (in_len_ != 0) {
    switch (state_) {
      case State::skip: {
        const std::size_t n = skip_ < in_len_ ? skip_ : in_len_;
        in_ += n;
        in_len_ -= n;
        skip_ -= n;
        if (skip_ == 0) state_ = State::length;
        break;
      }
      case State::length: {
        prefix_[prefix_have_++] = *in_++;
        --in_len_;
        if (prefix_have_ < 2) break;
        prefix_have_ = 0;
        want_ = static_cast<std::size_t>((prefix_[0] << 8) | prefix_[1]);
        have_ = 0;
        if (want_ == 0) {
          ++empty_;
          break;
        }
        // Zero-copy when the whole message is inside this segment.
        if (in_len_ >= want_) {
          out = Message{in_, want_, want_, false};
          in_ += want_;
          in_len_ -= want_;
          ++messages_;
          return true;
        }
        state_ = State::body;
        break;
      }
      case State::body: {
        const std::size_t room = (want_ < kBufferBytes ? want_ : kBufferBytes) - have_;
        const std::size_t n = room < in_len_ ? room : in_len_;
        std::memcpy(buf_ + have_, in_, n);
        have_ += n;
        in_ += n;
        in_len_ -= n;
        if (have_ < want_ && have_ < kBufferBytes) break;
        ++messages_;
        out = Message{buf_, have_, want_, have_ < want_};
        if (have_ < want_) {
          ++oversized_;
          skip_ = want_ - have_;
          state_ = State::skip;
        } else {
          state_ = State::length;
        }
        return true;
      }
    }
  }
  return false;
}

}  // namespace outpost::capture::proto
