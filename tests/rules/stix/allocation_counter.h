#pragma once
// Counts calls of the global operator new in the test_rules binary (allocation_counter.cpp
// replaces it), so tests can check that a code path does not allocate.

#include <cstddef>

namespace outpost::test {

std::size_t allocation_count() noexcept;

}  // namespace outpost::test
