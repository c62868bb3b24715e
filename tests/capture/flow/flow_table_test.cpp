#include "capture/flow/flow_table.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "capture/flow/test_frames.h"

namespace outpost::capture {
namespace {

using test::ipv4_packet;
constexpr TimeUs kSec = FlowTimeouts::kSecond;
constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

struct EndedFlow {
  std::uint64_t id;
  FlowIndex index;
  FlowEndReason reason;
  FlowTimeoutClass cls;
};

class RecordingListener : public FlowEndListener {
 public:
  void on_flow_end(const FlowRecord& flow, FlowIndex index, FlowEndReason reason) override {
    ended.push_back({flow.id, index, reason, flow.timeout_class});
  }
  std::vector<EndedFlow> ended;
};

FlowTableConfig small_table(std::uint32_t flows) {
  FlowTableConfig c;
  c.max_flows = flows;
  c.hash_seed = 0x1234;
  return c;
}

// ---------------------------------------------------------------------------------------------

TEST(FlowTableDirection, MakesTheFirstSenderTheInitiatorAndFindsRepliesInTheSameFlow) {
  FlowTable t(small_table(8));
  const FlowUpdate a = t.track(ipv4_packet(6, "10.0.0.9", 40000, "10.0.0.1", 80, 0, kSyn));
  ASSERT_NE(a.flow, nullptr);
  EXPECT_TRUE(a.created);
  EXPECT_TRUE(a.from_initiator);
  const FlowUpdate b = t.track(ipv4_packet(6, "10.0.0.1", 80, "10.0.0.9", 40000, 1, kSyn | kAck));
  EXPECT_FALSE(b.created);
  EXPECT_EQ(b.index, a.index);
  EXPECT_FALSE(b.from_initiator);
  const FlowRecord& r = t.record(a.index);
  EXPECT_EQ(r.initiator_endpoint().port, 40000);
  EXPECT_EQ(r.responder_endpoint().port, 80);
  EXPECT_TRUE(r.initiator_endpoint().ip == a.flow->key.endpoint(r.initiator).ip);
}

TEST(FlowTableDirection, TakesTheReceiverOfAFirstSeenSynAckAsInitiator) {
  FlowTable t(small_table(8));
  const FlowUpdate a = t.track(ipv4_packet(6, "10.0.0.1", 443, "10.0.0.9", 40000, 0, kSyn | kAck));
  EXPECT_FALSE(a.from_initiator);
  EXPECT_EQ(a.flow->initiator_endpoint().port, 40000);
  const FlowUpdate b = t.track(ipv4_packet(6, "10.0.0.9", 40000, "10.0.0.1", 443, 1, kAck));
  EXPECT_TRUE(b.from_initiator);
}

TEST(FlowTableDirection, TakesAReplyFromAWellKnownPortSeenFirstAsFromTheResponder) {
  FlowTable t(small_table(8));
  const FlowUpdate a = t.track(ipv4_packet(17, "8.8.8.8", 53, "10.0.0.9", 40000, 0));
  EXPECT_FALSE(a.from_initiator);
  EXPECT_EQ(a.flow->initiator_endpoint().port, 40000);
  const FlowUpdate b = t.track(ipv4_packet(6, "10.0.0.1", 443, "10.0.0.9", 40001, 0, kAck | kPsh));
  EXPECT_FALSE(b.from_initiator);
  // Between two ephemeral ports, or two well-known ones, the first sender is the initiator.
  EXPECT_TRUE(t.track(ipv4_packet(17, "10.0.0.1", 5000, "10.0.0.9", 6000, 0)).from_initiator);
  EXPECT_TRUE(t.track(ipv4_packet(17, "10.0.0.1", 123, "10.0.0.9", 123, 0)).from_initiator);
}

TEST(FlowTableVlan, KeepsTheSameTupleOnDifferentVlansApart) {
  FlowTable t(small_table(8));
  const FlowUpdate a = t.track(ipv4_packet(17, "10.0.0.9", 5000, "10.0.0.1", 53, 0, 0, 10));
  const FlowUpdate b = t.track(ipv4_packet(17, "10.0.0.9", 5000, "10.0.0.1", 53, 0, 0, 20));
  EXPECT_TRUE(b.created);
  EXPECT_NE(a.index, b.index);
  EXPECT_NE(a.flow->id, b.flow->id);
  EXPECT_EQ(t.active(), 2u);
}

TEST(FlowTableCounters, CountsPacketsBytesAndTcpFlagsPerDirection) {
  FlowTable t(small_table(8));
  t.track(ipv4_packet(6, "10.0.0.9", 40000, "10.0.0.1", 80, 10, kSyn, 0, 60));
  t.track(ipv4_packet(6, "10.0.0.1", 80, "10.0.0.9", 40000, 20, kSyn | kAck, 0, 60));
  t.track(ipv4_packet(6, "10.0.0.9", 40000, "10.0.0.1", 80, 30, kAck | kPsh, 0, 500));
  const FlowUpdate last = t.track(ipv4_packet(6, "10.0.0.1", 80, "10.0.0.9", 40000, 40, kAck, 0, 1500));
  const FlowRecord& r = *last.flow;
  EXPECT_EQ(r.packets[kFromInitiator], 2u);
  EXPECT_EQ(r.packets[kFromResponder], 2u);
  EXPECT_EQ(r.bytes[kFromInitiator], 560u);
  EXPECT_EQ(r.bytes[kFromResponder], 1560u);
  EXPECT_EQ(r.tcp_flags[kFromInitiator], kSyn | kAck | kPsh);
  EXPECT_EQ(r.tcp_flags[kFromResponder], kSyn | kAck);
  EXPECT_EQ(r.first_ts, 10);
  EXPECT_EQ(r.last_ts, 40);
  EXPECT_EQ(r.timeout_class, FlowTimeoutClass::tcp_established);
}

TEST(FlowTableCounters, KeepsLastSeenFromGoingBackwards) {
  FlowTable t(small_table(8));
  t.track(ipv4_packet(17, "10.0.0.9", 5000, "10.0.0.1", 9999, 100));
  const FlowUpdate u = t.track(ipv4_packet(17, "10.0.0.1", 9999, "10.0.0.9", 5000, 90));
  EXPECT_EQ(u.flow->last_ts, 100);
}

TEST(FlowTableCounters, ReportsLookupsCreationsActiveAndPeak) {
  FlowTable t(small_table(8));
  RecordingListener l;
  t.set_end_listener(&l);
  t.track(ipv4_packet(17, "10.0.0.9", 1, "10.0.0.1", 9999, 0));
  t.track(ipv4_packet(17, "10.0.0.9", 2, "10.0.0.1", 9999, 0));
  t.track(ipv4_packet(17, "10.0.0.1", 9999, "10.0.0.9", 1, 0));
  t.track(PacketView{});
  t.flush();
  const FlowTableStats s = t.stats();
  EXPECT_EQ(s.lookups, 3u);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.created, 2u);
  EXPECT_EQ(s.untrackable, 1u);
  EXPECT_EQ(s.active, 0u);
  EXPECT_EQ(s.peak_active, 2u);
  EXPECT_EQ(s.ended[static_cast<std::size_t>(FlowEndReason::flushed)], 2u);
  EXPECT_EQ(s.capacity, 8u);
  EXPECT_GE(s.memory_reserved_bytes, 8 * sizeof(FlowRecord));
}

TEST(FlowTableIds, GivesEveryNewFlowAFreshIdEvenWhenItsSlotIsReused) {
  FlowTable t(small_table(2));
  std::set<std::uint64_t> ids;
  for (std::uint16_t port = 1; port <= 50; ++port) {
    const FlowUpdate u = t.track(ipv4_packet(17, "10.0.0.9", port, "10.0.0.1", 9999, port));
    ASSERT_TRUE(u.created);
    EXPECT_LT(u.index, 2u);
    ids.insert(u.flow->id);
  }
  EXPECT_EQ(ids.size(), 50u);
  EXPECT_EQ(*ids.begin(), 1u);
}

// ---------------------------------------------------------------------------------------------

TEST(FlowTableEviction, EvictsTheLeastRecentlyUsedFlowWhenFullAndReportsIt) {
  FlowTableConfig c = small_table(3);
  FlowTable t(c);
  RecordingListener l;
  t.set_end_listener(&l);
  const FlowUpdate a = t.track(ipv4_packet(17, "10.0.0.9", 1, "10.0.0.1", 9999, 1 * kSec));
  const FlowUpdate b = t.track(ipv4_packet(17, "10.0.0.9", 2, "10.0.0.1", 9999, 2 * kSec));
  t.track(ipv4_packet(17, "10.0.0.9", 3, "10.0.0.1", 9999, 3 * kSec));
  t.track(ipv4_packet(17, "10.0.0.1", 9999, "10.0.0.9", 1, 4 * kSec));  // a is now recent
  const std::uint64_t b_id = b.flow->id;
  const FlowIndex b_index = b.index;
  const FlowUpdate d = t.track(ipv4_packet(17, "10.0.0.9", 4, "10.0.0.1", 9999, 5 * kSec));
  ASSERT_EQ(l.ended.size(), 1u);
  EXPECT_EQ(l.ended[0].id, b_id);
  EXPECT_EQ(l.ended[0].reason, FlowEndReason::evicted);
  EXPECT_EQ(d.index, b_index);  // the victim's slot is handed to the new flow
  EXPECT_EQ(t.active(), 3u);
  EXPECT_NE(t.find(a.flow->key), nullptr);
  const FlowTableStats s = t.stats();
  EXPECT_EQ(s.ended[static_cast<std::size_t>(FlowEndReason::evicted)], 1u);
  EXPECT_EQ(s.evicted[static_cast<std::size_t>(FlowTimeoutClass::udp)], 1u);
}

TEST(FlowTableEviction, SacrificesUnansweredSynsBeforeEstablishedFlows) {
  FlowTable t(small_table(3));
  RecordingListener l;
  t.set_end_listener(&l);
  // One established flow, oldest of all.
  t.track(ipv4_packet(6, "10.0.0.9", 5000, "10.0.0.1", 443, 0, kSyn));
  t.track(ipv4_packet(6, "10.0.0.1", 443, "10.0.0.9", 5000, 1, kSyn | kAck));
  const FlowUpdate est = t.track(ipv4_packet(6, "10.0.0.9", 5000, "10.0.0.1", 443, 2, kAck));
  ASSERT_EQ(est.flow->timeout_class, FlowTimeoutClass::tcp_established);
  for (std::uint16_t port = 1; port <= 100; ++port)
    t.track(ipv4_packet(6, "198.51.100.7", port, "10.0.0.1", 80, 10 + port, kSyn));
  EXPECT_EQ(t.active(), 3u);
  EXPECT_NE(t.find(est.flow->key), nullptr);
  EXPECT_EQ(l.ended.size(), 98u);
  for (const EndedFlow& e : l.ended) EXPECT_EQ(e.cls, FlowTimeoutClass::tcp_handshake);
}

TEST(FlowTableEviction, UsesPlainLruWhenHandshakePreferenceIsOff) {
  FlowTableConfig c = small_table(2);
  c.evict_handshakes_first = false;
  FlowTable t(c);
  RecordingListener l;
  t.set_end_listener(&l);
  const std::uint64_t oldest = t.track(ipv4_packet(17, "10.0.0.9", 5000, "10.0.0.1", 9999, 0)).flow->id;
  t.track(ipv4_packet(6, "198.51.100.7", 1, "10.0.0.1", 80, 10, kSyn));
  t.track(ipv4_packet(6, "198.51.100.7", 2, "10.0.0.1", 80, 20, kSyn));
  ASSERT_EQ(l.ended.size(), 1u);
  EXPECT_EQ(l.ended[0].id, oldest);
}

TEST(FlowTableCapacity, DerivesTheFlowCountFromTheMemoryBudget) {
  FlowTableConfig c;
  c.memory_budget_bytes = 1u << 20;
  c.caller_bytes_per_flow = 200;
  FlowTable t(c);
  const std::size_t per_flow = FlowTable::table_bytes_per_flow() + 200;
  EXPECT_EQ(t.capacity(), (1u << 20) / per_flow);
  EXPECT_LE(t.stats().memory_reserved_bytes + t.capacity() * std::size_t{200}, c.memory_budget_bytes);
  EXPECT_EQ(FlowTable::capacity_for_budget(10, 0), 1u);
}

// ---------------------------------------------------------------------------------------------

class FlowTableTimeoutsTest : public ::testing::Test {
 protected:
  FlowTableTimeoutsTest() : table_(small_table(64)) { table_.set_end_listener(&listener_); }
  FlowTable table_;
  RecordingListener listener_;
};

TEST_F(FlowTableTimeoutsTest, AppliesEachProtocolsIdleTimeout) {
  const FlowTimeouts& to = table_.timeouts();
  const TimeUs t0 = 1000 * kSec;
  struct Case { PacketView first; FlowTimeoutClass cls; TimeUs timeout; };
  const Case cases[] = {
      {ipv4_packet(6, "10.0.0.9", 1, "10.0.0.1", 80, t0, kSyn), FlowTimeoutClass::tcp_handshake, to.tcp_handshake},
      {ipv4_packet(17, "10.0.0.9", 2, "10.0.0.1", 53, t0), FlowTimeoutClass::dns, to.dns},
      {ipv4_packet(17, "10.0.0.9", 3, "10.0.0.1", 123, t0), FlowTimeoutClass::udp, to.udp},
      {ipv4_packet(1, "10.0.0.9", 0, "10.0.0.1", 0, t0), FlowTimeoutClass::icmp, to.icmp},
      {ipv4_packet(47, "10.0.0.9", 0, "10.0.0.1", 0, t0), FlowTimeoutClass::other, to.other},
  };
  for (const Case& c : cases) {
    FlowTable t(small_table(4));
    const FlowUpdate u = t.track(c.first);
    EXPECT_EQ(u.flow->timeout_class, c.cls) << flow_timeout_class_name(c.cls);
    EXPECT_EQ(t.sweep(t0 + c.timeout, 10), 0u) << flow_timeout_class_name(c.cls);  // not yet
    EXPECT_EQ(t.sweep(t0 + c.timeout + 1, 10), 1u) << flow_timeout_class_name(c.cls);
  }
  EXPECT_LT(to.dns, to.udp);
  EXPECT_LT(to.tcp_closed, to.tcp_established);
}

TEST_F(FlowTableTimeoutsTest, MovesTcpFromHandshakeToEstablishedToClosed) {
  const FlowUpdate syn = table_.track(ipv4_packet(6, "10.0.0.9", 1, "10.0.0.1", 80, 0, kSyn));
  EXPECT_EQ(syn.flow->timeout_class, FlowTimeoutClass::tcp_handshake);
  table_.track(ipv4_packet(6, "10.0.0.1", 80, "10.0.0.9", 1, 1, kSyn | kAck));
  EXPECT_EQ(syn.flow->timeout_class, FlowTimeoutClass::tcp_established);
  table_.track(ipv4_packet(6, "10.0.0.9", 1, "10.0.0.1", 80, 2, kFin | kAck));
  EXPECT_EQ(syn.flow->timeout_class, FlowTimeoutClass::tcp_established);  // half-closed
  table_.track(ipv4_packet(6, "10.0.0.1", 80, "10.0.0.9", 1, 3, kFin | kAck));
  EXPECT_EQ(syn.flow->timeout_class, FlowTimeoutClass::tcp_closed);
  const FlowUpdate rst = table_.track(ipv4_packet(6, "10.0.0.9", 2, "10.0.0.1", 80, 0, kSyn));
  table_.track(ipv4_packet(6, "10.0.0.1", 80, "10.0.0.9", 2, 1, kRst | kAck));
  EXPECT_EQ(rst.flow->timeout_class, FlowTimeoutClass::tcp_closed);
}

TEST_F(FlowTableTimeoutsTest, TreatsOneWayTcpDataAsEstablished) {
  // A mirror that sees one direction only: data without SYN is not a half-open attempt.
  const FlowUpdate u = table_.track(ipv4_packet(6, "10.0.0.9", 1, "10.0.0.1", 80, 0, kAck | kPsh));
  EXPECT_EQ(u.flow->timeout_class, FlowTimeoutClass::tcp_established);
}

TEST_F(FlowTableTimeoutsTest, StartsANewFlowWhenAPacketArrivesAfterTheTimeout) {
  const FlowUpdate a = table_.track(ipv4_packet(17, "10.0.0.9", 5353, "10.0.0.1", 53, 0));
  const std::uint64_t first_id = a.flow->id;
  const FlowUpdate b = table_.track(
      ipv4_packet(17, "10.0.0.9", 5353, "10.0.0.1", 53, table_.timeouts().dns + 1));
  EXPECT_TRUE(b.created);
  EXPECT_NE(b.flow->id, first_id);
  ASSERT_EQ(listener_.ended.size(), 1u);
  EXPECT_EQ(listener_.ended[0].id, first_id);
  EXPECT_EQ(listener_.ended[0].reason, FlowEndReason::idle_timeout);
}

TEST_F(FlowTableTimeoutsTest, StartsANewFlowWhenASynReusesAClosedTuple) {
  const FlowUpdate a = table_.track(ipv4_packet(6, "10.0.0.9", 1, "10.0.0.1", 80, 0, kSyn));
  const std::uint64_t first_id = a.flow->id;
  table_.track(ipv4_packet(6, "10.0.0.1", 80, "10.0.0.9", 1, 1, kRst | kAck));
  const FlowUpdate b = table_.track(ipv4_packet(6, "10.0.0.9", 1, "10.0.0.1", 80, 2, kSyn));
  EXPECT_TRUE(b.created);
  ASSERT_EQ(listener_.ended.size(), 1u);
  EXPECT_EQ(listener_.ended[0].id, first_id);
  EXPECT_EQ(listener_.ended[0].reason, FlowEndReason::tcp_reuse);
}

TEST_F(FlowTableTimeoutsTest, CountsExpiriesPerClass) {
  table_.track(ipv4_packet(17, "10.0.0.9", 1, "10.0.0.1", 53, 0));
  table_.track(ipv4_packet(17, "10.0.0.9", 2, "10.0.0.1", 53, 0));
  table_.track(ipv4_packet(1, "10.0.0.9", 0, "10.0.0.1", 0, 0));
  table_.sweep(table_.timeouts().icmp + 1, 100);
  const FlowTableStats s = table_.stats();
  EXPECT_EQ(s.expired[static_cast<std::size_t>(FlowTimeoutClass::dns)], 2u);
  EXPECT_EQ(s.expired[static_cast<std::size_t>(FlowTimeoutClass::icmp)], 1u);
  EXPECT_EQ(s.ended[static_cast<std::size_t>(FlowEndReason::idle_timeout)], 3u);
  EXPECT_EQ(s.active, 0u);
}

// ---------------------------------------------------------------------------------------------

TEST(FlowTableSweep, ExaminesNoMoreThanTheGivenNumberOfFlowsPerCall) {
  FlowTable t(small_table(256));
  RecordingListener l;
  t.set_end_listener(&l);
  for (std::uint16_t port = 1; port <= 100; ++port)
    t.track(ipv4_packet(17, "10.0.0.9", port, "10.0.0.1", 53, port));
  const TimeUs later = 1000 * kSec;
  EXPECT_EQ(t.sweep(later, 30), 30u);
  EXPECT_EQ(t.active(), 70u);
  EXPECT_EQ(t.sweep(later, 30), 30u);
  EXPECT_EQ(t.sweep(later, 1000), 40u);
  EXPECT_EQ(t.active(), 0u);
  ASSERT_EQ(l.ended.size(), 100u);
  for (std::size_t i = 1; i < l.ended.size(); ++i) EXPECT_LT(l.ended[i - 1].id, l.ended[i].id);  // oldest first
}

TEST(FlowTableSweep, StopsAtTheFirstLiveFlowOfEachClass) {
  FlowTable t(small_table(256));
  for (std::uint16_t port = 1; port <= 50; ++port)
    t.track(ipv4_packet(17, "10.0.0.9", port, "10.0.0.1", 53, port * kSec));
  // At t = 40 s + dns timeout the first 39 are idle too long, the rest are not.
  const TimeUs now = 40 * kSec + t.timeouts().dns;
  EXPECT_EQ(t.sweep(now, 1000), 39u);
  EXPECT_EQ(t.active(), 11u);
}

TEST(FlowTableSweep, ReachesShortTimeoutsBehindLongLivedFlows) {
  FlowTable t(small_table(64));
  for (std::uint16_t port = 1; port <= 10; ++port) {
    t.track(ipv4_packet(6, "10.0.0.9", port, "10.0.0.1", 443, 0, kSyn));
    t.track(ipv4_packet(6, "10.0.0.1", 443, "10.0.0.9", port, 0, kSyn | kAck));
  }
  t.track(ipv4_packet(17, "10.0.0.9", 7, "10.0.0.1", 53, 1));
  EXPECT_EQ(t.sweep(t.timeouts().dns + 2, 3), 1u);  // per-class lists: the DNS flow is reached
  EXPECT_EQ(t.active(), 10u);
}

TEST(FlowTableFlush, EndsEveryLiveFlowOldestFirst) {
  FlowTable t(small_table(16));
  RecordingListener l;
  t.set_end_listener(&l);
  t.track(ipv4_packet(17, "10.0.0.9", 1, "10.0.0.1", 53, 30));
  t.track(ipv4_packet(6, "10.0.0.9", 2, "10.0.0.1", 80, 10, kSyn));
  t.track(ipv4_packet(1, "10.0.0.9", 0, "10.0.0.1", 0, 20));
  EXPECT_EQ(t.flush(), 3u);
  ASSERT_EQ(l.ended.size(), 3u);
  EXPECT_EQ(l.ended[0].cls, FlowTimeoutClass::tcp_handshake);
  EXPECT_EQ(l.ended[1].cls, FlowTimeoutClass::icmp);
  EXPECT_EQ(l.ended[2].cls, FlowTimeoutClass::dns);
  for (const EndedFlow& e : l.ended) EXPECT_EQ(e.reason, FlowEndReason::flushed);
  EXPECT_EQ(t.active(), 0u);
  EXPECT_FALSE(t.is_live(l.ended[0].index));
}

TEST(FlowTableNames, NameEveryClassAndReason) {
  EXPECT_EQ(flow_timeout_class_name(FlowTimeoutClass::tcp_established), "tcp_established");
  EXPECT_EQ(flow_timeout_class_name(FlowTimeoutClass::count_), "unknown");
  EXPECT_EQ(flow_end_reason_name(FlowEndReason::evicted), "evicted");
  EXPECT_EQ(flow_end_reason_name(FlowEndReason::count_), "unknown");
}

}  // namespace
}  // namespace outpost::capture
