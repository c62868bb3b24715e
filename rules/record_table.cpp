#include "rules/record_table.h"

#include <cstring>

#include "rules/sets/table.h"

namespace outpost::rules {

using sets::get_u16;
using sets::get_u32;
using sets::get_u64;
using sets::put_u16;
using sets::put_u32;
using sets::put_u64;

IndicatorRecord RecordTable::get(std::size_t i) const noexcept {
  IndicatorRecord r;
  if (i >= count_) return r;
  const std::uint8_t* p = data() + i * kRecordBytes;
  std::memcpy(r.uuid, p, 16);
  r.valid_from = static_cast<TimeUs>(get_u64(p + 16));
  r.valid_until = static_cast<TimeUs>(get_u64(p + 24));
  r.version = static_cast<TimeUs>(get_u64(p + 32));
  r.source = get_u32(p + 40);
  r.markings = static_cast<std::int32_t>(get_u32(p + 44));
  r.residual = static_cast<std::int32_t>(get_u32(p + 48));
  r.confidence = static_cast<std::int16_t>(get_u16(p + 52));
  r.flags = get_u16(p + 54);
  return r;
}

bool RecordTable::dead(std::size_t i) const noexcept {
  return i >= count_ || (get_u16(data() + i * kRecordBytes + 54) & IndicatorRecord::kDead) != 0;
}

std::size_t RecordTable::format_id(std::size_t i, char* buf) const noexcept {
  static const char prefix[] = "indicator--";
  static const char hex[] = "0123456789abcdef";
  std::memcpy(buf, prefix, sizeof prefix - 1);
  std::size_t n = sizeof prefix - 1;
  const std::uint8_t* u = i < count_ ? data() + i * kRecordBytes : nullptr;
  for (int k = 0; k < 16; ++k) {
    if (k == 4 || k == 6 || k == 8 || k == 10) buf[n++] = '-';
    const std::uint8_t b = u != nullptr ? u[k] : 0;
    buf[n++] = hex[b >> 4];
    buf[n++] = hex[b & 15];
  }
  return n;
}

void RecordTable::append(const IndicatorRecord& r) {
  if (view_ != nullptr) *this = copy();
  const std::size_t at = owned_.size();
  owned_.resize(at + kRecordBytes);
  std::uint8_t* p = &owned_[at];
  std::memcpy(p, r.uuid, 16);
  put_u64(p + 16, static_cast<std::uint64_t>(r.valid_from));
  put_u64(p + 24, static_cast<std::uint64_t>(r.valid_until));
  put_u64(p + 32, static_cast<std::uint64_t>(r.version));
  put_u32(p + 40, r.source);
  put_u32(p + 44, static_cast<std::uint32_t>(r.markings));
  put_u32(p + 48, static_cast<std::uint32_t>(r.residual));
  put_u16(p + 52, static_cast<std::uint16_t>(r.confidence));
  put_u16(p + 54, r.flags);
  ++count_;
}

void RecordTable::set_dead(std::size_t i) {
  if (i >= count_) return;
  if (view_ != nullptr) *this = copy();
  std::uint8_t* p = &owned_[i * kRecordBytes + 54];
  put_u16(p, static_cast<std::uint16_t>(get_u16(p) | IndicatorRecord::kDead));
}

RecordTable RecordTable::copy() const {
  RecordTable t;
  t.owned_.assign(data(), data() + count_ * kRecordBytes);
  t.count_ = count_;
  return t;
}

bool RecordTable::wrap(const std::uint8_t* block, std::size_t size, std::shared_ptr<const void> keep, RecordTable& out) {
  if (size % kRecordBytes != 0) return false;
  out.owned_.clear();
  out.view_ = size == 0 ? nullptr : block;
  out.keep_ = std::move(keep);
  out.count_ = size / kRecordBytes;
  return true;
}

}  // namespace outpost::rules
