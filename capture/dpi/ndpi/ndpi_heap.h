#pragma once
// Accounting of nDPI's heap. nDPI 4.2 lets an application replace its allocator with
// set_ndpi_malloc / set_ndpi_free; we install counting wrappers around malloc/free so the
// agent can report nDPI's fixed cost (the detection module) and its per-flow cost.
//
// The hooks are PROCESS-GLOBAL (nDPI keeps them in static variables): every detection module in
// the process, ours or not, is counted together. They are installed once, before the first
// nDPI allocation, and never removed. The per-flow allocator hooks (set_ndpi_flow_malloc/free)
// are left unset, so nDPI's flow allocations fall through to the counted ndpi_malloc.

#include <cstddef>

namespace outpost::capture::ndpi {

// Idempotent and thread-safe; call before creating a detection module.
void install_heap_hooks() noexcept;

// Bytes nDPI holds right now (malloc_usable_size of each live block) and the most it ever held.
std::size_t heap_in_use() noexcept;
std::size_t heap_peak() noexcept;

}  // namespace outpost::capture::ndpi
