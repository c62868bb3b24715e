// libFuzzer target: PacketDecoder (capture/decode/packet_decoder.h) and, through it, the
// FragmentReassembler.
//
// Input: byte 0 picks the link type from kLinkTypes (modulo its size); byte 1 advances packet
// time (low 7 bits, in units of 2 s, so the 30 s fragment timeout is crossed) and, with its top
// bit, says the frame was cut short (wire_len > caplen); the rest is the frame. It is copied into
// a heap block of exactly its length, so a read past it is an ASan report. One decoder with small
// reassembly bounds lives across inputs, so fragments of earlier inputs meet later ones and the
// eviction and timeout paths run.
//
// Every result is checked against the documented contract (views inside the frame or the
// reassembly buffer, payload inside the datagram, ip_count bounds, a reason for every drop) and
// every byte the view points to is read.
//
// Seeds: tests/fuzz/decode_seeds.py writes one file per corpus frame in this format.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "capture/decode/packet_decoder.h"

namespace {

using namespace outpost::capture;

// Keep in step with LINK_TYPES in tests/fuzz/decode_seeds.py.
constexpr int kLinkTypes[] = {1, 0, 108, 12, 14, 101, 228, 229, 9, 50, 104, 113, 276, 239, 192, 105, 127, 147};
constexpr std::size_t kLinkTypeCount = sizeof kLinkTypes / sizeof kLinkTypes[0];

PacketDecoder& decoder() {
  static PacketDecoder d([] {
    DecoderConfig c;
    c.max_fragment_datagrams = 8;
    c.max_fragment_bytes = 16 * 1024;
    return c;
  }());
  return d;
}

bool inside(const std::uint8_t* p, std::size_t n, const std::uint8_t* base, std::size_t size) {
  return p >= base && p <= base + size && n <= static_cast<std::size_t>(base + size - p);
}

volatile std::uint8_t sink;

void check(const PacketDecoder& d, DecodeStatus s, const PacketView& v, const std::uint8_t* frame,
           std::size_t caplen) {
  if (v.ip_count > PacketView::kMaxIpHeaders) std::abort();
  for (std::size_t i = 0; i < v.ip_count; ++i) {
    const auto f = v.ips[i].src.family;
    if ((f != 4 && f != 6) || v.ips[i].dst.family != f) std::abort();
  }
  switch (s) {
    case DecodeStatus::ok: {
      if (v.ip_count == 0 || v.l3 == nullptr) std::abort();
      if (v.ip_version != 4 && v.ip_version != 6) std::abort();
      const std::uint8_t* base = frame;
      std::size_t size = caplen;
      if (!inside(v.l3, 1, frame, caplen)) {
        base = d.reassembly_buffer();
        size = d.reassembly_capacity();
        if (!inside(v.l3, 1, base, size)) std::abort();
      }
      if (v.payload != nullptr) {
        if (!inside(v.payload, v.payload_len, base, size)) std::abort();
        if (v.payload < v.l3 || v.payload + v.payload_len > v.l3 + v.l3_len) std::abort();
        std::uint8_t x = 0;
        for (std::size_t i = 0; i < v.payload_len; ++i) x ^= v.payload[i];
        sink = x;
      } else if (v.l4_proto == 6 || v.l4_proto == 17) {
        std::abort();
      }
      // The IP header itself is readable up to the start of the payload.
      const std::uint8_t* header_end = v.payload != nullptr ? v.payload : v.l3 + 20;
      for (const std::uint8_t* p = v.l3; p < header_end && p < base + size; ++p) sink = *p;
      break;
    }
    case DecodeStatus::held:
      if (v.ip_count == 0) std::abort();
      break;
    case DecodeStatus::dropped:
      if (v.drop == DropReason::none || static_cast<std::size_t>(v.drop) >= kDropReasonCount) std::abort();
      break;
    case DecodeStatus::not_ip:
      break;
  }
  const DecoderCounters& c = d.counters();
  if (c.ok + c.not_ip + c.held + c.dropped != c.frames) std::abort();
  if (c.fragments.bytes_in_use > 16 * 1024 || c.fragments.in_progress > 8) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static TimeUs now = 1'000'000'000'000;
  if (size < 2) return 0;
  const int dlt = kLinkTypes[data[0] % kLinkTypeCount];
  now += TimeUs{data[1] & 0x7F} * 2'000'000;
  const bool cut = data[1] & 0x80;
  const std::size_t caplen = size - 2;
  std::unique_ptr<std::uint8_t[]> frame(new std::uint8_t[caplen == 0 ? 1 : caplen]);
  if (caplen != 0) std::memcpy(frame.get(), data + 2, caplen);
  const auto wire_len = static_cast<std::uint32_t>(caplen + (cut ? 100 : 0));
  PacketView v;
  PacketDecoder& d = decoder();
  const DecodeStatus s = d.decode(dlt, caplen == 0 ? nullptr : frame.get(), caplen, wire_len, now, v);
  check(d, s, v, frame.get(), caplen);
  return 0;
}
