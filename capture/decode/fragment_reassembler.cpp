#include "capture/decode/fragment_reassembler.h"

#include <algorithm>
#include <cstring>

#include "capture/decode/wire.h"

namespace outpost::capture {

namespace {

// Key bytes: family, protocol (IPv4 only), identification (4, big-endian), source (16),
// destination (16), padding to a multiple of 8.
constexpr std::size_t kKeyBytes = 40;
constexpr std::size_t kMaxPayload = 65535;
constexpr std::size_t kChunksPerDatagram =
    (kMaxPayload + FragmentReassembler::kChunkBytes - 1) / FragmentReassembler::kChunkBytes;
constexpr std::size_t kMaxSlots = 4096;
constexpr std::size_t kMaxChunks = 0xFFFE;

void make_key(const Fragment& f, std::uint8_t* key) noexcept {
  std::memset(key, 0, kKeyBytes);
  key[0] = f.family;
  // RFC 791 §3.2 includes the protocol; RFC 8200 §4.5 does not (it may differ between
  // fragments only in the first one's Next Header, which is taken from that fragment).
  key[1] = f.family == 4 ? f.protocol : 0;
  key[2] = static_cast<std::uint8_t>(f.id >> 24);
  key[3] = static_cast<std::uint8_t>(f.id >> 16);
  key[4] = static_cast<std::uint8_t>(f.id >> 8);
  key[5] = static_cast<std::uint8_t>(f.id);
  const std::size_t n = f.family == 4 ? 4 : 16;
  std::memcpy(key + 6, f.src, n);
  std::memcpy(key + 22, f.dst, n);
}

bool expired(rules::TimeUs first_seen, rules::TimeUs now, rules::TimeUs timeout) noexcept {
  // Packet time may step backwards between captures; such a datagram is not expired.
  return now > first_seen && now - first_seen > timeout;
}

// RFC 1071 one's-complement sum over the IPv4 header.
std::uint16_t ipv4_checksum(const std::uint8_t* h, std::size_t len) noexcept {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < len; i += 2) sum += wire::be16(h + i);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

}  // namespace

struct FragmentReassembler::Datagram {
  struct Range {
    std::uint32_t begin, end;
  };
  std::uint8_t key[kKeyBytes];
  rules::TimeUs first_seen;
  std::uint32_t end;            // payload length, known once the last fragment arrived
  bool have_end;
  bool have_header;
  bool discarding;              // RFC 5722: drop every fragment of it until it times out
  std::uint8_t header_len;
  std::uint8_t next_header;     // IPv6: Next Header of the first fragment's fragment header
  std::uint8_t range_count;
  std::uint8_t header[60];
  Range ranges[kMaxRanges];     // received payload bytes, sorted, disjoint, not adjacent
  std::uint16_t prev, next, hash_next;
  std::uint16_t chunk_limit;    // chunks[0, chunk_limit) are initialised
  std::uint16_t chunks[kChunksPerDatagram];
};

FragmentReassembler::FragmentReassembler(const FragmentConfig& config) : config_(config) {
  slot_count_ = std::min(std::max<std::size_t>(config.max_datagrams, 1), kMaxSlots);
  chunk_count_ = std::min(std::max<std::size_t>(config.max_bytes / kChunkBytes, 1), kMaxChunks);
  std::size_t buckets = 1;
  while (buckets < slot_count_ * 2) buckets <<= 1;
  bucket_mask_ = buckets - 1;

  slots_.reset(new Datagram[slot_count_]);
  buckets_.reset(new std::uint16_t[buckets]);
  pool_.reset(new std::uint8_t[chunk_count_ * kChunkBytes]);
  free_chunk_stack_.reset(new std::uint16_t[chunk_count_]);
  output_.reset(new std::uint8_t[kMaxDatagram]);
  memory_bytes_ = slot_count_ * sizeof(Datagram) + buckets * sizeof(std::uint16_t) +
                  chunk_count_ * (kChunkBytes + sizeof(std::uint16_t)) + kMaxDatagram;

  std::fill_n(buckets_.get(), buckets, kNone);
  for (std::size_t i = 0; i < chunk_count_; ++i)
    free_chunk_stack_[i] = static_cast<std::uint16_t>(chunk_count_ - 1 - i);
  free_chunk_top_ = chunk_count_;
  for (std::size_t i = 0; i < slot_count_; ++i) {
    slots_[i].next = i + 1 < slot_count_ ? static_cast<std::uint16_t>(i + 1) : kNone;
    slots_[i].chunk_limit = 0;
  }
  free_slot_head_ = 0;
}

FragmentReassembler::~FragmentReassembler() = default;

std::size_t FragmentReassembler::bucket_of(const std::uint8_t* key) const noexcept {
  std::uint64_t h = 0x243F6A8885A308D3ull;
  for (std::size_t i = 0; i < kKeyBytes; i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, key + i, 8);
    h = (h ^ w) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
  }
  return static_cast<std::size_t>(h) & bucket_mask_;
}

