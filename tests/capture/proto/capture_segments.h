#pragma once
// Test-only: reads a capture with libpcap and returns its TCP segments and UDP datagrams from
// plain Ethernet (VLAN, QinQ, PPPoE, MPLS) / NULL / raw IP / Linux SLL / SLL2 frames over
// IPv4 or IPv6. No tunnels, no IP reassembly (fragments are skipped). This is a small
// stand-in so the protocol parser tests do not depend on capture/decode.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

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

// Decodes a tshark-style escaped DNS text (our \ddd, \. and \\ escapes) back to raw bytes.
std::string unescape_dns_text(const std::string& text);
// Replaces every byte that is not part of a valid UTF-8 sequence with U+FFFD, the way the
// truth files (tshark JSON output) show non-UTF-8 names.
std::string utf8_sanitize(const std::string& raw);

// File names of all corpus captures (pcap/MANIFEST.tsv, first column).
std::vector<std::string> corpus_captures();

// Values of one kind in a truth TSV (../shared/corpus/truth/<capture>.tsv), in file order.
std::vector<std::string> truth_values(const std::string& capture, const std::string& kind);

}  // namespace outpost::test::proto_support
