// The `outpost-rules` command-line contract (rules/tool/README.md), end to end on the built
// binary, and the agent running from a compiled set exactly as from its sources.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules/set_file.h"
#include "support/corpus.h"
#include "support/process.h"

namespace outpost {
namespace {

using test::RunResult;

RunResult rules_tool(const std::vector<std::string>& args) { return test::run_program(test::rules_tool_binary(), args); }

class RulesTool : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir("rules-tool"); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string example(const std::string& name) const { return test::source_dir() + "/examples/" + name; }
  std::string dir_;
};

TEST_F(RulesTool, CompileWritesASetThatStatsDescribes) {
  const RunResult c = rules_tool({"compile", "-o", path("ex.set"), example("indicators.json")});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.err.find("wrote " + path("ex.set")), std::string::npos) << c.err;
  const RunResult s = rules_tool({"stats", path("ex.set")});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("format version " + std::to_string(rules::kSetFileVersion)), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("revoked"), std::string::npos) << s.out;
  const RunResult j = rules_tool({"stats", path("ex.set"), "--json"});
  ASSERT_EQ(j.exit_code, 0);
  EXPECT_EQ(j.out.rfind("{", 0), 0u);
  EXPECT_NE(j.out.find("\"set_file_version\":" + std::to_string(rules::kSetFileVersion)), std::string::npos) << j.out;
}

TEST_F(RulesTool, LookupPrintsTheMatchingIdsAndTheirSourceAndExitsOneOnNone) {
  ASSERT_EQ(rules_tool({"compile", "-o", path("ex.set"), example("indicators.json")}).exit_code, 0);
  const RunResult hit = rules_tool({"lookup", path("ex.set"), "xp.apple.com", "--at", "2018-04-10T09:00:00Z"});
  EXPECT_EQ(hit.exit_code, 0) << hit.err;
  EXPECT_NE(hit.out.find("indicator--35d76b62-c3e5-5032-8a0e-ecb0419344f8"), std::string::npos) << hit.out;
  EXPECT_NE(hit.out.find(example("indicators.json")), std::string::npos) << hit.out;
  const RunResult cidr = rules_tool({"lookup", path("ex.set"), "2.2.2.9", "--at", "2018-04-10T09:00:00Z"});
  EXPECT_EQ(cidr.exit_code, 0) << cidr.out << cidr.err;
  EXPECT_NE(cidr.out.find("2.2.2.0/24"), std::string::npos) << cidr.out;
  const RunResult miss = rules_tool({"lookup", path("ex.set"), "example.org"});
  EXPECT_EQ(miss.exit_code, 1);
  EXPECT_TRUE(miss.out.empty()) << miss.out;
  const RunResult unknown = rules_tool({"lookup", path("ex.set"), "not a value!"});
  EXPECT_EQ(unknown.exit_code, 2);
}

TEST_F(RulesTool, DiffShowsWhatChangedAndExitsZeroOnlyWhenNothingDid) {
  test::write_file(path("a.txt"), "evil.example\n192.0.2.1\n");
  test::write_file(path("b.txt"), "evil.example\n192.0.2.2\n");
  ASSERT_EQ(rules_tool({"compile", "-o", path("a.set"), path("a.txt")}).exit_code, 0);
  const RunResult same = rules_tool({"diff", path("a.set"), path("a.txt")});
  EXPECT_EQ(same.exit_code, 0) << same.out;
  const RunResult d = rules_tool({"diff", path("a.txt"), path("b.txt")});
  EXPECT_EQ(d.exit_code, 1);
  EXPECT_NE(d.out.find("- ipv4 192.0.2.1"), std::string::npos) << d.out;
  EXPECT_EQ(d.out.find("- ipv4 192.0.2.2"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("+ ipv4 192.0.2.2"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("list entries: 1 added, 1 removed"), std::string::npos) << d.out;
}

TEST_F(RulesTool, CheckPrintsTheCanonicalFormOrTheErrorPosition) {
  const RunResult ok = rules_tool({"check", "[domain-name:value='evil.example'   OR   url:value = 'http://x/']"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "[domain-name:value = 'evil.example' OR url:value = 'http://x/']\n");
  const RunResult bad = rules_tool({"check", "[domain-name:value = 'evil.example'"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("at byte "), std::string::npos) << bad.err;
  EXPECT_TRUE(bad.out.empty());
}

TEST_F(RulesTool, InputErrorsExitTwoWithOneLineNamingTheFile) {
  const RunResult missing = rules_tool({"compile", "-o", path("x.set"), path("absent.json")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find(path("absent.json")), std::string::npos) << missing.err;
  test::write_file(path("bad.set"), "OPSET\r\n\x1a garbage");
  const RunResult bad = rules_tool({"stats", path("bad.set")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find(path("bad.set") + ": "), std::string::npos) << bad.err;
  EXPECT_EQ(rules_tool({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(rules_tool({"compile", "--nope", "-o", path("x.set")}).exit_code, 2);
}

TEST_F(RulesTool, TheAgentSightsTheSameFromACompiledSetAsFromItsBundle) {
  ASSERT_EQ(rules_tool({"compile", "-o", path("ex.set"), example("indicators.json")}).exit_code, 0);
  auto run = [&](const std::string& indicators, const std::string& out) {
    return test::run_program(test::outpost_binary(),
                             {"--pcap", example("pppoe-over-qinq.pcap"), "--indicators", indicators, "--sightings",
                              path(out), "--state-dir", path("state"), "--quiet"});
  };
  ASSERT_EQ(run(example("indicators.json"), "from-bundle.jsonl").exit_code, 0);
  const RunResult r = run(path("ex.set"), "from-set.jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string a = test::read_file(path("from-bundle.jsonl")), b = test::read_file(path("from-set.jsonl"));
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace outpost
