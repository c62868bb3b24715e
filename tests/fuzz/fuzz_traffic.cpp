// libFuzzer target: the whole flow path, capture::TrafficObserver (capture/traffic_observer.h),
// fed with raw frames: decoder, fragment reassembly, flow table, DPI (nDPI in the nDPI build),
// the DNS/TLS/HTTP parsers, once-per-flow fingerprints, the DNS cache and the observation sink.
//
// Input:
//   byte 0: bits 0-4 pick the link type from kLinkTypes (modulo its size); bit 7 flushes the
//           observer (ends every flow) after the last frame.
//   then records: [flags+length: 2 bytes, big-endian][time step: 1 byte][length bytes: a frame]
//     length: low 14 bits. Flag 0x8000: the frame was cut short (wire_len = caplen + 100).
//     Flag 0x4000: flush the observer after this frame. A record longer than the rest of the
//     input is cut to what is left.
//     time step: low 6 bits times a unit picked by the top 2 bits (1 ms, 1 s, 1 min, 10 min),
//     so flow idle timeouts (up to 2 h 4 min) and the fragment timeout are crossed.
// Every frame sits in its own heap block of exactly its length, so a read past it is an ASan
// report.
//
// One observer with tiny bounds (flows, DPI states, parser pools, fingerprints, DNS cache,
// reassembly) lives across inputs, so every bound is hit and counted, flows of earlier inputs
// meet later ones, and eviction and timeout paths run. Time only moves forward across inputs.
// The sink reads every byte of every observation's strings and checks the fields the
// pipeline documents; after each input the counters must stay within the configured bounds.
//
// Seeds: tests/fuzz/traffic_seeds.py writes runs of consecutive corpus frames in this format.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "capture/traffic_observer.h"
#include "rules/observation.h"

namespace {

using namespace outpost;
using capture::TrafficObserver;
using capture::TrafficObserverConfig;

// Supported link types. Keep in step with LINK_TYPES in tests/fuzz/traffic_seeds.py.
constexpr int kLinkTypes[] = {1, 0, 108, 12, 14, 101, 228, 229, 9, 50, 104, 113, 276, 239, 192, 105, 127};
constexpr std::size_t kLinkTypeCount = sizeof kLinkTypes / sizeof kLinkTypes[0];

constexpr std::uint32_t kMaxFlows = 16;
constexpr std::uint32_t kMaxDpiStates = 4;
constexpr std::size_t kMaxFragmentDatagrams = 4;
constexpr std::size_t kMaxFragmentBytes = 8 * 1024;

constexpr rules::TimeUs kStepUnit[4] = {1'000, 1'000'000, 60'000'000, 600'000'000};

volatile std::uint8_t sink_byte;

struct TouchingSink final : capture::ObservationSink {
  std::uint64_t count = 0;
  rules::TimeUs now = 0;  // time of the latest frame given

  static void touch(std::string_view s) {
    std::uint8_t x = 0;
    for (char c : s) x ^= static_cast<std::uint8_t>(c);
    sink_byte = x;
  }
  static void check_address(const rules::IpAddress& a) {
    if (a.family != 0 && a.family != 4 && a.family != 6) std::abort();
  }

  void on_observation(const rules::Observation& o) override {
    ++count;
    if (static_cast<std::size_t>(o.kind) >= rules::kObservationKindCount) std::abort();
    if (static_cast<std::uint8_t>(o.direction) > static_cast<std::uint8_t>(rules::Direction::external))
      std::abort();
    if (static_cast<std::uint8_t>(o.device.kind) > static_cast<std::uint8_t>(rules::Device::Kind::ip))
      std::abort();
    if (o.value.empty()) std::abort();
    if (rules::observation_kind_name(o.kind).empty()) std::abort();
    touch(o.value);
    touch(o.context);
    touch(o.app_proto);
    check_address(o.local);
    check_address(o.remote);
    check_address(o.device.ip);
    // Observations carry the time of a frame already given.
    if (o.ts > now || o.ts <= 0) std::abort();
  }
};

struct Harness {
  TouchingSink sink;
  std::unique_ptr<TrafficObserver> observer;

  Harness() {
    TrafficObserverConfig c;
    c.decoder.max_fragment_datagrams = kMaxFragmentDatagrams;
    c.decoder.max_fragment_bytes = kMaxFragmentBytes;
    c.flows.max_flows = kMaxFlows;
    c.flows.hash_seed = 0x5eed;
    c.dpi.max_packets_per_flow = 8;
    c.dpi.max_flow_states = kMaxDpiStates;
    c.max_tls_handshakes = 2;
    c.max_http_streams = 2;
    c.max_dns_tcp_streams = 2;
    c.fingerprint_chunks = 8;
    c.max_fingerprint_chunks_per_flow = 2;
    c.dns_cache_entries = 8;
    observer = std::make_unique<TrafficObserver>(c, sink);
  }
};

Harness& harness() {
  // The DPI module costs megabytes and milliseconds: build the pipeline once.
  static Harness h;
  return h;
}

void check_bounds(const capture::TrafficStats& s) {
  if (s.flows.capacity != kMaxFlows || s.flows.active > kMaxFlows || s.flows.peak_active > kMaxFlows)
    std::abort();
  if (s.decoder.ok + s.decoder.not_ip + s.decoder.held + s.decoder.dropped != s.decoder.frames) std::abort();
  if (s.decoder.fragments.in_progress > kMaxFragmentDatagrams ||
      s.decoder.fragments.bytes_in_use > kMaxFragmentBytes)
    std::abort();
  if (s.frames != s.decoder.frames) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static rules::TimeUs now = 1'600'000'000'000'000;
  if (size < 1) return 0;
  Harness& h = harness();
  const int dlt = kLinkTypes[(data[0] & 0x1F) % kLinkTypeCount];
  const bool flush_at_end = (data[0] & 0x80) != 0;
  ++data;
  --size;

  while (size >= 3) {
    const std::uint16_t head = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
    const std::uint8_t step = data[2];
    data += 3;
    size -= 3;
    std::size_t len = head & 0x3FFFu;
    if (len > size) len = size;
    const bool cut = (head & 0x8000u) != 0;
    const bool flush = (head & 0x4000u) != 0;
    now += (step & 0x3F) * kStepUnit[step >> 6];
    h.sink.now = now;

    std::unique_ptr<std::uint8_t[]> frame(new std::uint8_t[len == 0 ? 1 : len]);
    if (len != 0) std::memcpy(frame.get(), data, len);
    data += len;
    size -= len;
    const auto wire_len = static_cast<std::uint32_t>(len + (cut ? 100 : 0));
    h.observer->process(dlt, len == 0 ? nullptr : frame.get(), len, wire_len, now);
    if (flush) h.observer->flush();
  }
  if (flush_at_end) h.observer->flush();
  check_bounds(h.observer->stats());
  return 0;
}
