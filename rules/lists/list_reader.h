#pragma once
// Plain indicator lists: one value per line (gzip read transparently), `#` comments and blank
// lines skipped, CRLF tolerated, an optional trailing `# comment` after the value. A list is
// typed as a whole by a `KIND:FILE` argument, or each line by its form (classify_list_value).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "rules/indicator_value.h"

namespace outpost::rules::lists {

inline constexpr std::size_t kMaxLineLength = 4096;  // longer lines are refused (counted)

// `[KIND:]FILE`. Only a known KIND before the first ':' counts as a prefix, so a path that
// itself contains ':' ("./a:b.txt", "/data/ti:2024/x") is read as a path.
struct ListSpec {
  std::optional<IndicatorType> kind;
  std::string path;
};
ListSpec parse_list_spec(std::string_view argument);

// Types a value by its form: IPv4/IPv6 address or CIDR; `address:port` or `[v6]:port` is
// ip_port; `scheme://...` or `host/path` is url; 32/40/64 hex digits are md5/sha1/sha256 (so JA3 and
// certificate lists need their KIND prefix); else a domain if it is a DNS name with at least
// two labels and a non-numeric last label. Returns false when none fits.
bool classify_list_value(std::string_view value, IndicatorType& out) noexcept;

// What one line holds.
enum class LineKind : std::uint8_t { value = 0, skip, invalid };
struct ListLine {
  LineKind kind = LineKind::skip;
  std::string_view value;   // for LineKind::value: the value, trimmed
  std::string_view reason;  // for LineKind::invalid
};
// Splits one raw line (without '\n'; a trailing '\r' is dropped).
ListLine split_list_line(std::string_view line) noexcept;

// Reads `path` (plain or gzip) line by line. on_line(line_number, line, too_long) is called for
// every line; too_long lines are cut at kMaxLineLength. Returns an empty string on success, or
// a one-line error ("<path>: cannot open: ...", "<path>: gzip: ...").
std::string read_list_file(const std::string& path,
                           const std::function<void(std::uint64_t, std::string_view, bool)>& on_line);
// The same over bytes in memory.
void read_list_memory(std::string_view text,
                      const std::function<void(std::uint64_t, std::string_view, bool)>& on_line);

// Whether a file's first non-blank byte (after decompression and a UTF-8 BOM) is '{', i.e. it
// is JSON (a bundle) rather than a list. Empty string on success, else an error.
std::string sniff_json(const std::string& path, bool& is_json);

}  // namespace outpost::rules::lists
