#pragma once
// FragmentReassembler: bounded IPv4 (RFC 791 §3.2) and IPv6 (RFC 8200 §4.5) fragment
// reassembly. All memory is allocated at construction: a fixed number of datagram slots and a
// pool of fixed-size chunks holding fragment bytes. Time comes from packet timestamps only.
//
// Policies (each counted in FragmentCounters):
// - a datagram is identified by (source, destination, protocol, identification) for IPv4
//   (RFC 791 §3.2) and (source, destination, identification) for IPv6 (RFC 8200 §4.5);
// - it times out `timeout` after its first fragment (RFC 8200 §4.5: 60 s; RFC 791 leaves the
//   value to the implementation); expired datagrams are freed when they reach the LRU tail or
//   when their next fragment arrives;
// - when no slot or not enough chunk bytes are free, the least recently used datagrams are
//   evicted; a datagram that cannot fit even alone is dropped (overflow);
// - a fragment whose bytes were all received before is a duplicate and ignored (as Linux does);
// - partially overlapping IPv4 fragments: the first copy of every byte wins;
// - partially overlapping IPv6 fragments discard the whole datagram, and later fragments of it
//   until it times out (RFC 5722 §4);
// - fragments that contradict the datagram's length (a second last fragment with another end,
//   bytes past the end, a non-last fragment not a multiple of 8 bytes, a datagram over 65535
//   bytes) discard the datagram;
// - a datagram split into more than kMaxRanges disjoint pieces at once is discarded.
//
// A completed datagram is written to one buffer owned by the reassembler: a valid IP header
// (IPv4: the first fragment's header with total length set, fragment fields cleared and the
// checksum recomputed; IPv6: the first fragment's fixed header with Payload Length set and Next
// Header taken from the fragment header, the unfragmentable extension headers left out)
// followed by the whole payload. It stays valid until the next call to add().

#include <cstddef>
#include <cstdint>
#include <memory>

#include "rules/observation.h"

namespace outpost::capture {

struct FragmentConfig {
  std::size_t max_datagrams = 64;          // datagrams in progress at once (1 .. 4096)
  std::size_t max_bytes = 256 * 1024;      // fragment bytes held at once (rounded to chunks)
  rules::TimeUs timeout = 30'000'000;      // from the first fragment, in packet time
};

struct FragmentCounters {
  std::uint64_t fragments = 0;        // fragments offered
  std::uint64_t held = 0;             // fragments stored, datagram still incomplete
  std::uint64_t reassembled = 0;      // datagrams completed
  std::uint64_t duplicates = 0;       // fragments whose bytes were all there already
  std::uint64_t overlaps = 0;         // fragments overlapping received bytes only in part
  std::uint64_t timed_out = 0;        // datagrams freed by the timeout
  std::uint64_t evicted = 0;          // datagrams freed to make room (LRU)
  std::uint64_t overflow = 0;         // fragments dropped because the bound was hit
  std::uint64_t bad = 0;              // fragments dropped as inconsistent (see policies)
  std::uint64_t discarded = 0;        // datagrams discarded by a bad or overlapping fragment
  std::uint64_t in_progress = 0;      // datagrams held now
  std::uint64_t bytes_in_use = 0;     // chunk bytes held now
};

// One fragment as the IP decoder found it.
struct Fragment {
  std::uint8_t family = 4;              // 4 or 6
  const std::uint8_t* src = nullptr;    // 4 or 16 bytes
  const std::uint8_t* dst = nullptr;
  std::uint32_t id = 0;                 // IPv4 Identification or IPv6 fragment Identification
  std::uint8_t protocol = 0;            // IPv4 Protocol / Next Header of the IPv6 fragment header
  std::uint32_t offset = 0;             // in bytes
  bool more = false;                    // MF / M flag
  const std::uint8_t* header = nullptr; // IPv4 header (IHL*4 bytes) / IPv6 fixed header (40)
  std::size_t header_len = 0;
  std::size_t unfragmentable_len = 0;   // IPv6: extension header bytes before the fragment header
  const std::uint8_t* data = nullptr;   // fragment payload, all of it captured
  std::size_t data_len = 0;
};

enum class FragmentResult : std::uint8_t {
  held,       // stored; the datagram is not complete yet
  complete,   // the datagram is complete: see the out parameters of add()
  duplicate,  // nothing new in it
  overflow,   // dropped: the memory bound was hit
  bad,        // dropped: inconsistent with the datagram, or the datagram was discarded
};

class FragmentReassembler {
 public:
  static constexpr std::size_t kChunkBytes = 512;
  static constexpr std::size_t kMaxRanges = 16;
  // Largest reassembled datagram: IPv6 fixed header + 65535 bytes of payload.
  static constexpr std::size_t kMaxDatagram = 40 + 65535;

  explicit FragmentReassembler(const FragmentConfig& config = {});
  ~FragmentReassembler();
  FragmentReassembler(const FragmentReassembler&) = delete;
  FragmentReassembler& operator=(const FragmentReassembler&) = delete;

  // Adds one fragment at packet time now. On complete, datagram/datagram_len describe the
  // reassembled datagram in the output buffer.
  FragmentResult add(const Fragment& fragment, rules::TimeUs now, const std::uint8_t*& datagram,
                     std::size_t& datagram_len) noexcept;

  // Frees every datagram whose first fragment is older than the timeout at packet time now.
  void expire(rules::TimeUs now) noexcept;

  const FragmentCounters& counters() const noexcept { return counters_; }
  // The output buffer (for checking that views point into it).
  const std::uint8_t* output_buffer() const noexcept { return output_.get(); }
  std::size_t output_capacity() const noexcept { return kMaxDatagram; }
  // Bytes allocated at construction.
  std::size_t memory_bytes() const noexcept { return memory_bytes_; }

 private:
  struct Datagram;
  static constexpr std::uint16_t kNone = 0xFFFF;

  std::uint16_t find(const std::uint8_t* key, std::size_t bucket) const noexcept;
  std::uint16_t allocate(const std::uint8_t* key, std::size_t bucket, rules::TimeUs now) noexcept;
  void release(std::uint16_t slot) noexcept;
  void free_chunks(Datagram& d) noexcept;
  void touch(std::uint16_t slot) noexcept;
  void link_head(std::uint16_t slot) noexcept;
  void lru_unlink(std::uint16_t slot) noexcept;
  bool reserve_chunks(std::uint16_t slot, std::size_t needed) noexcept;
  std::size_t chunks_needed(const Datagram& d, std::uint32_t begin, std::uint32_t end) const noexcept;
  void store(Datagram& d, std::uint32_t begin, std::uint32_t end, const std::uint8_t* data) noexcept;
  std::size_t assemble(const Datagram& d) noexcept;
  std::size_t bucket_of(const std::uint8_t* key) const noexcept;

  FragmentConfig config_;
  std::size_t slot_count_ = 0;
  std::size_t chunk_count_ = 0;
  std::size_t bucket_mask_ = 0;
  std::unique_ptr<Datagram[]> slots_;
  std::unique_ptr<std::uint16_t[]> buckets_;
  std::unique_ptr<std::uint8_t[]> pool_;
  std::unique_ptr<std::uint16_t[]> free_chunk_stack_;
  std::size_t free_chunk_top_ = 0;
  std::unique_ptr<std::uint8_t[]> output_;
  std::uint16_t free_slot_head_ = kNone;
  std::uint16_t lru_head_ = kNone;  // most recently used
  std::uint16_t lru_tail_ = kNone;
  std::size_t memory_bytes_ = 0;
  FragmentCounters counters_;
};

}  // namespace outpost::capture
