#pragma once
// ObjectTree: the observed objects a STIX pattern is evaluated against (pattern_eval.h), as a
// JSON-like tree in flat vectors: null, bool, int64, double, UTF-8 string, binary bytes, list,
// object. Children are linked by first_child / next_sibling indices; list elements have an
// empty key.
//
// Strings and keys are NOT copied: the caller keeps them alive while the tree is evaluated
// (the runtime builds one tree per network observation from views it owns). own() copies text
// into the tree's arena for callers that do not own stable storage (tests, JSON readers).
// clear() keeps every buffer, so a tree reused for each observation stops allocating once it
// has seen its largest observation.
//
// STIX 2.1 §9 (Patterning, binary properties): a string property whose name ends in `_hex` or `_bin` holds
// hex or base64 binary, and patterns compare it as bytes. add_string() decodes such values
// once, into the arena; a value that does not decode is kept and flagged, and the evaluator
// reports an error when a pattern reaches it (as the reference matcher does).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace outpost::rules::stix {

using NodeId = std::uint32_t;
inline constexpr NodeId kNone = 0xffffffffu;

enum class ValueKind : std::uint8_t { null = 0, boolean, integer, floating, string, binary, list, object };
std::string_view value_kind_name(ValueKind k) noexcept;

class ObjectTree {
 public:
  struct Node {
    ValueKind kind = ValueKind::null;
    bool boolean = false;
    // string under a *_hex / *_bin key: 1 = `bytes` holds the decoded value, 2 = it does not decode
    std::uint8_t encoded = 0;
    NodeId parent = kNone;
    NodeId first_child = kNone;
    NodeId last_child = kNone;
    NodeId next_sibling = kNone;
    std::uint32_t child_count = 0;
    std::int64_t integer = 0;
    double floating = 0;
    std::string_view key;
    std::string_view text;   // string: the UTF-8 text; binary: the bytes
    std::string_view bytes;  // string with encoded == 1: the decoded bytes
  };

  ObjectTree() = default;
  ObjectTree(const ObjectTree&) = delete;
  ObjectTree& operator=(const ObjectTree&) = delete;
  ObjectTree(ObjectTree&&) noexcept = default;
  ObjectTree& operator=(ObjectTree&&) noexcept = default;

  // Each add_* appends a node under `parent` (an object or a list; kNone makes a root) and
  // returns its id, or kNone if `parent` is neither an object nor a list. Under a list the
  // key is ignored.
  NodeId add_object(NodeId parent, std::string_view key);
  NodeId add_list(NodeId parent, std::string_view key);
  NodeId add_string(NodeId parent, std::string_view key, std::string_view value);
  NodeId add_integer(NodeId parent, std::string_view key, std::int64_t value);
  NodeId add_float(NodeId parent, std::string_view key, double value);
  NodeId add_bool(NodeId parent, std::string_view key, bool value);
  NodeId add_null(NodeId parent, std::string_view key);
  NodeId add_binary(NodeId parent, std::string_view key, std::string_view bytes);

  // Appends the JSON text `json` under `parent` as `key`, strings and keys copied into the
  // arena; returns its root node, or kNone with `error` set when the text is not strict JSON
  // (UTF-8 checked) or nests deeper than 64 (nodes added before the fault stay). Integers
  // beyond int64 become floats; duplicate keys are kept (child() finds the first). Meant for
  // tests, fuzzing and tools: the parser allocates its own state on every call.
  NodeId add_json(NodeId parent, std::string_view key, std::string_view json, std::string* error = nullptr);

  // Copies `text` into the arena; the view stays valid until clear() or destruction.
  std::string_view own(std::string_view text);

  // Forgets every node and arena byte but keeps the capacity.
  void clear() noexcept;

  std::size_t size() const noexcept { return nodes_.size(); }
  const Node& node(NodeId id) const noexcept { return nodes_[id]; }
  // The first child of object `id` named `key`, or kNone.
  NodeId child(NodeId id, std::string_view key) const noexcept;
  // Element `index` of list `id`, or kNone.
  NodeId element(NodeId id, std::size_t index) const noexcept;

  // Bytes reserved by the node vector and the arena (for memory accounting and tests).
  std::size_t capacity_bytes() const noexcept;

 private:
  NodeId append(NodeId parent, std::string_view key, ValueKind kind);
  char* arena_alloc(std::size_t n);

  struct Block {
    std::unique_ptr<char[]> data;
    std::size_t size = 0;
  };
  std::vector<Node> nodes_;
  std::vector<Block> blocks_;
  std::size_t block_ = 0;  // block being filled
  std::size_t used_ = 0;   // bytes used in blocks_[block_]
};

// The ids of the tree nodes an observation holds, for *_ref / *_refs resolution (STIX 2.1 §9,
// object paths: references resolve within the same observation). `id` is the object's "id" (STIX 2.1)
// or its key in the observed-data "objects" dictionary (STIX 2.0).
struct PoolObject {
  NodeId node = kNone;
  std::string_view id;
};

}  // namespace outpost::rules::stix
