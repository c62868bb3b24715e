#pragma once
// The STIX indicators of an IndicatorSet: one fixed-size little-endian record per indicator,
// the same bytes in memory and in a compiled set file (rules/set_file.h), read field by field
// (no unaligned loads, same result on big- and little-endian CPUs). Set entries name a record
// by its index (EntryOwner); plain-list entries need no record.
//
//   offset  size  field
//        0    16  uuid of "indicator--<uuid>"
//       16     8  valid_from   (µs since the epoch, i64; INT64_MIN = none)
//       24     8  valid_until  (i64; INT64_MIN = none)
//       32     8  version time: modified, else created (i64)
//       40     4  source index (u32)
//       44     4  marking set index (i32, -1 = none)
//       48     4  residual pattern index (i32, -1 = none: the set entries say it all)
//       52     2  confidence (i16, -1 = none)
//       54     2  flags (u16): bit 0 dead (superseded or revoked by a live update),
//                  bit 1 domain entries also match the names below them

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "rules/observation.h"

namespace outpost::rules {

struct IndicatorRecord {
  std::uint8_t uuid[16] = {};
  TimeUs valid_from = INT64_MIN;
  TimeUs valid_until = INT64_MIN;
  TimeUs version = INT64_MIN;
  std::uint32_t source = 0;
  std::int32_t markings = -1;
  std::int32_t residual = -1;
  std::int16_t confidence = -1;
  std::uint16_t flags = 0;
  static constexpr std::uint16_t kDead = 1;
  static constexpr std::uint16_t kDomainsBelow = 2;
};

class RecordTable {
 public:
  static constexpr std::size_t kRecordBytes = 56;

  std::size_t size() const noexcept { return count_; }
  IndicatorRecord get(std::size_t i) const noexcept;
  bool dead(std::size_t i) const noexcept;
  // "indicator--<uuid>" of record i into buf (47 bytes); returns the length.
  std::size_t format_id(std::size_t i, char* buf) const noexcept;

  // Building (owned bytes only).
  void append(const IndicatorRecord& r);
  void set_dead(std::size_t i);
  void reserve(std::size_t n) { owned_.reserve(n * kRecordBytes); }
  // A copy that owns its bytes (for a live update that appends or kills records).
  RecordTable copy() const;
  // Wraps records of a set file; false if the size is not a whole number of records.
  static bool wrap(const std::uint8_t* block, std::size_t size, std::shared_ptr<const void> keep, RecordTable& out);

  const std::uint8_t* block() const noexcept { return data(); }
  std::size_t block_size() const noexcept { return count_ * kRecordBytes; }
  std::size_t memory_bytes() const noexcept { return owned_.capacity(); }

 private:
  const std::uint8_t* data() const noexcept { return view_ != nullptr ? view_ : owned_.data(); }
  std::vector<std::uint8_t> owned_;
  const std::uint8_t* view_ = nullptr;
  std::shared_ptr<const void> keep_;
  std::size_t count_ = 0;
};

}  // namespace outpost::rules
