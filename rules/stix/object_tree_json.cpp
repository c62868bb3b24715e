#include "rules/rapidjson.h"  // first: see the header
#include "rules/stix/object_tree.h"

#include <limits>

namespace outpost::rules::stix {

namespace {

constexpr std::size_t kMaxJsonDepth = 64;

struct TreeBuilder : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TreeBuilder> {
  TreeBuilder(ObjectTree& t, NodeId parent, std::string_view key) : tree(t), outer_parent(parent), outer_key(key) {}

  NodeId parent() const { return depth == 0 ? outer_parent : open[depth - 1]; }
  std::string_view key() const { return depth == 0 ? outer_key : pending_key; }
  bool added(NodeId id) {
    if (depth == 0) root = id;
    return id != kNone;
  }
  bool open_container(NodeId id) {
    if (!added(id)) return false;
    if (depth >= kMaxJsonDepth) {
      too_deep = true;
      return false;
    }
    open[depth++] = id;
    return true;
  }

  bool Null() { return added(tree.add_null(parent(), key())); }
  bool Bool(bool b) { return added(tree.add_bool(parent(), key(), b)); }
  bool Int(int i) { return added(tree.add_integer(parent(), key(), i)); }
  bool Uint(unsigned u) { return added(tree.add_integer(parent(), key(), u)); }
  bool Int64(std::int64_t i) { return added(tree.add_integer(parent(), key(), i)); }
  bool Uint64(std::uint64_t u) {
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return added(tree.add_float(parent(), key(), static_cast<double>(u)));
    return added(tree.add_integer(parent(), key(), static_cast<std::int64_t>(u)));
  }
  bool Double(double d) { return added(tree.add_float(parent(), key(), d)); }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    return added(tree.add_string(parent(), key(), tree.own(std::string_view(s, n))));
  }
  bool StartObject() { return open_container(tree.add_object(parent(), key())); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    pending_key = tree.own(std::string_view(s, n));
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth;
    return true;
  }
  bool StartArray() { return open_container(tree.add_list(parent(), key())); }
  bool EndArray(rapidjson::SizeType) {
    --depth;
    return true;
  }

  ObjectTree& tree;
  NodeId outer_parent;
  std::string_view outer_key;
  NodeId open[kMaxJsonDepth] = {};
  std::size_t depth = 0;
  std::string_view pending_key;
  NodeId root = kNone;
  bool too_deep = false;
};

}  // namespace

NodeId ObjectTree::add_json(NodeId parent, std::string_view key, std::string_view json, std::string* error) {
  TreeBuilder b(*this, parent, key);
  rapidjson::MemoryStream in(json.data(), json.size());
  rapidjson::Reader reader;
  const rapidjson::ParseResult r =
      reader.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(in, b);
  if (r) return b.root;
  if (error) {
    if (b.too_deep) *error = "JSON nested deeper than " + std::to_string(kMaxJsonDepth);
    else if (r.Code() == rapidjson::kParseErrorTermination) *error = "JSON value under a node that is not a container";
    else *error = std::string("byte ") + std::to_string(r.Offset()) + ": " + rapidjson::GetParseError_En(r.Code());
  }
  return kNone;
}

}  // namespace outpost::rules::stix
