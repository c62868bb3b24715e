#include "rules/stix/object_tree.h"

#include <algorithm>
#include <cstring>

namespace outpost::rules::stix {

namespace {

constexpr std::size_t kBlockSize = 4096;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Hex (either case, even length) into out; returns the byte count or -1.
long decode_hex(std::string_view in, char* out) {
  if (in.size() % 2 != 0) return -1;
  for (std::size_t i = 0; i < in.size(); i += 2) {
    const int hi = hex_value(in[i]), lo = hex_value(in[i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[i / 2] = static_cast<char>(hi * 16 + lo);
  }
  return static_cast<long>(in.size() / 2);
}

// Standard base64 with its padding (RFC 4648 §4), no whitespace; returns the byte count or -1.
long decode_base64(std::string_view in, char* out) {
  if (in.size() % 4 != 0) return -1;
  long n = 0;
  for (std::size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = in[i + static_cast<std::size_t>(k)];
      if (c == '=' && last && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad != 0) return -1;  // data after '='
      v[k] = b64_value(c);
      if (v[k] < 0) return -1;
    }
    const unsigned triple = (static_cast<unsigned>(v[0]) << 18) | (static_cast<unsigned>(v[1]) << 12) |
                            (static_cast<unsigned>(v[2]) << 6) | static_cast<unsigned>(v[3]);
    out[n++] = static_cast<char>((triple >> 16) & 0xff);
    if (pad < 2) out[n++] = static_cast<char>((triple >> 8) & 0xff);
    if (pad < 1) out[n++] = static_cast<char>(triple & 0xff);
  }
  return n;
}

}  // namespace

std::string_view value_kind_name(ValueKind k) noexcept {
  switch (k) {
    case ValueKind::null: return "null";
    case ValueKind::boolean: return "bool";
    case ValueKind::integer: return "integer";
    case ValueKind::floating: return "float";
    case ValueKind::string: return "string";
    case ValueKind::binary: return "binary";
    case ValueKind::list: return "list";
    case ValueKind::object: return "object";
  }
  return "?";
}

NodeId ObjectTree::append(NodeId parent, std::string_view key, ValueKind kind) {
  if (parent != kNone) {
    if (parent >= nodes_.size()) return kNone;
    const ValueKind pk = nodes_[parent].kind;
    if (pk != ValueKind::object && pk != ValueKind::list) return kNone;
    if (pk == ValueKind::list) key = {};
  }
  const auto id = static_cast<NodeId>(nodes_.size());
  Node n;
  n.kind = kind;
  n.parent = parent;
  n.key = key;
  nodes_.push_back(n);
  if (parent != kNone) {
    Node& p = nodes_[parent];
    if (p.last_child == kNone) p.first_child = id;
    else nodes_[p.last_child].next_sibling = id;
    p.last_child = id;
    ++p.child_count;
  }
  return id;
}

NodeId ObjectTree::add_object(NodeId parent, std::string_view key) { return append(parent, key, ValueKind::object); }
NodeId ObjectTree::add_list(NodeId parent, std::string_view key) { return append(parent, key, ValueKind::list); }
NodeId ObjectTree::add_null(NodeId parent, std::string_view key) { return append(parent, key, ValueKind::null); }

NodeId ObjectTree::add_string(NodeId parent, std::string_view key, std::string_view value) {
  const NodeId id = append(parent, key, ValueKind::string);
  if (id == kNone) return id;
  nodes_[id].text = value;
  const std::string_view k = nodes_[id].key;
  const bool hex = ends_with(k, "_hex"), b64 = !hex && ends_with(k, "_bin");
  if (hex || b64) {
    char* out = arena_alloc(hex ? value.size() / 2 + 1 : value.size() / 4 * 3 + 3);
    const long n = hex ? decode_hex(value, out) : decode_base64(value, out);
    Node& node = nodes_[id];
    if (n < 0) {
      node.encoded = 2;
    } else {
      node.encoded = 1;
      node.bytes = std::string_view(out, static_cast<std::size_t>(n));
    }
  }
  return id;
}

NodeId ObjectTree::add_integer(NodeId parent, std::string_view key, std::int64_t value) {
  const NodeId id = append(parent, key, ValueKind::integer);
  if (id != kNone) nodes_[id].integer = value;
  return id;
}

NodeId ObjectTree::add_float(NodeId parent, std::string_view key, double value) {
  const NodeId id = append(parent, key, ValueKind::floating);
  if (id != kNone) nodes_[id].floating = value;
  return id;
}

NodeId ObjectTree::add_bool(NodeId parent, std::string_view key, bool value) {
  const NodeId id = append(parent, key, ValueKind::boolean);
  if (id != kNone) nodes_[id].boolean = value;
  return id;
}

NodeId ObjectTree::add_binary(NodeId parent, std::string_view key, std::string_view bytes) {
  const NodeId id = append(parent, key, ValueKind::binary);
  if (id != kNone) nodes_[id].text = bytes;
  return id;
}

// Blocks are reused in order after clear(); a request larger than the next block gets a block
// of its own inserted there, so the arena settles on the largest sizes it has seen.
char* ObjectTree::arena_alloc(std::size_t n) {
  if (n == 0) n = 1;
  if (block_ < blocks_.size() && blocks_[block_].size - used_ >= n) {
    char* p = blocks_[block_].data.get() + used_;
    used_ += n;
    return p;
  }
  if (block_ < blocks_.size()) ++block_;
  if (block_ >= blocks_.size() || blocks_[block_].size < n) {
    Block b;
    b.size = std::max(kBlockSize, n);
    b.data.reset(new char[b.size]);
    blocks_.insert(blocks_.begin() + static_cast<std::ptrdiff_t>(std::min(block_, blocks_.size())), std::move(b));
  }
  used_ = n;
  return blocks_[block_].data.get();
}

std::string_view ObjectTree::own(std::string_view text) {
  if (text.empty()) return {};
  char* p = arena_alloc(text.size());
  std::memcpy(p, text.data(), text.size());
  return std::string_view(p, text.size());
}

void ObjectTree::clear() noexcept {
  nodes_.clear();
  block_ = 0;
  used_ = 0;
}

NodeId ObjectTree::child(NodeId id, std::string_view key) const noexcept {
  if (id >= nodes_.size() || nodes_[id].kind != ValueKind::object) return kNone;
  for (NodeId c = nodes_[id].first_child; c != kNone; c = nodes_[c].next_sibling)
    if (nodes_[c].key == key) return c;
  return kNone;
}

NodeId ObjectTree::element(NodeId id, std::size_t index) const noexcept {
  if (id >= nodes_.size() || nodes_[id].kind != ValueKind::list || index >= nodes_[id].child_count) return kNone;
  NodeId c = nodes_[id].first_child;
  for (std::size_t i = 0; i < index; ++i) c = nodes_[c].next_sibling;
  return c;
}

std::size_t ObjectTree::capacity_bytes() const noexcept {
  std::size_t n = nodes_.capacity() * sizeof(Node) + blocks_.capacity() * sizeof(Block);
  for (const Block& b : blocks_) n += b.size;
  return n;
}

}  // namespace outpost::rules::stix
