#pragma once
// Test-only: reads a capture with libpcap and returns its TCP segments and UDP datagrams from
// plain Ethernet (VLAN, QinQ, PPPoE, MPLS) / NULL / raw IP / Linux SLL / SLL2 frames over
// IPv4 or IPv6. No tunnels, no IP reassembly (fragments are skipped). This is a small
// stand-in so the protocol parser tests do not depend on capture/decode.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "support/truth.h"

namespace outpost::test::proto_support {

struct Segment {
  std::uint32_t frame = 0;        // 1-based, as tshark numbers frames
  std::uint8_t l4 = 0;            // 6 TCP, 17 UDP
  std::string src, dst;           // "addr:port" ("[v6]:port")
  std::uint32_t seq = 0;          // TCP only
  std::uint8_t tcp_flags = 0;
  std::vector<std::uint8_t> payload;

  bool syn() const { return (tcp_flags & 0x02) != 0; }
  std::string direction() const { return src + ">" + dst; }
};

// Empty vector and a message in `error` if the file cannot be opened.
std::vector<Segment> read_segments(const std::string& path, std::string* error = nullptr);

// The TCP segments of each direction ("src>dst"), in capture order.
std::map<std::string, std::vector<const Segment*>> tcp_directions(const std::vector<Segment>& all);

}  // namespace outpost::test::proto_support
