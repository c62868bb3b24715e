// The flow table under a real SYN flood: 37.8 k SYNs from 37.6 k spoofed sources in 24 s
// (stopddos__pkt.TCP.synflood.spoofed.pcap). The table must stay at its capacity, recycle the
// flood's own entries, keep an established flow alive, and not grow.

#include <gtest/gtest.h>

#include <cstdio>
#include <unistd.h>

#include "capture/flow/flow_table.h"
#include "capture/flow/test_frames.h"
#include "support/corpus.h"
#include "support/decoded_capture.h"

namespace outpost::capture {
namespace {

constexpr const char* kFlood = "pcap/stopddos__pkt.TCP.synflood.spoofed.pcap";

long resident_kib() {
  long pages_total = 0, pages_resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  const int n = std::fscanf(f, "%ld %ld", &pages_total, &pages_resident);
  std::fclose(f);
  return n == 2 ? pages_resident * (::sysconf(_SC_PAGESIZE) / 1024) : -1;
}

class CountingListener : public FlowEndListener {
 public:
  void on_flow_end(const FlowRecord&, FlowIndex, FlowEndReason reason) override {
    ++by_reason[static_cast<std::size_t>(reason)];
  }
  std::uint64_t by_reason[kFlowEndReasonCount] = {};
};

TEST(FlowTableSynFlood, StaysAtCapacityAndKeepsMemoryFlat) {
  OUTPOST_REQUIRE_CORPUS();
  FlowTableConfig config;
  config.max_flows = 2048;
  config.hash_seed = 0x5eed;
  FlowTable table(config);
  CountingListener listener;
  table.set_end_listener(&listener);
  const std::size_t reserved_before = table.stats().memory_reserved_bytes;

  // An established conversation that was there before the flood started.
  const TimeUs t0 = 1619605821000000;  // just before the first SYN of the capture
  table.track(test::ipv4_packet(6, "10.10.10.20", 50000, "10.10.10.10", 22, t0, 0x02));
  table.track(test::ipv4_packet(6, "10.10.10.10", 22, "10.10.10.20", 50000, t0, 0x12));
  const FlowUpdate ssh = table.track(test::ipv4_packet(6, "10.10.10.20", 50000, "10.10.10.10", 22, t0, 0x10));
  const std::uint64_t ssh_id = ssh.flow->id;
  const FlowKey ssh_key = ssh.flow->key;

  long packets = 0;
  long rss_warm = -1;
  std::uint32_t max_active = 0;
  TimeUs next_sweep = 0;
  const long frames = test::for_each_packet(test::corpus_path(kFlood), [&](const PacketView& v) {
    table.track(v);
    if (v.ts >= next_sweep) {
      table.sweep(v.ts, 256);
      next_sweep = v.ts + FlowTimeouts::kSecond;
    }
    if (table.active() > max_active) max_active = table.active();
    if (++packets == 5000) rss_warm = resident_kib();
  });
  ASSERT_GT(frames, 37000);
  ASSERT_GT(packets, 37000);
  const long rss_end = resident_kib();

  const FlowTableStats s = table.stats();
  EXPECT_EQ(max_active, 2048u);
  EXPECT_EQ(s.active, 2048u);
  EXPECT_EQ(s.peak_active, 2048u);
  EXPECT_GT(s.created, 37000u);
  const std::uint64_t evicted = s.ended[static_cast<std::size_t>(FlowEndReason::evicted)];
  EXPECT_EQ(evicted, s.created - s.active);
  EXPECT_EQ(listener.by_reason[static_cast<std::size_t>(FlowEndReason::evicted)], evicted);
  EXPECT_EQ(s.evicted[static_cast<std::size_t>(FlowTimeoutClass::tcp_handshake)], evicted);
  EXPECT_EQ(s.memory_reserved_bytes, reserved_before);

  const FlowRecord* kept = table.find(ssh_key);
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->id, ssh_id);

  ASSERT_GT(rss_warm, 0);
  EXPECT_LT(rss_end - rss_warm, 256) << "resident memory grew from " << rss_warm << " KiB to "
                                     << rss_end << " KiB while the flood was tracked";
}

}  // namespace
}  // namespace outpost::capture
