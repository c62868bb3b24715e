#pragma once
// Compiled indicator set files: an IndicatorSet written once (`outpost-rules compile`) and
// mapped by the agent at start without parsing STIX or lists again. The sets' shards and the
// STIX records are stored as the very blocks lookups read (rules/sets/table.h,
// rules/record_table.h), so loading is mmap + checks + a checksum pass; the mapped pages are
// the set (no heap copy). All integers little-endian, so a file written on x86-64 reads the
// same on big-endian MIPS or s390x.
//
//   offset  size  field (format version 2: IPv4 single addresses in a family of their own)
//        0     8  magic 4f 50 53 45 54 0d 0a 1a ("OPSET\r\n\x1a": catches text-mode copies)
//        8     4  format version (2)
//       12     4  header size (64)
//       16     8  file size
//       24     4  section count
//       28     4  CRC-32 (zlib) of bytes [64 + 40 * section count, file size)
//       32     8  written at (µs since the epoch)
//       40    20  zero
//       60     4  CRC-32 of bytes [0, 60) and of the section table
//       64  40*n  section table, one entry per section:
//                   u16 kind, u8 indicator type, u8 family, u16 shard, u8 layout,
//                   u8 owner code width, u32 count, u32 capacity, u32 key size,
//                   u32 owners, u64 offset, u64 size (the shape of rules/sets/table.h)
//        …        sections, each at an offset that is a multiple of 8:
//                   kind 1 meta (sources, lists, markings, residual patterns, per-type shard
//                          bits and module state, load statistics), kind 2 STIX records,
//                   kind 3 a shard of a type's set, kind 4 the uuid -> record index.
//
// The same inputs give the same bytes (apart from the write time and the header checksum), so
// set files can be compared and reproduced. A file that is truncated, has a bad magic/version/size/checksum, or whose sections do not
// fit is refused as a whole with a one-line message; nothing of it is used.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rules/indicator_set.h"

namespace outpost::rules {

inline constexpr std::uint32_t kSetFileVersion = 2;

struct SetFileOptions {
  bool verify_checksum = true;  // off only for fuzzing the structural checks behind it
  // The image is a private read-only file mapping (set by load()): when a live update has
  // replaced a shard (or the records, or the id index) and no snapshot holds the old one any
  // more, its whole pages are given back with madvise(MADV_DONTNEED). The mapping stays
  // valid (a page read again is read from the file again), so this only lowers resident
  // memory: without it a merged shard would count twice, in the heap and in the page cache.
  bool release_dropped_pages = false;
};

class SetFile {
 public:
  // Writes `set` to `path` atomically (a temporary file renamed into place). Returns an empty
  // string on success, else a one-line error naming the file.
  static std::string write(const IndicatorSet& set, const std::string& path);
  // The file's bytes, for tests and tools.
  static std::string serialise(const IndicatorSet& set);

  // Maps `path` (read-only; a pipe or other non-file is read into memory instead).
  static std::unique_ptr<IndicatorSet> load(const std::string& path, LoadStatus& status,
                                            const SetFileOptions& options = {});
  // Reads an image in memory; `keep` owns `data` (the set refers to it).
  static std::unique_ptr<IndicatorSet> load_image(std::string_view name, const std::uint8_t* data, std::size_t size,
                                                  std::shared_ptr<const void> keep, LoadStatus& status,
                                                  const SetFileOptions& options = {});
  // Whether a file starts with the magic (for `--indicators` to tell set files from lists).
  static bool sniff(const std::string& path);
};

// What the agent's and the tool's `--indicators` take: a single compiled set is mapped as it
// is (the fast path); anything else (lists, bundles, several inputs, compiled sets among them)
// goes through an IndicatorSetBuilder. On failure returns null and `status` names the input.
std::unique_ptr<IndicatorSet> load_indicators(const std::vector<std::string>& specs, const LoadOptions& options,
                                              LoadStatus& status, const ListOptions& list_options = {});

}  // namespace outpost::rules