std::uint16_t FragmentReassembler::find(const std::uint8_t* key, std::size_t bucket) const noexcept {
  for (std::uint16_t s = buckets_[bucket]; s != kNone; s = slots_[s].hash_next)
    if (std::memcmp(slots_[s].key, key, kKeyBytes) == 0) return s;
  return kNone;
}

void FragmentReassembler::lru_unlink(std::uint16_t slot) noexcept {
  Datagram& d = slots_[slot];
  if (d.prev != kNone) slots_[d.prev].next = d.next; else lru_head_ = d.next;
  if (d.next != kNone) slots_[d.next].prev = d.prev; else lru_tail_ = d.prev;
  d.prev = d.next = kNone;
}

void FragmentReassembler::touch(std::uint16_t slot) noexcept {
  if (lru_head_ == slot) return;
  lru_unlink(slot);
  link_head(slot);
}

void FragmentReassembler::link_head(std::uint16_t slot) noexcept {
  Datagram& d = slots_[slot];
  d.prev = kNone;
  d.next = lru_head_;
  if (lru_head_ != kNone) slots_[lru_head_].prev = slot;
  lru_head_ = slot;
  if (lru_tail_ == kNone) lru_tail_ = slot;
}

void FragmentReassembler::free_chunks(Datagram& d) noexcept {
  for (std::size_t i = 0; i < d.chunk_limit; ++i) {
    if (d.chunks[i] == kNone) continue;
    free_chunk_stack_[free_chunk_top_++] = d.chunks[i];
    d.chunks[i] = kNone;
    counters_.bytes_in_use -= kChunkBytes;
  }
  d.chunk_limit = 0;
}

void FragmentReassembler::release(std::uint16_t slot) noexcept {
  Datagram& d = slots_[slot];
  const std::size_t b = bucket_of(d.key);
  std::uint16_t* link = &buckets_[b];
  while (*link != kNone && *link != slot) link = &slots_[*link].hash_next;
  if (*link == slot) *link = d.hash_next;
  lru_unlink(slot);
  free_chunks(d);
  d.next = free_slot_head_;
  free_slot_head_ = slot;
  --counters_.in_progress;
}

std::uint16_t FragmentReassembler::allocate(const std::uint8_t* key, std::size_t bucket,
                                            rules::TimeUs now) noexcept {
  if (free_slot_head_ == kNone) {
    ++counters_.evicted;
    release(lru_tail_);  // never kNone here: every slot is in use
  }
  const std::uint16_t slot = free_slot_head_;
  Datagram& d = slots_[slot];
  free_slot_head_ = d.next;
  std::memcpy(d.key, key, kKeyBytes);
  d.first_seen = now;
  d.end = 0;
  d.have_end = d.have_header = d.discarding = false;
  d.header_len = 0;
  d.next_header = 0;
  d.range_count = 0;
  d.chunk_limit = 0;
  d.prev = d.next = kNone;
  d.hash_next = buckets_[bucket];
  buckets_[bucket] = slot;
  link_head(slot);
  ++counters_.in_progress;
  return slot;
}

void FragmentReassembler::expire(rules::TimeUs now) noexcept {
  while (lru_tail_ != kNone && expired(slots_[lru_tail_].first_seen, now, config_.timeout)) {
    ++counters_.timed_out;
    release(lru_tail_);
  }
}

std::size_t FragmentReassembler::chunks_needed(const Datagram& d, std::uint32_t begin,
                                               std::uint32_t end) const noexcept {
  std::size_t needed = 0;
  for (std::size_t i = begin / kChunkBytes; i <= (end - 1) / kChunkBytes; ++i)
    if (i >= d.chunk_limit || d.chunks[i] == kNone) ++needed;
  return needed;
}

