#pragma once
// FlowTable: bidirectional flows keyed by FlowKey (5-tuple + VLAN), with a fixed capacity
// chosen at construction. Every record, hash bucket and list link is allocated in the
// constructor; tracking a packet, creating, expiring and evicting flows never allocate.
//
// Time is the packets' time (TimeUs): the table never reads a clock, so replaying a capture
// expires flows exactly as the live capture would.
//
// Per-flow state of the caller: the table hands out a FlowIndex in [0, capacity()) that stays
// the same for the whole life of a flow. The caller keeps its own per-flow state in a parallel
// array of capacity() elements, (re)initialises element i when track() reports `created`, and
// releases it in the FlowEndListener. This keeps the table generic and the caller's state typed.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "capture/decode/packet.h"
#include "capture/flow/flow_key.h"
#include "capture/reserved_array.h"

namespace outpost::capture {

using FlowIndex = std::uint32_t;
inline constexpr FlowIndex kNoFlow = 0xFFFFFFFFu;

// Which idle timeout applies to a flow; re-evaluated on every packet. Fixed width, one name
// table (flow_timeout_class_name).
enum class FlowTimeoutClass : std::uint8_t {
  tcp_handshake = 0,  // only SYNs from the initiator so far (no answer): half-open / scans / floods
  tcp_established,    // anything else on TCP until it closes
  tcp_closed,         // RST seen, or FIN seen in both directions
  udp,
  dns,                // UDP with port 53 on either side: one query, one answer
  icmp,               // ICMP and ICMPv6
  other,              // any other IP protocol
  count_
};
inline constexpr std::size_t kFlowTimeoutClassCount =
    static_cast<std::size_t>(FlowTimeoutClass::count_);
std::string_view flow_timeout_class_name(FlowTimeoutClass c) noexcept;

// Why a flow ended. Fixed width, one name table (flow_end_reason_name).
enum class FlowEndReason : std::uint8_t {
  idle_timeout = 0,  // idle longer than its class's timeout (found by sweep() or by track())
  evicted,           // the table was full and a new flow needed the slot
  flushed,           // flush(): end of a capture file or shutdown
  tcp_reuse,         // a new SYN reused the 5-tuple of a closed TCP flow
  count_
};
inline constexpr std::size_t kFlowEndReasonCount = static_cast<std::size_t>(FlowEndReason::count_);
std::string_view flow_end_reason_name(FlowEndReason r) noexcept;

// Index into FlowRecord's per-direction arrays.
inline constexpr std::size_t kFromInitiator = 0;
inline constexpr std::size_t kFromResponder = 1;

struct FlowRecord {
  FlowKey key;
  std::uint64_t id = 0;              // unique within the run, starts at 1
  TimeUs first_ts = 0;
  TimeUs last_ts = 0;                // newest packet time seen (never goes backwards)
  std::uint64_t bytes[2] = {};       // IP bytes (PacketView::l3_len) per direction
  std::uint32_t packets[2] = {};     // per direction (saturates)
  std::uint8_t tcp_flags[2] = {};    // OR of the TCP flags seen per direction
  std::uint8_t initiator = 0;        // which key endpoint (0 or 1) initiated the flow
  FlowTimeoutClass timeout_class = FlowTimeoutClass::other;

  FlowEndpoint initiator_endpoint() const noexcept { return key.endpoint(initiator); }
  FlowEndpoint responder_endpoint() const noexcept { return key.endpoint(initiator ^ 1u); }
};

// Idle timeouts per class, in microseconds of packet time.
struct FlowTimeouts {
  static constexpr TimeUs kSecond = 1000000;
  // Zeek waits 5 s for an answered attempt (tcp_attempt_delay); a little more for slow links.
  TimeUs tcp_handshake = 30 * kSecond;
  // RFC 5382 section 5 REQ-5: an established TCP flow may idle for 2 h 4 min (nDPId's default).
  TimeUs tcp_established = 7440 * kSecond;
  // After RST or FIN both ways only stray retransmissions follow (Zeek tcp_close_delay is 5 s).
  TimeUs tcp_closed = 10 * kSecond;
  // RFC 4787 section 4.3 REQ-5: UDP mappings last at least 2 minutes.
  TimeUs udp = 120 * kSecond;
  // A DNS exchange is over in well under a second; resolvers retry within 5 s.
  TimeUs dns = 15 * kSecond;
  // Zeek's icmp_inactivity_timeout.
  TimeUs icmp = 60 * kSecond;
  TimeUs other = 120 * kSecond;

