#pragma once
// ByteView: a view of bytes owned by someone else (a message body, a parser's buffer), valid as
// long as its owner says. Shared by the TLS hello, QUIC and X.509 parsers.

#include <cstddef>
#include <cstdint>

namespace outpost::capture::proto {

struct ByteView {
  const std::uint8_t* data = nullptr;
  std::size_t len = 0;
};

}  // namespace outpost::capture::proto
