#include "capture_segments.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "support/corpus.h"

namespace outpost::test::proto_support {

namespace {

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

std::string endpoint(int af, const std::uint8_t* addr, std::uint16_t port) {
  char buf[64];
  inet_ntop(af, addr, buf, sizeof buf);
  return af == AF_INET6 ? "[" + std::string(buf) + "]:" + std::to_string(port)
                        : std::string(buf) + ":" + std::to_string(port);
}

bool decode_l4(std::uint8_t proto, int af, const std::uint8_t* src, const std::uint8_t* dst,
               const std::uint8_t* p, std::size_t n, Segment& seg) {
  if (proto == 6) {
    if (n < 20) return false;
    const std::size_t off = (p[12] >> 4) * 4u;
    if (off < 20 || off > n) return false;
    seg.seq = be32(p + 4);
    seg.tcp_flags = p[13];
    seg.payload.assign(p + off, p + n);
  } else if (proto == 17) {
    if (n < 8) return false;
    std::size_t ulen = be16(p + 4);
    if (ulen < 8 || ulen > n) ulen = n;
    seg.payload.assign(p + 8, p + ulen);
  } else {
    return false;
  }
  seg.l4 = proto;
  seg.src = endpoint(af, src, be16(p));
  seg.dst = endpoint(af, dst, be16(p + 2));
  return true;
}

bool decode_ip(const std::uint8_t* p, std::size_t n, Segment& seg) {
  if (n < 1) return false;
  if ((p[0] >> 4) == 4) {
    if (n < 20) return false;
    const std::size_t ihl = (p[0] & 0x0f) * 4u;
    std::size_t total = be16(p + 2);
    if (ihl < 20 || total < ihl) return false;
    if (total > n) total = n;
    const std::uint16_t frag = be16(p + 6);
    // Later fragments are skipped; a first fragment is decoded as far as it goes, the way
    // tshark dissects "unreassembled" packets.
    if ((frag & 0x1fff) != 0) return false;
    return decode_l4(p[9], AF_INET, p + 12, p + 16, p + ihl, total - ihl, seg);
  }
  if ((p[0] >> 4) == 6) {
    if (n < 40) return false;
    std::size_t total = 40u + be16(p + 4);
    if (total > n) total = n;
    std::uint8_t next = p[6];
    std::size_t off = 40;
    for (int i = 0; i < 8; ++i) {
      if (next == 0 || next == 43 || next == 60) {
        if (off + 8 > total) return false;
        const std::uint8_t nn = p[off];
        off += (p[off + 1] + 1u) * 8u;
        next = nn;
      } else if (next == 44) {
        if (off + 8 > total || (be16(p + off + 2) & 0xfff8) != 0) return false;
        next = p[off];
        off += 8;
      } else {
        break;
      }
    }
    if (off > total) return false;
    return decode_l4(next, AF_INET6, p + 8, p + 24, p + off, total - off, seg);
  }
  return false;
}

bool decode_ethertype(std::uint16_t type, const std::uint8_t* p, std::size_t n, Segment& seg) {
  for (int depth = 0; depth < 8; ++depth) {
    if (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
      if (n < 4) return false;
      type = be16(p + 2);
      p += 4;
      n -= 4;
    } else if (type == 0x8864) {  // PPPoE session: 6-byte header, then the PPP protocol
      if (n < 8) return false;
      const std::uint16_t ppp = be16(p + 6);
      p += 8;
      n -= 8;
      if (ppp == 0x0021 || ppp == 0x0057) return decode_ip(p, n, seg);
      return false;
    } else if (type == 0x8847) {  // MPLS: pop labels to the bottom of stack, then guess IP
      for (;;) {
        if (n < 4) return false;
        const bool bottom = (p[2] & 0x01) != 0;
        p += 4;
        n -= 4;
        if (bottom) break;
      }
      return decode_ip(p, n, seg);
    } else if (type == 0x0800 || type == 0x86dd) {
      return decode_ip(p, n, seg);
    } else {
      return false;
    }
  }
  return false;
}

bool decode_frame(int dlt, const std::uint8_t* p, std::size_t n, Segment& seg) {
  if (dlt == DLT_RAW || dlt == 12 || dlt == 14 || dlt == 101) return decode_ip(p, n, seg);
  switch (dlt) {
    case DLT_EN10MB:
      if (n < 14) return false;
      return decode_ethertype(be16(p + 12), p + 14, n - 14, seg);
    case DLT_NULL:
    case DLT_LOOP:
      if (n < 4) return false;
      return decode_ip(p + 4, n - 4, seg);
    case DLT_LINUX_SLL:
      if (n < 16) return false;
      return decode_ethertype(be16(p + 14), p + 16, n - 16, seg);
    case 276:  // DLT_LINUX_SLL2
      if (n < 20) return false;
      return decode_ethertype(be16(p), p + 20, n - 20, seg);
    default:
      return false;
  }
}

}  // namespace

std::vector<Segment> read_segments(const std::string& path, std::string* error) {
  std::vector<Segment> out;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pc = pcap_open_offline(path.c_str(), errbuf);
  if (pc == nullptr) {
    if (error) *error = errbuf;
    return out;
  }
  const int dlt = pcap_datalink(pc);
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  std::uint32_t frame = 0;
  while (pcap_next_ex(pc, &hdr, &data) == 1) {
    ++frame;
    Segment seg;
    seg.frame = frame;
    if (decode_frame(dlt, data, hdr->caplen, seg)) out.push_back(std::move(seg));
  }
  pcap_close(pc);
  return out;
}

std::map<std::string, std::vector<const Segment*>> tcp_directions(const std::vector<Segment>& all) {
  std::map<std::string, std::vector<const Segment*>> out;
  for (const Segment& s : all)
    if (s.l4 == 6) out[s.direction()].push_back(&s);
  return out;
}

}  // namespace outpost::test::proto_support
