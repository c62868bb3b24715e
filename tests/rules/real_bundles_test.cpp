// Every real bundle of ../shared/corpus/stix/bundles, loaded one by one: each indicator it
// holds ends in exactly one bucket (matched by set entries, evaluated beyond them, out of scope
// for a network sensor, or refused with a reason). Prints the per-bundle table of
// rules/README.md ("Real bundles").

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "rules/indicator_set.h"
#include "support/corpus.h"

namespace outpost::rules {
namespace {

TEST(RealBundles, EveryIndicatorOfEveryBundleIsCompiledOrCountedWithAReason) {
  OUTPOST_REQUIRE_CORPUS();
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(test::corpus_path("stix/bundles")))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  ASSERT_GT(files.size(), 90u);
  const std::string root = test::corpus_path("stix/bundles/");
  std::printf("| bundle | indicators | exact | residual | of them scanned | multi-observation | out of scope | "
              "refused | superseded / revoked |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  std::uint64_t t_ind = 0, t_exact = 0, t_res = 0, t_scan = 0, t_multi = 0, t_oos = 0, t_ref = 0, t_old = 0;
  std::size_t malformed = 0;
  for (const auto& f : files) {
    IndicatorSetBuilder b;
    const LoadStatus st = b.add_bundle_file(f);
    if (!st.ok) {
      // The two validator examples that are not JSON on purpose (corpus README).
      EXPECT_TRUE(f.find("invalid_braces") != std::string::npos || f.find("invalid_comma") != std::string::npos)
          << st.message;
      ++malformed;
      continue;
    }
    const auto set = b.build();
    const SourceStats& s = set->stats().sources.at(0);
    const std::uint64_t refused = s.unsupported.total() + s.skipped.get("pattern syntax error") +
                                  s.skipped.get("invalid pattern value") + s.budget_dropped;
    EXPECT_EQ(s.indicators, s.loaded + s.out_of_scope + refused + s.superseded + s.revoked) << f;
    EXPECT_EQ(s.loaded, s.exact + s.residual) << f;
    EXPECT_EQ(s.unsupported.total(), 0u) << f;
    t_ind += s.indicators, t_exact += s.exact, t_res += s.residual, t_scan += s.scan, t_multi += s.multi_observation;
    t_oos += s.out_of_scope, t_ref += refused, t_old += s.superseded + s.revoked;
    if (s.indicators == 0) continue;
    std::printf("| %s | %llu | %llu | %llu | %llu | %llu | %llu | %llu | %llu |\n", f.substr(root.size()).c_str(),
                static_cast<unsigned long long>(s.indicators), static_cast<unsigned long long>(s.exact),
                static_cast<unsigned long long>(s.residual), static_cast<unsigned long long>(s.scan),
                static_cast<unsigned long long>(s.multi_observation), static_cast<unsigned long long>(s.out_of_scope),
                static_cast<unsigned long long>(refused), static_cast<unsigned long long>(s.superseded + s.revoked));
  }
  std::printf("| **all %zu files** | %llu | %llu | %llu | %llu | %llu | %llu | %llu | %llu |\n", files.size() - malformed,
              static_cast<unsigned long long>(t_ind), static_cast<unsigned long long>(t_exact),
              static_cast<unsigned long long>(t_res), static_cast<unsigned long long>(t_scan),
              static_cast<unsigned long long>(t_multi), static_cast<unsigned long long>(t_oos),
              static_cast<unsigned long long>(t_ref), static_cast<unsigned long long>(t_old));
  EXPECT_EQ(malformed, 2u);
  EXPECT_GT(t_exact, t_ind * 8 / 10);
}

}  // namespace
}  // namespace outpost::rules
