#pragma once
// The corpus's ground truth (../shared/corpus/truth/<capture>.tsv, see its README): what
// tshark 4.0.17 extracts from each capture, for comparing our observations with.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace outpost::test {

struct TruthRow {
  std::string kind;
  std::string value;          // \t, \r, \n escapes of the TSV decoded
  std::string first_seen;     // frame.time_epoch as written
  std::uint64_t first_frame = 0;
  std::uint64_t packets = 0;
};

// File names of all corpus captures (pcap/MANIFEST.tsv, first column), in manifest order.
std::vector<std::string> corpus_captures();
// Every row of truth/<capture>.tsv (empty if the file is missing).
std::vector<TruthRow> read_truth(const std::string& capture);
// The distinct values of one kind.
std::set<std::string> truth_values(const std::string& capture, const std::string& kind);

// Decodes our DNS presentation escapes (\ddd, \. and \\) back to raw bytes.
std::string unescape_dns_text(const std::string& text);
// Replaces ill-formed UTF-8 the way the truth files show it (tshark 4.0's JSON output: one
// U+FFFD per ill-formed subpart, a lead byte with the continuation bytes it announces).
std::string utf8_sanitize(const std::string& raw);

}  // namespace outpost::test
