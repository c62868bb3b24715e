#include "capture/dpi/ndpi/ndpi_heap.h"

#include <malloc.h>

#include <atomic>
#include <cstdlib>

#include <ndpi_api.h>

namespace outpost::capture::ndpi {

namespace {

// Sizes come from malloc_usable_size rather than a size header in front of each block: nDPI
// 4.2 frees a few blocks it got from plain strdup() with ndpi_free() (trusted issuer DNs), and
// a header would turn that into heap corruption; with usable sizes it only skews the count.
std::atomic<std::size_t> g_in_use{0};
std::atomic<std::size_t> g_peak{0};

void add(std::size_t n) noexcept {
  const std::size_t now = g_in_use.fetch_add(n, std::memory_order_relaxed) + n;
  std::size_t peak = g_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

void sub(std::size_t n) noexcept {
  // Saturate: a block allocated before the hooks were installed may be freed through them.
  std::size_t cur = g_in_use.load(std::memory_order_relaxed);
  std::size_t next;
  do {
    next = cur > n ? cur - n : 0;
  } while (!g_in_use.compare_exchange_weak(cur, next, std::memory_order_relaxed));
}

void* counting_malloc(std::size_t size) {
  void* p = std::malloc(size);
  if (p != nullptr) add(malloc_usable_size(p));
  return p;
}

void counting_free(void* p) {
  if (p == nullptr) return;
  sub(malloc_usable_size(p));
  std::free(p);
}

}  // namespace

void install_heap_hooks() noexcept {
  static const bool installed = [] {
    set_ndpi_malloc(counting_malloc);
    set_ndpi_free(counting_free);
    return true;
  }();
  (void)installed;
}

std::size_t heap_in_use() noexcept { return g_in_use.load(std::memory_order_relaxed); }
std::size_t heap_peak() noexcept { return g_peak.load(std::memory_order_relaxed); }

}  // namespace outpost::capture::ndpi
