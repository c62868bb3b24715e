#include "capture/flow/flow_table.h"

#include <limits>

namespace outpost::capture {

namespace {

constexpr std::string_view kTimeoutClassNames[kFlowTimeoutClassCount] = {
    "tcp_handshake", "tcp_established", "tcp_closed", "udp", "dns", "icmp", "other",
};
constexpr std::string_view kEndReasonNames[kFlowEndReasonCount] = {
    "idle_timeout", "evicted", "flushed", "tcp_reuse",
};

// TCP header flag bits (RFC 9293 section 3.1, RFC 3168 for ECE/CWR).
constexpr std::uint8_t kFin = 0x01;
constexpr std::uint8_t kSyn = 0x02;
constexpr std::uint8_t kRst = 0x04;
constexpr std::uint8_t kAck = 0x10;
constexpr std::uint8_t kEce = 0x40;
constexpr std::uint8_t kCwr = 0x80;

constexpr std::uint8_t kProtoIcmp = 1;
constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
constexpr std::uint8_t kProtoIcmpv6 = 58;
constexpr std::uint16_t kDnsPort = 53;

// Indices are 32-bit with one sentinel; keep well inside that.
constexpr std::uint32_t kMaxCapacity = 1u << 30;

FlowTimeoutClass classify(const FlowRecord& r) noexcept {
  switch (r.key.l4_proto) {
    case kProtoTcp: {
      const std::uint8_t both = r.tcp_flags[0] | r.tcp_flags[1];
      if ((both & kRst) != 0) return FlowTimeoutClass::tcp_closed;
      if ((r.tcp_flags[kFromInitiator] & kFin) != 0 && (r.tcp_flags[kFromResponder] & kFin) != 0)
        return FlowTimeoutClass::tcp_closed;
      const std::uint8_t beyond_syn = static_cast<std::uint8_t>(~(kSyn | kEce | kCwr));
      if (r.packets[kFromResponder] == 0 && (r.tcp_flags[kFromInitiator] & beyond_syn) == 0)
        return FlowTimeoutClass::tcp_handshake;
      return FlowTimeoutClass::tcp_established;
    }
    case kProtoUdp:
      return (r.key.port[0] == kDnsPort || r.key.port[1] == kDnsPort) ? FlowTimeoutClass::dns
                                                                       : FlowTimeoutClass::udp;
    case kProtoIcmp:
    case kProtoIcmpv6:
      return FlowTimeoutClass::icmp;
    default:
      return FlowTimeoutClass::other;
  }
}

// Whether the first packet seen of a flow was sent by the responder: a capture that starts
// mid-conversation. A SYN-ACK answers a SYN; otherwise (no bare SYN) a packet from a
// well-known port (< 1024, RFC 6335 section 6 system ports) to an ephemeral one is a reply.
bool receiver_initiated(const PacketView& p) noexcept {
  if (p.l4_proto == kProtoTcp) {
    const std::uint8_t syn_ack = p.tcp_flags & (kSyn | kAck);
    if (syn_ack == kSyn) return false;
    if (syn_ack == (kSyn | kAck)) return true;
  } else if (p.l4_proto != kProtoUdp) {
    return false;
  }
  return p.src_port < 1024 && p.dst_port >= 1024;
}

std::size_t next_power_of_two(std::size_t n) noexcept {
  std::size_t p = 16;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

std::string_view flow_timeout_class_name(FlowTimeoutClass c) noexcept {
  const auto i = static_cast<std::size_t>(c);
  return i < kFlowTimeoutClassCount ? kTimeoutClassNames[i] : std::string_view("unknown");
}

std::string_view flow_end_reason_name(FlowEndReason r) noexcept {
  const auto i = static_cast<std::size_t>(r);
  return i < kFlowEndReasonCount ? kEndReasonNames[i] : std::string_view("unknown");
}

TimeUs FlowTimeouts::of(FlowTimeoutClass c) const noexcept {
  switch (c) {
    case FlowTimeoutClass::tcp_handshake: return tcp_handshake;
    case FlowTimeoutClass::tcp_established: return tcp_established;
    case FlowTimeoutClass::tcp_closed: return tcp_closed;
    case FlowTimeoutClass::udp: return udp;
    case FlowTimeoutClass::dns: return dns;
    case FlowTimeoutClass::icmp: return icmp;
    case FlowTimeoutClass::other:
    case FlowTimeoutClass::count_: break;
  }
  return other;
}

std::size_t FlowTable::table_bytes_per_flow() noexcept {
  // Buckets are the next power of two above the capacity: at most two per flow.
  return sizeof(FlowRecord) + sizeof(Links) + sizeof(std::uint8_t) + 2 * sizeof(FlowIndex);
}

std::uint32_t FlowTable::capacity_for_budget(std::size_t budget,
                                             std::size_t caller_bytes_per_flow) noexcept {
  const std::size_t per_flow = table_bytes_per_flow() + caller_bytes_per_flow;
  const std::size_t n = budget / per_flow;
  if (n < 1) return 1;
  if (n > kMaxCapacity) return kMaxCapacity;
  return static_cast<std::uint32_t>(n);
}

FlowTable::FlowTable(const FlowTableConfig& config)
    : config_(config),
      capacity_(config.max_flows != 0
                    ? (config.max_flows > kMaxCapacity ? kMaxCapacity : config.max_flows)
                    : capacity_for_budget(config.memory_budget_bytes, config.caller_bytes_per_flow)),
      records_(capacity_),
      links_(capacity_),
      buckets_(next_power_of_two(capacity_), kNoFlow),
      live_(capacity_),
      bucket_mask_(buckets_.size() - 1) {
  stats_.capacity = capacity_;
}

std::size_t FlowTable::bucket_of(const FlowKey& key) const noexcept {
  return static_cast<std::size_t>(flow_key_hash(key, config_.hash_seed)) & bucket_mask_;
}

FlowIndex FlowTable::lookup(const FlowKey& key, std::size_t bucket) const noexcept {
  for (FlowIndex i = buckets_[bucket]; i != kNoFlow; i = links_[i].hash_next) {
    if (records_[i].key == key) return i;
  }
  return kNoFlow;
}

const FlowRecord* FlowTable::find(const FlowKey& key) const noexcept {
  const FlowIndex i = index_of(key);
  return i == kNoFlow ? nullptr : &records_[i];
}

FlowIndex FlowTable::index_of(const FlowKey& key) const noexcept {
  return lookup(key, bucket_of(key));
}

bool FlowTable::is_live(FlowIndex index) const noexcept {
  return index < capacity_ && live_[index] != 0;
}

void FlowTable::lru_unlink(FlowIndex i) noexcept {
  LruList& list = lru_[static_cast<std::size_t>(records_[i].timeout_class)];
  Links& l = links_[i];
  if (l.lru_prev != kNoFlow) links_[l.lru_prev].lru_next = l.lru_next; else list.head = l.lru_next;
  if (l.lru_next != kNoFlow) links_[l.lru_next].lru_prev = l.lru_prev; else list.tail = l.lru_prev;
  l.lru_prev = l.lru_next = kNoFlow;
}

void FlowTable::lru_push_front(FlowIndex i) noexcept {
  LruList& list = lru_[static_cast<std::size_t>(records_[i].timeout_class)];
  Links& l = links_[i];
  l.lru_prev = kNoFlow;
  l.lru_next = list.head;
  if (list.head != kNoFlow) links_[list.head].lru_prev = i; else list.tail = i;
  list.head = i;
}

bool FlowTable::idle_expired(const FlowRecord& r, TimeUs now) const noexcept {
  return now - r.last_ts > config_.timeouts.of(r.timeout_class);
}

void FlowTable::end_flow(FlowIndex i, FlowEndReason reason) noexcept {
  const FlowRecord& r = records_[i];
  if (listener_ != nullptr) listener_->on_flow_end(r, i, reason);

  const auto cls = static_cast<std::size_t>(r.timeout_class);
  ++stats_.ended[static_cast<std::size_t>(reason)];
  if (reason == FlowEndReason::idle_timeout) ++stats_.expired[cls];
  if (reason == FlowEndReason::evicted) ++stats_.evicted[cls];

  FlowIndex* link = &buckets_[bucket_of(r.key)];
  while (*link != kNoFlow && *link != i) link = &links_[*link].hash_next;
  if (*link == i) *link = links_[i].hash_next;

  lru_unlink(i);
  live_[i] = 0;
  --stats_.active;
  links_[i].hash_next = free_head_;
  free_head_ = i;
}

FlowIndex FlowTable::choose_victim() const noexcept {
  if (config_.evict_handshakes_first) {
    const FlowIndex t = lru_[static_cast<std::size_t>(FlowTimeoutClass::tcp_handshake)].tail;
    if (t != kNoFlow) return t;
  }
  FlowIndex victim = kNoFlow;
  for (const LruList& list : lru_) {
    if (list.tail == kNoFlow) continue;
    if (victim == kNoFlow || records_[list.tail].last_ts < records_[victim].last_ts) victim = list.tail;
  }
  return victim;
}

FlowIndex FlowTable::allocate(TimeUs now) noexcept {
  // Reuse freed slots first, then slots never touched, and evict only when all are live.
  if (free_head_ == kNoFlow && never_used_ < capacity_) return never_used_++;
  if (free_head_ == kNoFlow) {
    const FlowIndex victim = choose_victim();
    // A victim that had already outlived its timeout expired; it was not pushed out.
    end_flow(victim, idle_expired(records_[victim], now) ? FlowEndReason::idle_timeout
                                                         : FlowEndReason::evicted);
  }
  const FlowIndex i = free_head_;
  free_head_ = links_[i].hash_next;
  return i;
}

FlowUpdate FlowTable::track(const PacketView& packet) noexcept {
  FlowKey key;
  bool src_is_endpoint0 = true;
  if (!flow_key_of(packet, key, src_is_endpoint0)) {
    ++stats_.untrackable;
    return {};
  }
  ++stats_.lookups;
  const bool tcp = packet.l4_proto == kProtoTcp;
  const bool bare_syn = tcp && (packet.tcp_flags & (kSyn | kAck)) == kSyn;

  const std::size_t bucket = bucket_of(key);
  FlowIndex i = lookup(key, bucket);
  if (i != kNoFlow) {
    const FlowRecord& old = records_[i];
    if (idle_expired(old, packet.ts)) {
      end_flow(i, FlowEndReason::idle_timeout);
      i = kNoFlow;
    } else if (bare_syn && old.timeout_class == FlowTimeoutClass::tcp_closed) {
      end_flow(i, FlowEndReason::tcp_reuse);
      i = kNoFlow;
    } else {
      ++stats_.hits;
    }
  }

  const std::uint8_t src_endpoint = src_is_endpoint0 ? 0 : 1;
  FlowUpdate update;
  if (i == kNoFlow) {
    i = allocate(packet.ts);
    FlowRecord& r = records_[i];
    r = FlowRecord{};
    r.key = key;
    r.id = next_id_++;
    r.first_ts = r.last_ts = packet.ts;
    r.initiator = receiver_initiated(packet) ? static_cast<std::uint8_t>(src_endpoint ^ 1u)
                                             : src_endpoint;
    r.timeout_class = classify(r);
    links_[i].hash_next = buckets_[bucket];
    buckets_[bucket] = i;
    links_[i].lru_prev = links_[i].lru_next = kNoFlow;
    lru_push_front(i);
    live_[i] = 1;
    ++stats_.created;
    if (++stats_.active > stats_.peak_active) stats_.peak_active = stats_.active;
    update.created = true;
  }

  FlowRecord& r = records_[i];
  update.flow = &r;
  update.index = i;
  update.from_initiator = src_endpoint == r.initiator;
  const std::size_t side = update.from_initiator ? kFromInitiator : kFromResponder;
  if (r.packets[side] != std::numeric_limits<std::uint32_t>::max()) ++r.packets[side];
  r.bytes[side] += packet.l3_len;
  if (tcp) r.tcp_flags[side] |= packet.tcp_flags;
  if (packet.ts > r.last_ts) r.last_ts = packet.ts;

  lru_unlink(i);
  r.timeout_class = classify(r);
  lru_push_front(i);
  return update;
}

std::size_t FlowTable::sweep(TimeUs now, std::size_t max_visits) noexcept {
  std::size_t visits = 0;
  std::size_t ended = 0;
  for (std::size_t k = 0; k < kFlowTimeoutClassCount && visits < max_visits; ++k) {
    const std::size_t c = (sweep_class_ + k) % kFlowTimeoutClassCount;
    // Each class list is ordered by recency, so the first live flow found is the last to check.
    while (visits < max_visits) {
      const FlowIndex t = lru_[c].tail;
      if (t == kNoFlow) break;
      ++visits;
      if (!idle_expired(records_[t], now)) break;
      end_flow(t, FlowEndReason::idle_timeout);
      ++ended;
    }
    if (visits >= max_visits) {
      sweep_class_ = c;  // resume here, so no class starves behind a busy one
      break;
    }
  }
  return ended;
}

std::size_t FlowTable::flush() noexcept {
  std::size_t ended = 0;
  bool any = true;
  while (any) {
    any = false;
    FlowIndex oldest = kNoFlow;
    for (const LruList& list : lru_) {
      if (list.tail == kNoFlow) continue;
      if (oldest == kNoFlow || records_[list.tail].last_ts < records_[oldest].last_ts) oldest = list.tail;
    }
    if (oldest != kNoFlow) {
      end_flow(oldest, FlowEndReason::flushed);
      ++ended;
      any = true;
    }
  }
  return ended;
}

FlowTableStats FlowTable::stats() const noexcept {
  FlowTableStats s = stats_;
  s.capacity = capacity_;
  s.memory_reserved_bytes = records_.bytes() + links_.bytes() +
                            buckets_.capacity() * sizeof(FlowIndex) + live_.bytes();
  s.memory_active_bytes =
      static_cast<std::size_t>(s.active) * (sizeof(FlowRecord) + sizeof(Links) + 1);
  return s;
}

}  // namespace outpost::capture
