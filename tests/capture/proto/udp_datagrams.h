#pragma once
// Test-only: the UDP payloads of a capture, decoded by the real capture::PacketDecoder (so
// PPP, tunnels and IP fragments are handled as the pipeline handles them), each with its
// 1-based frame number and its endpoints.

#include <cstdint>
#include <string>
#include <vector>

namespace outpost::test::proto_support {

struct UdpDatagram {
  std::uint32_t frame = 0;   // 1-based, as tshark numbers frames
  std::string src, dst;      // "addr:port" ("[v6]:port")
  std::uint16_t src_port = 0, dst_port = 0;
  std::vector<std::uint8_t> payload;

  // Endpoints without direction, to group both directions of one flow.
  std::string flow() const { return src < dst ? src + "|" + dst : dst + "|" + src; }
};

// Empty vector and a message in `error` if the file cannot be opened.
std::vector<UdpDatagram> read_udp_datagrams(const std::string& path, std::string* error = nullptr);

}  // namespace outpost::test::proto_support