bool FragmentReassembler::reserve_chunks(std::uint16_t slot, std::size_t needed) noexcept {
  if (needed > chunk_count_) return false;
  while (free_chunk_top_ < needed) {
    std::uint16_t victim = lru_tail_;
    if (victim == slot) victim = slots_[victim].prev;
    if (victim == kNone) return false;
    ++counters_.evicted;
    release(victim);
  }
  return true;
}

// Copies data (the bytes of [begin, end)) into the chunks, skipping bytes already received:
// the first copy of every byte wins.
void FragmentReassembler::store(Datagram& d, std::uint32_t begin, std::uint32_t end,
                                const std::uint8_t* data) noexcept {
  const std::size_t last_chunk = (end - 1) / kChunkBytes;
  while (d.chunk_limit <= last_chunk) d.chunks[d.chunk_limit++] = kNone;
  for (std::size_t i = begin / kChunkBytes; i <= last_chunk; ++i) {
    if (d.chunks[i] != kNone) continue;
    d.chunks[i] = free_chunk_stack_[--free_chunk_top_];
    counters_.bytes_in_use += kChunkBytes;
  }
  std::uint32_t pos = begin;
  std::size_t r = 0;
  while (pos < end) {
    while (r < d.range_count && d.ranges[r].end <= pos) ++r;
    std::uint32_t gap_end = end;
    if (r < d.range_count) {
      if (d.ranges[r].begin <= pos) {  // pos is inside a received range
        pos = d.ranges[r].end;
        continue;
      }
      gap_end = std::min(end, d.ranges[r].begin);
    }
    while (pos < gap_end) {
      const std::size_t in_chunk = pos % kChunkBytes;
      const std::size_t n = std::min<std::size_t>(gap_end - pos, kChunkBytes - in_chunk);
      std::memcpy(pool_.get() + std::size_t{d.chunks[pos / kChunkBytes]} * kChunkBytes + in_chunk,
                  data + (pos - begin), n);
      pos += static_cast<std::uint32_t>(n);
    }
  }
}

std::size_t FragmentReassembler::assemble(const Datagram& d) noexcept {
  std::uint8_t* out = output_.get();
  std::memcpy(out, d.header, d.header_len);
  if ((d.key[0]) == 4) {
    // RFC 791 §3.2: the reassembled datagram carries the first fragment's header; its total
    // length covers the whole payload and it is no longer a fragment.
    wire::put_be16(out + 2, static_cast<std::uint16_t>(d.header_len + d.end));
    out[6] = 0;
    out[7] = 0;
    out[10] = 0;
    out[11] = 0;
    wire::put_be16(out + 10, ipv4_checksum(out, d.header_len));
  } else {
    // RFC 8200 §4.5: Payload Length of the reassembled packet and the Next Header of the first
    // fragment's fragment header; our copy leaves out the unfragmentable extension headers.
    wire::put_be16(out + 4, static_cast<std::uint16_t>(d.end));
    out[6] = d.next_header;
  }
  std::uint8_t* p = out + d.header_len;
  for (std::uint32_t pos = 0; pos < d.end;) {
    const std::size_t n = std::min<std::size_t>(d.end - pos, kChunkBytes);
    std::memcpy(p + pos, pool_.get() + std::size_t{d.chunks[pos / kChunkBytes]} * kChunkBytes, n);
    pos += static_cast<std::uint32_t>(n);
  }
  return d.header_len + d.end;
}

