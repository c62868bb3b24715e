#pragma once
// TrafficObserver: the capture pipeline. Frames in, Observations out:
//
//   frame -> PacketDecoder -> FlowTable -> DpiClassifier (until done)
//                                       -> our parsers (DNS, TLS and DTLS handshakes, QUIC
//                                          Initials, HTTP heads)
//                                       -> Observation -> ObservationSink
//
// Pure core: it takes frames and their capture time and reads no clock, opens no file and no
// socket (PacketSource is the adapter in front of it), so the whole pipeline is testable from
// byte arrays and capture files.
//
// Every distinct (kind, value, flow) is emitted once: a per-flow list of value fingerprints
// (64-bit, from a fixed pool) remembers what was emitted. Parser state (TLS handshakes, HTTP
// request streams, DNS over TCP) is attached to a flow from fixed pools only while needed.
// Every bound (flows, pools, fingerprints, DNS cache) is counted in TrafficStats when hit.
// Per packet: no allocation, no exception, no logging.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/decode/packet_decoder.h"
#include "capture/dpi/dpi_classifier.h"
#include "capture/flow/flow_table.h"
#include "capture/lan_prefixes.h"
#include "rules/observation.h"

namespace outpost::capture {

class ObservationSink {
 public:
  virtual ~ObservationSink() = default;
  // `observation` and the strings it points to are valid only during the call.
  virtual void on_observation(const rules::Observation& observation) = 0;
};

struct TrafficObserverConfig {
  DecoderConfig decoder;
  FlowTableConfig flows;        // max_flows / memory budget / timeouts / hash seed
  DpiConfig dpi;
  std::vector<Prefix> lan;      // empty: LanPrefixes::defaults()
  // Which observation kinds to produce (all by default). The agent switches off kinds that no
  // loaded indicator can match unless --observations asks for everything; parsers whose kinds
  // are all off are not run at all.
  std::array<bool, rules::kObservationKindCount> wanted;
  // x509_sha1 observations carry their certificate's facts (serial, names, validity, SHA-256:
  // the DER is walked and hashed twice); off when no indicator compares more than the SHA-1.
  bool certificate_facts = true;
  std::uint32_t max_tls_handshakes = 64;   // concurrent TLS handshakes parsed (~17 KB each)
  std::uint32_t max_http_streams = 128;    // concurrent HTTP request streams (~4.3 KB each)
  std::uint32_t max_dns_tcp_streams = 32;  // concurrent DNS-over-TCP streams (~8.5 KB each)
  std::uint32_t max_quic_handshakes = 32;  // concurrent QUIC Initial exchanges (~8.8 KB each)
  std::uint32_t max_dtls_handshakes = 8;   // concurrent DTLS handshakes (~8.8 KB each)
  std::uint32_t fingerprint_chunks = 16384;  // 7 remembered values per 64-byte chunk
  std::uint32_t max_fingerprint_chunks_per_flow = 64;
  std::uint32_t dns_cache_entries = 4096;  // address -> name, for dst_ip context

  TrafficObserverConfig() { wanted.fill(true); }
};

struct TrafficStats {
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;                 // captured bytes
  DecoderCounters decoder;
  FlowTableStats flows;
  DpiStats dpi;
  std::array<std::uint64_t, rules::kObservationKindCount> observations{};
  std::uint64_t tls_pool_exhausted = 0;    // TLS flows not parsed: every handshake slot busy
  std::uint64_t http_pool_exhausted = 0;
  std::uint64_t dns_tcp_pool_exhausted = 0;
  std::uint64_t quic_pool_exhausted = 0;
  std::uint64_t dtls_pool_exhausted = 0;
  std::uint64_t quic_handshakes = 0;       // QUIC flows whose Initials were read
  std::uint64_t dtls_handshakes = 0;
  std::uint64_t tls_handshakes = 0;        // TLS connections whose handshake was parsed
  std::uint64_t tls_gaps = 0;              // handshakes abandoned on a sequence gap
  std::uint64_t tls_errors = 0;            // malformed or out-of-scope handshakes
  std::uint64_t x509_malformed = 0;        // certificates (TLS, DTLS) whose DER facts are partly unknown:
  std::uint64_t x509_too_long = 0;         //   not RFC 5280 DER / fields over the reader's store
  std::uint64_t http_requests = 0;
  std::uint64_t dns_messages = 0;
  std::uint64_t dns_errors = 0;            // malformed DNS messages (partially reported)
  std::uint64_t fingerprints_untracked = 0;  // values emitted without being remembered (bounds)
  std::uint64_t dns_cache_evictions = 0;
  std::size_t memory_reserved_bytes = 0;   // allocated at construction (pools, tables)
};

class TrafficObserver final : private FlowEndListener {
 public:
  // Throws std::runtime_error if the DPI engine cannot be initialised.
  TrafficObserver(const TrafficObserverConfig& config, ObservationSink& sink);
  ~TrafficObserver();
  TrafficObserver(const TrafficObserver&) = delete;
  TrafficObserver& operator=(const TrafficObserver&) = delete;

  // One captured frame of link type `dlt`.
  void process(int dlt, const std::uint8_t* frame, std::size_t caplen, std::uint32_t wire_len,
               rules::TimeUs ts) noexcept;
  // Ends every flow (end of a capture file, shutdown).
  void flush() noexcept;

  TrafficStats stats() const;
  static bool supports_link(int dlt) noexcept { return PacketDecoder::supports_link(dlt); }

 private:
  struct Impl;
  void on_flow_end(const FlowRecord& flow, FlowIndex index, FlowEndReason reason) override;
  std::unique_ptr<Impl> impl_;
};

}  // namespace outpost::capture
