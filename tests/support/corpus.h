#pragma once
// Access to the shared real-data corpus (../shared/corpus beside the repository). Tests that
// need it call OUTPOST_REQUIRE_CORPUS(), which skips with a visible reason when it is absent;
// .ci/run fails when any test skipped.

#include <gtest/gtest.h>

#include <string>
#include <sys/stat.h>

namespace outpost::test {

// Repository root (compiled in) so tests work from any build folder.
inline std::string source_dir() { return OUTPOST_SOURCE_DIR; }

inline std::string corpus_path(const std::string& rel) {
  return source_dir() + "/../shared/corpus/" + rel;
}

inline std::string data_path(const std::string& rel) { return source_dir() + "/tests/data/" + rel; }

inline bool corpus_present() {
  struct stat st {};
  return ::stat(corpus_path("README.md").c_str(), &st) == 0;
}

}  // namespace outpost::test

#define OUTPOST_REQUIRE_CORPUS()                                                              \
  do {                                                                                        \
    if (!::outpost::test::corpus_present())                                                   \
      GTEST_SKIP() << "../shared/corpus is absent (expected beside the repository at "        \
                   << ::outpost::test::corpus_path("") << ")";                                \
  } while (0)