FragmentResult FragmentReassembler::add(const Fragment& f, rules::TimeUs now,
                                        const std::uint8_t*& datagram,
                                        std::size_t& datagram_len) noexcept {
  ++counters_.fragments;
  datagram = nullptr;
  datagram_len = 0;
  expire(now);

  const bool v4 = f.family == 4;
  if ((!v4 && f.family != 6) || f.src == nullptr || f.dst == nullptr || f.header == nullptr ||
      (v4 ? (f.header_len < 20 || f.header_len > 60) : f.header_len != 40) ||
      (f.data == nullptr && f.data_len != 0)) {
    ++counters_.bad;
    return FragmentResult::bad;
  }
  const std::uint64_t end = std::uint64_t{f.offset} + f.data_len;
  // RFC 8200 §4.5 and RFC 791 §3.2: every fragment but the last carries a multiple of 8 bytes.
  const bool misaligned = f.more && (f.data_len == 0 || f.data_len % 8 != 0);
  // RFC 791 §3.1: Total Length is 16 bits; RFC 8200 §4.5: the reassembled Payload Length
  // (unfragmentable part + fragmentable part) may not exceed 65535.
  const std::uint64_t limit = v4 ? kMaxPayload - f.header_len : kMaxPayload - std::min<std::size_t>(f.unfragmentable_len, kMaxPayload);
  if (misaligned || end > limit || f.offset % 8 != 0) {
    ++counters_.bad;
    return FragmentResult::bad;
  }
  const std::uint32_t begin32 = f.offset;
  const std::uint32_t end32 = static_cast<std::uint32_t>(end);

  std::uint8_t key[kKeyBytes];
  make_key(f, key);
  const std::size_t bucket = bucket_of(key);
  std::uint16_t slot = find(key, bucket);
  if (slot != kNone && expired(slots_[slot].first_seen, now, config_.timeout)) {
    ++counters_.timed_out;
    release(slot);
    slot = kNone;
  }
  if (slot == kNone) slot = allocate(key, bucket, now);
  Datagram& d = slots_[slot];

  auto discard = [&]() {
    ++counters_.bad;
    ++counters_.discarded;
    free_chunks(d);
    d.range_count = 0;
    d.discarding = true;
    return FragmentResult::bad;
  };

  if (d.discarding) {
    ++counters_.bad;
    return FragmentResult::bad;
  }
  // The datagram's end must agree with every fragment (RFC 791 §3.2 reassembly, RFC 8200 §4.5).
  if (!f.more) {
    if (d.have_end && d.end != end32) return discard();
    if (d.range_count != 0 && d.ranges[d.range_count - 1].end > end32) return discard();
  } else if (d.have_end && end32 > d.end) {
    return discard();
  }

  // How much of [begin, end) was received before.
  std::uint64_t covered = 0;
  for (std::size_t r = 0; r < d.range_count; ++r) {
    const std::uint32_t b = std::max(d.ranges[r].begin, begin32);
    const std::uint32_t e = std::min(d.ranges[r].end, end32);
    if (b < e) covered += e - b;
  }
  const bool duplicate = end32 > begin32 && covered == end32 - begin32;
  if (covered != 0 && !duplicate) {
    ++counters_.overlaps;
    if (!v4) return discard();  // RFC 5722 §4
  }

  if (end32 > begin32 && !duplicate) {
    // The merged range list must stay within kMaxRanges.
    std::size_t merged_away = 0;
    for (std::size_t r = 0; r < d.range_count; ++r)
      if (d.ranges[r].end >= begin32 && d.ranges[r].begin <= end32) ++merged_away;
    if (d.range_count + 1 - merged_away > kMaxRanges) return discard();

    if (!reserve_chunks(slot, chunks_needed(d, begin32, end32))) {
      ++counters_.overflow;
      release(slot);
      return FragmentResult::overflow;
    }
    store(d, begin32, end32, f.data);

    // Insert [begin, end) and merge what touches it.
    Datagram::Range merged{begin32, end32};
    std::size_t out = 0;
    bool inserted = false;
    Datagram::Range next[kMaxRanges];
    for (std::size_t r = 0; r < d.range_count; ++r) {
      const Datagram::Range cur = d.ranges[r];
      if (cur.end < merged.begin) {
        next[out++] = cur;
      } else if (cur.begin > merged.end) {
        if (!inserted) {
          next[out++] = merged;
          inserted = true;
        }
        next[out++] = cur;
      } else {
        merged.begin = std::min(merged.begin, cur.begin);
        merged.end = std::max(merged.end, cur.end);
      }
    }
    if (!inserted) next[out++] = merged;
    std::copy(next, next + out, d.ranges);
    d.range_count = static_cast<std::uint8_t>(out);
  }

  if (!f.more) {
    d.have_end = true;
    d.end = end32;
  }
  if (f.offset == 0 && !d.have_header) {
    std::memcpy(d.header, f.header, f.header_len);
    d.header_len = static_cast<std::uint8_t>(f.header_len);
    d.next_header = f.protocol;
    d.have_header = true;
  }
  touch(slot);

  const bool complete = d.have_end && d.have_header &&
                        (d.end == 0 || (d.range_count == 1 && d.ranges[0].begin == 0 &&
                                        d.ranges[0].end == d.end));
  if (complete) {
    datagram_len = assemble(d);
    datagram = output_.get();
    ++counters_.reassembled;
    release(slot);
    return FragmentResult::complete;
  }
  if (duplicate) {
    ++counters_.duplicates;
    return FragmentResult::duplicate;
  }
  ++counters_.held;
  return FragmentResult::held;
}

}  // namespace outpost::capture
