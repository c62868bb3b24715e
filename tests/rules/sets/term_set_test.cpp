#include "rules/sets/term_set.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace outpost::rules {
namespace {

struct Hits : TermVisitor {
  std::vector<std::string> terms;
  std::vector<bool> whole;
  std::vector<EntryOwner> owners;
  void on_hit(EntryOwner owner, std::string_view term, bool w) override {
    owners.push_back(owner);
    terms.emplace_back(term);
    whole.push_back(w);
  }
};

Hits lookup(const TermSet& s, std::string_view v) {
  Hits h;
  s.lookup(v, h);
  return h;
}

TEST(DomainSet, ProbesTheNameAndEveryParentButNotTheTld) {
  MemoryBudget budget;
  auto s = make_term_set(IndicatorType::domain, budget);
  ASSERT_EQ(s->add("evil.com", 1), AddResult::added);
  ASSERT_EQ(s->add("com", 2), AddResult::added);
  s->compact();
  Hits h = lookup(*s, "A.B.Evil.Com.");
  ASSERT_EQ(h.terms.size(), 1u);
  EXPECT_EQ(h.terms[0], "evil.com");
  EXPECT_FALSE(h.whole[0]);
  h = lookup(*s, "evil.com");
  ASSERT_EQ(h.terms.size(), 1u);
  EXPECT_TRUE(h.whole[0]);
  EXPECT_TRUE(lookup(*s, "notevil.com").terms.empty());
  EXPECT_EQ(lookup(*s, "com").terms.size(), 1u);  // the single label matches itself only
}

TEST(DomainSet, KeepsOneEntryPerOwnerAndReportsEachOwner) {
  MemoryBudget budget;
  auto s = make_term_set(IndicatorType::domain, budget);
  EXPECT_EQ(s->add("evil.com", 1), AddResult::added);
  EXPECT_EQ(s->add("evil.com", 1), AddResult::duplicate);
  EXPECT_EQ(s->add("evil.com", kListOwner | 3), AddResult::added);
  EXPECT_EQ(s->add("Not A Name", 1), AddResult::invalid);
  s->compact();
  EXPECT_EQ(lookup(*s, "x.evil.com").owners.size(), 2u);
}

TEST(AddressSet, MatchesEveryPrefixContainingTheAddress) {
  MemoryBudget budget;
  auto s = make_term_set(IndicatorType::ipv4, budget);
  ASSERT_EQ(s->add("10.0.0.0/8", 1), AddResult::added);
  ASSERT_EQ(s->add("10.1.0.0/16", 2), AddResult::added);
  ASSERT_EQ(s->add("10.1.2.3", 3), AddResult::added);
  s->compact();
  Hits h = lookup(*s, "10.1.2.3");
  EXPECT_EQ(h.terms, (std::vector<std::string>{"10.1.2.3", "10.1.0.0/16", "10.0.0.0/8"}));
  EXPECT_EQ(lookup(*s, "10.200.0.1").terms, (std::vector<std::string>{"10.0.0.0/8"}));
  EXPECT_TRUE(lookup(*s, "11.0.0.1").terms.empty());
  EXPECT_EQ(lookup(*s, "::ffff:10.1.2.3").terms.size(), 3u);  // IPv4-mapped
}

TEST(AddressSet, Ipv6PrefixesMatchInsideOnly) {
  MemoryBudget budget;
  auto s = make_term_set(IndicatorType::ipv6, budget);
  ASSERT_EQ(s->add("2001:db8:1::/48", 1), AddResult::added);
  s->compact();
  EXPECT_EQ(lookup(*s, "2001:db8:1:ffff::9").terms.size(), 1u);
  EXPECT_TRUE(lookup(*s, "2001:db8:2::1").terms.empty());
  EXPECT_TRUE(lookup(*s, "10.0.0.1").terms.empty());
}

TEST(DigestSet, StoresBinaryKeysSoHexCaseDoesNotMatter) {
  MemoryBudget budget;
  auto s = make_term_set(IndicatorType::sha1, budget);
  const std::string h = "00006b30806f915911349d82beeb1aeb9025adb4";
  ASSERT_EQ(s->add(h, 7), AddResult::added);
  s->compact();
  Hits hits = lookup(*s, "00006B30806F915911349D82BEEB1AEB9025ADB4");
  ASSERT_EQ(hits.terms.size(), 1u);
  EXPECT_EQ(hits.terms[0], h);
  EXPECT_TRUE(lookup(*s, h.substr(0, 39)).terms.empty());
}

TEST(IpPortSet, NeedsAddressAndPortToMatch) {
  MemoryBudget budget;
  auto s = make_term_set(IndicatorType::ip_port, budget);
  ASSERT_EQ(s->add("192.0.2.1:443", 1), AddResult::added);
  ASSERT_EQ(s->add("[2001:db8::1]:53", 2), AddResult::added);
  s->compact();
  EXPECT_EQ(lookup(*s, "192.0.2.1:443").terms.size(), 1u);
  EXPECT_TRUE(lookup(*s, "192.0.2.1:444").terms.empty());
  EXPECT_EQ(lookup(*s, "[2001:DB8::1]:53").terms, (std::vector<std::string>{"[2001:db8::1]:53"}));
}

TEST(TermSetBudget, RefusesGrowthBeyondTheBudgetAndKeepsWhatWasLoaded) {
  MemoryBudget budget(4096);
  auto s = make_term_set(IndicatorType::domain, budget);
  std::size_t added = 0, refused = 0;
  for (int i = 0; i < 2000; ++i) {
    const AddResult r = s->add("host" + std::to_string(i) + ".example.org", 1);
    if (r == AddResult::added) ++added;
    if (r == AddResult::budget_exhausted) ++refused;
  }
  EXPECT_GT(added, 10u);
  EXPECT_GT(refused, 0u);
  EXPECT_EQ(s->size(), added);
  EXPECT_LE(budget.used(), 4096u);
  EXPECT_GT(budget.refusals(), 0u);
  s->compact();
  EXPECT_EQ(lookup(*s, "host0.example.org").terms.size(), 1u);
}

TEST(TermSetCompaction, KeepsEveryEntryFindable) {
  MemoryBudget budget;
  auto s = make_term_set(IndicatorType::url, budget);
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(s->add("http://e.com/" + std::to_string(i), 1), AddResult::added);
  const std::size_t before = s->memory_bytes();
  s->compact();
  EXPECT_LE(s->memory_bytes(), before);
  EXPECT_EQ(budget.used(), s->memory_bytes());
  for (int i = 0; i < 5000; i += 7) EXPECT_EQ(lookup(*s, "http://E.com/" + std::to_string(i)).terms.size(), 1u);
  EXPECT_TRUE(lookup(*s, "http://e.com/5000").terms.empty());
}

}  // namespace
}  // namespace outpost::rules
