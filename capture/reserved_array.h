#pragma once
// ReservedArray<T>: a fixed-capacity array reserved at construction whose pages the kernel
// commits only when first written. A large calloc() is served by fresh anonymous mappings,
// which read as zero without being resident; so a 65,536-flow table costs resident memory in
// proportion to the flows actually seen, and peak RSS stays flat once the cap is reached.
//
// T must be trivially copyable and trivially destructible, and all-zero bytes must be a valid
// (empty) T: callers assign a fresh T before first use of an element.

#include <cstddef>
#include <cstdlib>
#include <new>
#include <type_traits>

namespace outpost::capture {

template <class T>
class ReservedArray {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>,
                "ReservedArray holds plain data only");

 public:
  explicit ReservedArray(std::size_t n)
      : data_(static_cast<T*>(std::calloc(n == 0 ? 1 : n, sizeof(T)))), size_(n) {
    if (data_ == nullptr) throw std::bad_alloc();
  }
  ~ReservedArray() { std::free(data_); }
  ReservedArray(const ReservedArray&) = delete;
  ReservedArray& operator=(const ReservedArray&) = delete;

  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  std::size_t size() const noexcept { return size_; }
  std::size_t bytes() const noexcept { return size_ * sizeof(T); }

 private:
  T* data_;
  std::size_t size_;
};

}  // namespace outpost::capture
