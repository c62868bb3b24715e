#pragma once
// Streaming reader of STIX bundles (2.1 §8, and 2.0 bundles with `spec_version` on the
// bundle), TAXII 2.1 envelopes (§3.7: {"more":..,"next":..,"objects":[..]}) and single STIX
// objects. It runs RapidJSON's SAX Reader over a file stream, so a 100 MB bundle is never a
// document in memory: each object is collected field by field (only the fields an indicator or
// marking-definition needs, each bounded) and handed to a BundleSink when it closes.
//
// Two kinds of failure:
//  - the input as a whole (not JSON, not a bundle/envelope/object, nested too deep, a single
//    JSON token over the limit): read_* returns a ReadStatus with a one-line message naming
//    the input and the byte offset; the sink may already have received objects, which the
//    caller must discard;
//  - one object (missing id or pattern, bad timestamp, wrong JSON type, ...): the sink's
//    on_skipped says which and why, and reading goes on.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "rules/observation.h"

namespace outpost::rules::stix {

inline constexpr TimeUs kNoTime = std::numeric_limits<TimeUs>::min();

struct BundleLimits {
  std::size_t max_depth = 32;                // JSON nesting
  std::size_t max_token_bytes = 1 << 20;     // longest string/number/whitespace run
  std::size_t max_pattern_bytes = 16 << 10;  // longer patterns: object skipped (too_long)
  std::size_t max_id_bytes = 128;            // ids and refs: longer ones skip the object
  std::size_t max_text_bytes = 256;          // name, pattern_type, spec_version...: truncated
  std::size_t max_list_items = 32;           // object_marking_refs beyond it skip the object;
                                             // indicator_types beyond it are dropped
};

// The fields of one indicator object Outpost uses (STIX 2.1 §4.7; 2.0 `labels` are read as
// indicator_types).
struct StixIndicator {
  std::uint64_t object_index = 0;  // position in the input's objects (0 for a bare object)
  std::string id;
  std::string spec_version;        // the object's, else the bundle's when read before the object;
                                   // empty otherwise (use BundleSummary::spec_version)
  std::string pattern;
  std::string pattern_type;        // empty when absent (STIX 2.0)
  TimeUs valid_from = kNoTime;
  TimeUs valid_until = kNoTime;
  TimeUs created = kNoTime;
  TimeUs modified = kNoTime;
  bool revoked = false;
  int confidence = -1;             // 0..100, -1 when absent
  std::string name;
  std::vector<std::string> indicator_types;
  std::vector<std::string> object_marking_refs;
  std::string created_by_ref;
};

// A marking-definition (STIX 2.1 §7.2.1; TLP 1.0 `definition.tlp` and statement markings).
struct MarkingDefinition {
  std::string id;
  std::string name;
  std::string definition_type;  // "tlp", "statement", or empty
  std::string tlp;              // "white", "green", "amber", "red" for TLP markings
  std::string statement;
};

// Why an object was skipped. Fixed width, one name table (object_problem_name).
enum class ObjectProblem : std::uint8_t {
  not_an_object = 0,
  missing_type,
  missing_id,
  bad_id,               // not "<type>--<uuid>"
  missing_pattern,
  wrong_type,           // a field of the wrong JSON type (detail names it)
  bad_timestamp,        // detail names the field
  bad_validity_window,  // valid_until not after valid_from
  bad_confidence,       // not an integer 0..100
  too_long,             // a bounded field over its bound (detail names it)
  too_many_items,       // object_marking_refs over max_list_items
};
std::string_view object_problem_name(ObjectProblem p) noexcept;

class BundleSink {
 public:
  virtual ~BundleSink() = default;
  virtual void on_indicator(StixIndicator&& indicator) = 0;
  virtual void on_marking_definition(MarkingDefinition&& marking) { (void)marking; }
  virtual void on_skipped(std::uint64_t object_index, std::string_view id, ObjectProblem problem,
                          std::string_view detail) {
    (void)object_index, (void)id, (void)problem, (void)detail;
  }
};

enum class InputShape : std::uint8_t { bundle = 0, envelope, object };
std::string_view input_shape_name(InputShape s) noexcept;

struct BundleSummary {
  InputShape shape = InputShape::bundle;
  std::string spec_version;  // the bundle's (STIX 2.0); empty otherwise
  std::uint64_t objects = 0;              // elements of "objects" (1 for a bare object)
  std::uint64_t indicators = 0;           // handed to on_indicator
  std::uint64_t marking_definitions = 0;  // handed to on_marking_definition
  std::uint64_t skipped = 0;              // handed to on_skipped
  bool more = false;                      // TAXII envelope "more"
  std::string next;                       // TAXII envelope "next"
};

struct ReadStatus {
  bool ok = true;
  std::string message;        // "<name>: byte <offset>: <what>" when !ok
  std::uint64_t offset = 0;   // byte offset of the failure
  explicit operator bool() const noexcept { return ok; }
};

// Reads a file (gzip-compressed files are recognised by their magic bytes).
ReadStatus read_bundle_file(const std::string& path, BundleSink& sink, BundleSummary& summary,
                            const BundleLimits& limits = {});
// Reads bytes in memory; `name` appears in messages.
ReadStatus read_bundle_memory(std::string_view name, const char* data, std::size_t size, BundleSink& sink,
                              BundleSummary& summary, const BundleLimits& limits = {});

}  // namespace outpost::rules::stix
