#include "rules/indicator_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "rules/set_file.h"
#include "rules/time.h"

namespace outpost::rules {
namespace {

constexpr TimeUs kNow = 1700000000000000;  // 2023-11-14

TimeUs at(const char* t) {
  TimeUs v = 0;
  EXPECT_TRUE(parse_timestamp(t, v)) << t;
  return v;
}

std::string uuid(int n) {
  char b[40];
  std::snprintf(b, sizeof b, "%08d-0000-4000-8000-000000000000", n);
  return b;
}

stix::StixIndicator indicator(int n, const std::string& pattern, const char* modified = "2023-01-01T00:00:00Z",
                              bool revoked = false) {
  stix::StixIndicator in;
  in.id = "indicator--" + uuid(n);
  in.pattern = pattern;
  in.pattern_type = "stix";
  in.created = at("2022-01-01T00:00:00Z");
  in.modified = at(modified);
  in.valid_from = at("2022-01-01T00:00:00Z");
  in.revoked = revoked;
  return in;
}

std::string domain_pattern(const std::string& d) { return "[domain-name:value = '" + d + "']"; }

// What a snapshot (or set) matches for a name, as sorted "id term" lines.
template <class S>
std::vector<std::string> names(const S& s, const std::vector<std::string>& values, TimeUs ts = kNow) {
  struct Sink : MatchSink {
    std::vector<std::string> lines;
    void on_match(const MatchedIndicator& m, const Observation& o) override {
      lines.push_back(std::string(o.value) + " " + std::string(m.id()) + " " + std::string(m.matched_term));
    }
  } sink;
  for (const auto& v : values) {
    Observation o;
    o.kind = ObservationKind::dns_query;
    o.value = v;
    o.ts = ts;
    s.match(o, sink);
  }
  std::sort(sink.lines.begin(), sink.lines.end());
  return sink.lines;
}

std::shared_ptr<const IndicatorSet> base_with(std::vector<stix::StixIndicator> stix, const std::string& list = "") {
  IndicatorSetBuilder b;
  IndicatorSource src;
  src.name = "base-feed";
  EXPECT_TRUE(b.add_indicators(src, std::move(stix)).ok);
  if (!list.empty()) {
    EXPECT_TRUE(b.add_list_memory("base-list", list, IndicatorType::domain).ok);
  }
  return b.build();
}

IndicatorSource collection() {
  IndicatorSource s;
  s.kind = IndicatorSource::Kind::collection;
  s.name = "https://taxii.example/api/collections/c1/";
  s.version = "2023-11-01T00:00:00.000000Z";
  return s;
}

TEST(IndicatorStore, AddsReplacesAndRevokesSingleIndicators) {
  IndicatorStore store(base_with({indicator(1, domain_pattern("old.example")), indicator(2, domain_pattern("two.example"))}));
  const std::vector<std::string> probe = {"old.example", "new.example", "two.example", "three.example"};
  EXPECT_EQ(names(*store.current(), probe).size(), 2u);
  // 1 gets a newer version with another name, 2 is revoked, 3 is new.
  auto snap = store.apply(collection(), {indicator(1, domain_pattern("new.example"), "2023-06-01T00:00:00Z"),
                                         indicator(2, domain_pattern("two.example"), "2023-06-01T00:00:00Z", true),
                                         indicator(3, domain_pattern("three.example"))});
  EXPECT_EQ(names(*snap, probe), (std::vector<std::string>{"new.example indicator--" + uuid(1) + " new.example",
                                                           "three.example indicator--" + uuid(3) + " three.example"}));
  EXPECT_EQ(store.stats().replaced, 1u);
  EXPECT_EQ(store.stats().revoked, 1u);
  EXPECT_EQ(store.stats().added, 1u);
  EXPECT_EQ(snap->hidden_records(), 2u);
}

TEST(IndicatorStore, IgnoresVersionsThatAreNotNewerThanTheOneHeld) {
  IndicatorStore store(base_with({indicator(1, domain_pattern("a.example"), "2023-06-01T00:00:00Z")}));
  store.apply(collection(), {indicator(1, domain_pattern("b.example"), "2023-01-01T00:00:00Z"),   // older
                             indicator(1, domain_pattern("c.example"), "2023-06-01T00:00:00Z")});  // same time
  EXPECT_EQ(store.stats().stale, 2u);
  EXPECT_EQ(names(*store.current(), {"a.example", "b.example", "c.example"}).size(), 1u);
  // A revocation is final: a re-sent older version after it stays out.
  store.apply(collection(), {indicator(1, domain_pattern("a.example"), "2023-07-01T00:00:00Z", true)});
  store.apply(collection(), {indicator(1, domain_pattern("a.example"), "2023-06-15T00:00:00Z")});
  EXPECT_TRUE(names(*store.current(), {"a.example"}).empty());
  EXPECT_EQ(store.stats().stale, 3u);
}

TEST(IndicatorStore, ExpiresIndicatorsWhoseValidityEnded) {
  auto soon = indicator(1, domain_pattern("base.example"));
  soon.valid_until = at("2023-10-01T00:00:00Z");
  IndicatorStore store(base_with({soon}));
  auto o = indicator(2, domain_pattern("overlay.example"));
  o.valid_until = at("2023-10-01T00:00:00Z");
  store.apply(collection(), {o, indicator(3, domain_pattern("stays.example"))});
  const std::vector<std::string> probe = {"base.example", "overlay.example", "stays.example"};
  // Matching already ignores them after valid_until (packet time)...
  EXPECT_EQ(names(*store.current(), probe, at("2023-09-01T00:00:00Z")).size(), 3u);
  EXPECT_EQ(names(*store.current(), probe).size(), 1u);
  // ...and expire() takes them out of the store.
  auto snap = store.expire(kNow);
  EXPECT_EQ(store.stats().expired, 2u);
  EXPECT_EQ(store.overlay_indicators(), 1u);
  EXPECT_EQ(names(*snap, probe, at("2023-09-01T00:00:00Z")).size(), 1u);
}

// A base large enough to have several domain shards, a STIX part, and a list part.
std::shared_ptr<const IndicatorSet> large_base(std::size_t names_count) {
  std::string list;
  for (std::size_t i = 0; i < names_count; ++i) list += "host" + std::to_string(i) + ".list.example\n";
  std::vector<stix::StixIndicator> stix;
  for (int i = 0; i < 200; ++i) stix.push_back(indicator(i, domain_pattern("stix" + std::to_string(i) + ".example")));
  return base_with(std::move(stix), list);
}

TEST(IndicatorStore, MergingTheOverlayShardByShardNeverChangesWhatMatches) {
  StoreOptions opt;
  opt.max_overlay_indicators = 50;
  IndicatorStore store(large_base(60000), opt);
  ASSERT_GT(store.current()->base().stats().types[0].entries, 50000u);
  std::vector<stix::StixIndicator> batch;
  for (int i = 100; i < 300; ++i)  // 100..199 replace base versions, 200..299 are new
    batch.push_back(indicator(i, domain_pattern("upd" + std::to_string(i) + ".example"), "2023-06-01T00:00:00Z"));
  store.apply(collection(), std::move(batch));
  std::vector<std::string> probe;
  for (int i = 0; i < 300; i += 3) {
    probe.push_back("stix" + std::to_string(i) + ".example");
    probe.push_back("upd" + std::to_string(i) + ".example");
    probe.push_back("host" + std::to_string(i * 97) + ".list.example");
  }
  const auto want = names(*store.current(), probe);
  ASSERT_TRUE(store.merge_pending());
  std::size_t steps = 0;
  while (store.merge_pending()) {
    auto snap = store.merge_step();
    EXPECT_EQ(names(*snap, probe), want) << "after merge step " << steps;
    ++steps;
    ASSERT_LT(steps, 1000u);
  }
  EXPECT_GT(store.stats().shards_rebuilt, 1u);
  EXPECT_EQ(store.stats().merges, 1u);
  EXPECT_EQ(store.current()->overlay(), nullptr);
  EXPECT_EQ(store.current()->hidden_records(), 0u);
  // Updates keep working on the merged base.
  store.apply(collection(), {indicator(150, domain_pattern("later.example"), "2023-09-01T00:00:00Z")});
  EXPECT_EQ(names(*store.current(), {"upd150.example", "later.example"}).size(), 1u);
}

TEST(IndicatorStore, PeakMemoryDuringAnUpdateStaysWithinAQuarterAboveSteadyState) {
  StoreOptions opt;
  opt.max_overlay_indicators = 2000;
  IndicatorStore store(large_base(400000), opt);
  const std::size_t steady_before = store.current()->memory_bytes();
  std::size_t peak = steady_before;
  auto prev = store.current();
  auto step = [&](std::shared_ptr<const IndicatorSnapshot> next) {
    // While the packet thread still holds `prev`, both are alive: count their union.
    // The update side's own state (the objects kept to rebuild the overlay) counts as well.
    std::set<const void*> seen;
    const std::size_t both = prev->memory_bytes(seen) + next->memory_bytes(seen) + store.update_memory_bytes();
    peak = std::max(peak, both);
    prev = std::move(next);
  };
  for (int b = 0; b < 4; ++b) {
    std::vector<stix::StixIndicator> batch;
    for (int i = 0; i < 600; ++i) {
      const int n = 1000 + b * 600 + i;
      batch.push_back(indicator(n, domain_pattern("n" + std::to_string(n) + ".example")));
    }
    step(store.apply(collection(), std::move(batch)));
    while (store.merge_pending()) step(store.merge_step());  // as an update thread does after a batch
  }
  EXPECT_GE(store.stats().merges, 1u);
  const std::size_t steady_after = prev->memory_bytes() + store.update_memory_bytes();
  std::printf("steady %zu -> %zu bytes, peak %zu (%.3f x)\n", steady_before, steady_after, peak,
              static_cast<double>(peak) / static_cast<double>(std::max(steady_before, steady_after)));
  EXPECT_LE(static_cast<double>(peak), 1.25 * static_cast<double>(std::max(steady_before, steady_after)));
  EXPECT_EQ(names(*prev, {"n1000.example", "n3399.example", "host5.list.example"}).size(), 3u);
}

TEST(IndicatorStore, UpdatesAMappedCompiledSet) {
  const std::string path = ::testing::TempDir() + "/outpost-store-base.set";
  ASSERT_EQ(SetFile::write(*base_with({indicator(1, domain_pattern("one.example"))}, "listed.example\n"), path), "");
  LoadStatus st;
  std::shared_ptr<const IndicatorSet> base = SetFile::load(path, st);
  ASSERT_TRUE(base) << st.message;
  StoreOptions opt;
  opt.max_overlay_indicators = 0;
  IndicatorStore store(base, opt);
  store.apply(collection(), {indicator(1, domain_pattern("uno.example"), "2023-06-01T00:00:00Z")});
  while (store.merge_pending()) store.merge_step();
  EXPECT_EQ(names(*store.current(), {"one.example", "uno.example", "listed.example"}).size(), 2u);
  std::remove(path.c_str());
}

TEST(SnapshotMailbox, HandsTheNewestSnapshotOverOnce) {
  IndicatorStore store(base_with({indicator(1, domain_pattern("a.example"))}));
  std::shared_ptr<const IndicatorSnapshot> current = store.current();
  SnapshotMailbox box(current);
  EXPECT_FALSE(box.take(current));
  box.offer(store.apply(collection(), {indicator(2, domain_pattern("b.example"))}));
  auto newest = store.apply(collection(), {indicator(3, domain_pattern("c.example"))});
  box.offer(newest);
  EXPECT_TRUE(box.take(current));
  EXPECT_EQ(current, newest);
  EXPECT_FALSE(box.take(current));
  EXPECT_EQ(current, newest);
}

TEST(SnapshotMailbox, ThePacketThreadNeverFreesASnapshot) {
  IndicatorStore store(base_with({indicator(1, domain_pattern("a.example"))}));
  std::shared_ptr<const IndicatorSnapshot> current = store.current();
  SnapshotMailbox box(current);
  std::weak_ptr<const IndicatorSnapshot> first = current;
  box.offer(store.apply(collection(), {indicator(2, domain_pattern("b.example"))}));
  std::weak_ptr<const IndicatorSnapshot> second = store.current();
  ASSERT_TRUE(box.take(current));
  // The packet thread let go of the first snapshot, yet it is alive: the mailbox retains it
  // until the update thread collects.
  EXPECT_FALSE(first.expired());
  EXPECT_EQ(box.collect(), 1u);
  EXPECT_TRUE(first.expired());
  box.offer(store.apply(collection(), {indicator(3, domain_pattern("c.example"))}));
  // Not taken yet: the second is still the packet thread's, nothing more can be freed.
  EXPECT_EQ(box.retained(), 2u);
  ASSERT_TRUE(box.take(current));
  EXPECT_FALSE(second.expired());
  EXPECT_EQ(box.collect(), 1u);
  EXPECT_TRUE(second.expired());
}

TEST(SnapshotMailbox, APacketThreadKeepsMatchingWhileUpdatesArrive) {
  StoreOptions opt;
  opt.max_overlay_indicators = 100;
  IndicatorStore store(large_base(20000), opt);
  SnapshotMailbox box(store.current());
  std::atomic<bool> done{false};
  std::atomic<std::size_t> matched{0};
  std::thread packets([&] {
    auto current = store.current();
    const std::vector<std::string> probe = {"host7.list.example", "stix3.example"};
    while (!done.load()) {
      box.take(current);
      matched += names(*current, probe).size();
    }
    box.take(current);
    EXPECT_EQ(names(*current, {"host7.list.example", "stix3.example", "u999.example"}).size(), 3u);
  });
  for (int b = 0; b < 10; ++b) {
    std::vector<stix::StixIndicator> batch;
    for (int i = 0; i < 100; ++i) batch.push_back(indicator(900 + b * 100 + i, domain_pattern("u" + std::to_string(900 + b * 100 + i) + ".example")));
    box.offer(store.apply(collection(), std::move(batch)));
    while (store.merge_pending()) box.offer(store.merge_step());
  }
  done = true;
  packets.join();
  EXPECT_GT(matched.load(), 0u);
}

}  // namespace
}  // namespace outpost::rules
