#include "rules/match_context.h"

#include <algorithm>
#include <cstring>

namespace outpost::rules {

namespace {
std::uint64_t device_key(const Device& d) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  };
  const auto kind = static_cast<std::uint8_t>(d.kind);
  mix(&kind, 1);
  if (d.kind == Device::Kind::mac) mix(d.mac, 6);
  if (d.kind == Device::Kind::ip) {
    mix(&d.ip.family, 1);
    mix(d.ip.bytes, d.ip.family == 4 ? 4 : 16);
  }
  return h;
}
}  // namespace

MatchContext::MatchContext(std::size_t max_keys, std::size_t entries_per_key)
    : max_keys_(std::max<std::size_t>(max_keys, 1)),
      per_key_(std::min(std::max<std::size_t>(entries_per_key, 1), kMaxEntriesPerKey)),
      keys_(max_keys_),
      entries_(max_keys_ * per_key_) {}

std::size_t MatchContext::memory_bytes() const noexcept {
  return keys_.capacity() * sizeof(Key) + entries_.capacity() * sizeof(Entry) + objects_.tree().capacity_bytes();
}

const MatchContext::Entry* MatchContext::record(const std::uint8_t uuid[16], const Device& device, TimeUs ts,
                                                std::uint64_t leaves, std::size_t& count) {
  const std::uint64_t dev = device_key(device);
  ++clock_;
  // The key's slot, else a free one, else the least recently used (a linear pass: this runs
  // only when an observation satisfies part of a multi-observation pattern).
  std::size_t at = max_keys_, free_at = max_keys_, lru = 0;
  for (std::size_t i = 0; i < max_keys_; ++i) {
    const Key& k = keys_[i];
    if (k.count == 0) {
      if (free_at == max_keys_) free_at = i;
      continue;
    }
    if (k.device == dev && std::memcmp(k.uuid, uuid, 16) == 0) {
      at = i;
      break;
    }
    if (keys_[lru].count == 0 || k.last_use < keys_[lru].last_use) lru = i;
  }
  if (at == max_keys_) {
    at = free_at;
    if (at == max_keys_) {
      at = lru;
      ++stats_.history_key_evictions;
    }
    Key& k = keys_[at];
    std::memcpy(k.uuid, uuid, 16);
    k.device = dev;
    k.count = 0;
  }
  Key& k = keys_[at];
  k.last_use = clock_;
  Entry* e = &entries_[at * per_key_];
  if (k.count == per_key_) {
    std::memmove(e, e + 1, (per_key_ - 1) * sizeof(Entry));
    --k.count;
    ++stats_.history_entry_drops;
  }
  e[k.count++] = Entry{ts, leaves};
  ++stats_.history_records;
  count = k.count;
  return e;
}

}  // namespace outpost::rules