  TimeUs of(FlowTimeoutClass c) const noexcept;
};

struct FlowTableConfig {
  // Number of flows. 0: derived from memory_budget_bytes (see FlowTable::capacity_for_budget).
  std::uint32_t max_flows = 0;
  // Budget for the table plus the caller's parallel per-flow state.
  std::size_t memory_budget_bytes = 8u << 20;
  // sizeof the caller's per-flow element, so the budget covers both arrays.
  std::size_t caller_bytes_per_flow = 0;
  // Seed of the keyed bucket hash; the agent passes a random value per run.
  std::uint64_t hash_seed = 0;
  FlowTimeouts timeouts;
  // When full, evict the oldest flow that never got past a SYN before the globally least
  // recently used one, so a SYN flood recycles its own entries and established flows survive.
  bool evict_handshakes_first = true;
};

struct FlowTableStats {
  std::uint32_t capacity = 0;
  std::uint32_t active = 0;
  std::uint32_t peak_active = 0;
  std::uint64_t lookups = 0;      // track() calls on IP packets
  std::uint64_t hits = 0;         // lookups that found a live flow
  std::uint64_t created = 0;
  std::uint64_t untrackable = 0;  // track() calls without an IP layer
  std::uint64_t ended[kFlowEndReasonCount] = {};
  std::uint64_t expired[kFlowTimeoutClassCount] = {};  // idle_timeout ends, per class
  std::uint64_t evicted[kFlowTimeoutClassCount] = {};  // evicted ends, per class of the victim
  std::size_t memory_reserved_bytes = 0;  // allocated at construction, constant afterwards
  std::size_t memory_active_bytes = 0;    // the share of it held by live flows
};

// Called once for every flow that ends, before its index can be reused.
class FlowEndListener {
 public:
  virtual void on_flow_end(const FlowRecord& flow, FlowIndex index, FlowEndReason reason) = 0;

 protected:
  ~FlowEndListener() = default;
};

// Result of track(): the packet's flow, and the packet's direction relative to the initiator.
struct FlowUpdate {
  FlowRecord* flow = nullptr;  // null only when the packet has no IP layer
  FlowIndex index = kNoFlow;
  bool from_initiator = true;
  bool created = false;        // a new flow started with this packet
};

class FlowTable {
 public:
  // Bytes the table itself needs per flow (record, links, hash buckets at worst-case load).
  static std::size_t table_bytes_per_flow() noexcept;
  // Flows that fit in `budget` together with the caller's per-flow state (at least 1).
  static std::uint32_t capacity_for_budget(std::size_t budget,
                                           std::size_t caller_bytes_per_flow) noexcept;

  explicit FlowTable(const FlowTableConfig& config);
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  void set_end_listener(FlowEndListener* listener) noexcept { listener_ = listener; }

  // Finds or creates the flow of a decoded packet (DecodeStatus::ok; a held fragment has no
  // transport header yet) and accounts the packet to it (times,
  // counters, TCP flags, timeout class, recency). May end other flows first (an expired flow
  // with the same key, a closed TCP flow whose tuple a new SYN reuses, or the eviction victim
  // when full); the listener hears of each before track() returns.
  FlowUpdate track(const PacketView& packet) noexcept;

  // Looks a flow up without touching it. Null if absent.
  const FlowRecord* find(const FlowKey& key) const noexcept;
  FlowIndex index_of(const FlowKey& key) const noexcept;
  const FlowRecord& record(FlowIndex index) const noexcept { return records_[index]; }
  bool is_live(FlowIndex index) const noexcept;

  // Ends flows idle for longer than their class's timeout at packet time `now`, oldest first,
  // examining at most `max_visits` flows. Returns how many ended. Run it every so often (e.g.
  // each second of packet time) so expiry work is spread out.
  std::size_t sweep(TimeUs now, std::size_t max_visits) noexcept;

  // Ends every live flow with FlowEndReason::flushed (oldest first). Returns how many ended.
  std::size_t flush() noexcept;

  std::uint32_t capacity() const noexcept { return capacity_; }
  std::uint32_t active() const noexcept { return stats_.active; }
  const FlowTimeouts& timeouts() const noexcept { return config_.timeouts; }
  FlowTableStats stats() const noexcept;

 private:
  struct Links {
    FlowIndex hash_next;
    FlowIndex lru_prev;   // towards more recent
    FlowIndex lru_next;   // towards older
  };
  struct LruList {
    FlowIndex head = kNoFlow;  // most recent
    FlowIndex tail = kNoFlow;  // least recent
  };

  std::size_t bucket_of(const FlowKey& key) const noexcept;
  FlowIndex lookup(const FlowKey& key, std::size_t bucket) const noexcept;
  void lru_unlink(FlowIndex i) noexcept;
  void lru_push_front(FlowIndex i) noexcept;
  void end_flow(FlowIndex i, FlowEndReason reason) noexcept;
  FlowIndex choose_victim() const noexcept;
  FlowIndex allocate(TimeUs now) noexcept;
  bool idle_expired(const FlowRecord& r, TimeUs now) const noexcept;

  FlowTableConfig config_;
  std::uint32_t capacity_;
  // Records, links and live flags are committed by the kernel only as slots are first used
  // (ReservedArray), so resident memory follows the flows seen, up to the cap.
  ReservedArray<FlowRecord> records_;
  ReservedArray<Links> links_;
  std::vector<FlowIndex> buckets_;
  ReservedArray<std::uint8_t> live_;
  FlowIndex never_used_ = 0;  // slots [never_used_, capacity_) have never held a flow
  std::size_t bucket_mask_;
  LruList lru_[kFlowTimeoutClassCount];
  FlowIndex free_head_ = kNoFlow;
  std::uint64_t next_id_ = 1;
  std::size_t sweep_class_ = 0;
  FlowEndListener* listener_ = nullptr;
  FlowTableStats stats_;
};

}  // namespace outpost::capture
