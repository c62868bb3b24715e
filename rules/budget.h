#pragma once
// One memory budget for everything an indicator set allocates (arenas, tables, records). Set
// modules ask before they grow; when the budget says no, the entry being added is dropped and
// counted (AddResult::budget_exhausted), and what was loaded so far stays usable. See
// rules/README.md, "When a bound is hit".

#include <cstddef>
#include <cstdint>

namespace outpost::rules {

class MemoryBudget {
 public:
  // limit_bytes = 0: no limit (the bytes are still counted).
  explicit MemoryBudget(std::size_t limit_bytes = 0) noexcept : limit_(limit_bytes) {}

  // Accounts a change of an allocation from old_bytes to new_bytes. Growth beyond the limit
  // is refused (returns false, nothing accounted, refusals() counts it); shrinking always
  // succeeds.
  bool resize(std::size_t old_bytes, std::size_t new_bytes) noexcept {
    if (new_bytes <= old_bytes) {
      used_ -= old_bytes - new_bytes;
      return true;
    }
    const std::size_t grow = new_bytes - old_bytes;
    if (limit_ != 0 && (grow > limit_ || used_ > limit_ - grow)) {
      ++refusals_;
      return false;
    }
    used_ += grow;
    if (used_ > peak_) peak_ = used_;
    return true;
  }

  // Accounts a change that has already been decided (e.g. the final size of something whose
  // growth was approved piecemeal): never refused, may leave used() above the limit.
  void adjust(std::size_t old_bytes, std::size_t new_bytes) noexcept {
    used_ = used_ - old_bytes + new_bytes;
    if (used_ > peak_) peak_ = used_;
  }

  std::size_t limit() const noexcept { return limit_; }
  std::size_t used() const noexcept { return used_; }
  std::size_t peak() const noexcept { return peak_; }
  std::uint64_t refusals() const noexcept { return refusals_; }

 private:
  std::size_t limit_;
  std::size_t used_ = 0;
  std::size_t peak_ = 0;
  std::uint64_t refusals_ = 0;
};

}  // namespace outpost::rules
