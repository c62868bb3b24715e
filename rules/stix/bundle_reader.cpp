#include "rules/stix/bundle_reader.h"

#include "rules/rapidjson.h"  // first: see the header

#include <zlib.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "rules/stix/stix_id.h"
#include "rules/time.h"

namespace outpost::rules::stix {

namespace {

constexpr std::string_view kProblemNames[] = {
    "not an object",   "missing type",          "missing id",      "bad id",
    "missing pattern", "wrong type",            "bad timestamp",   "valid_until not after valid_from",
    "bad confidence",  "field too long",        "too many items",
};

// ---------------------------------------------------------------------------------------
// Streams (RapidJSON's Stream concept: Peek/Take/Tell, read-only).

// gzip-compressed input through zlib (which also reads plain files, but plain files go
// through RapidJSON's FileReadStream).
class GzReadStream {
 public:
  typedef char Ch;
  explicit GzReadStream(gzFile f) : file_(f) { fill(); }
  Ch Peek() const { return pos_ < len_ ? buf_[pos_] : '\0'; }
  Ch Take() {
    if (pos_ >= len_) return '\0';
    const Ch c = buf_[pos_++];
    if (pos_ == len_) fill();
    return c;
  }
  std::size_t Tell() const { return consumed_ + pos_; }
  bool failed() const { return failed_; }
  Ch* PutBegin() { return nullptr; }
  void Put(Ch) {}
  void Flush() {}
  std::size_t PutEnd(Ch*) { return 0; }

 private:
  void fill() {
    consumed_ += len_;
    pos_ = len_ = 0;
    const int n = gzread(file_, buf_, sizeof buf_);
    if (n < 0) failed_ = true;
    else len_ = static_cast<std::size_t>(n);
  }
  gzFile file_;
  char buf_[64 * 1024];
  std::size_t pos_ = 0, len_ = 0, consumed_ = 0;
  bool failed_ = false;
};

// Bounds the bytes RapidJSON may read between two handler events: one JSON string or number
// is buffered whole inside the Reader, so without this a single 100 MB string would cost
// 100 MB. Past the bound the stream reports end of input and the parse fails.
template <class Inner>
class BoundedStream {
 public:
  typedef char Ch;
  BoundedStream(Inner& inner, std::size_t limit) : inner_(inner), limit_(limit) {}
  Ch Peek() const { return tripped_ ? '\0' : inner_.Peek(); }
  Ch Take() {
    if (tripped_) return '\0';
    if (++run_ > limit_) {
      tripped_ = true;
      trip_offset_ = inner_.Tell();
      return '\0';
    }
    return inner_.Take();
  }
  std::size_t Tell() const { return inner_.Tell(); }
  void event() { run_ = 0; }
  bool tripped() const { return tripped_; }
  std::size_t trip_offset() const { return trip_offset_; }
  Ch* PutBegin() { return nullptr; }
  void Put(Ch) {}
  void Flush() {}
  std::size_t PutEnd(Ch*) { return 0; }

 private:
  Inner& inner_;
  std::size_t limit_;
  std::size_t run_ = 0;
  bool tripped_ = false;
  std::size_t trip_offset_ = 0;
};

// ---------------------------------------------------------------------------------------
// Fields we read. Everything else is skipped without being stored.

enum class Field : std::uint8_t {
  other = 0, type, id, spec_version, pattern, pattern_type, valid_from, valid_until, created,
  modified, revoked, confidence, name, indicator_types, labels, object_marking_refs,
  created_by_ref, definition_type, definition, objects, more, next,
  // inside a marking-definition's "definition"
  tlp, statement,
};

Field object_field(std::string_view k) {
  struct Entry { std::string_view name; Field field; };
  static constexpr Entry kFields[] = {
      {"type", Field::type},
      {"id", Field::id},
      {"spec_version", Field::spec_version},
      {"pattern", Field::pattern},
      {"pattern_type", Field::pattern_type},
      {"valid_from", Field::valid_from},
      {"valid_until", Field::valid_until},
      {"created", Field::created},
      {"modified", Field::modified},
      {"revoked", Field::revoked},
      {"confidence", Field::confidence},
      {"name", Field::name},
      {"indicator_types", Field::indicator_types},
      {"labels", Field::labels},
      {"object_marking_refs", Field::object_marking_refs},
      {"created_by_ref", Field::created_by_ref},
      {"definition_type", Field::definition_type},
      {"definition", Field::definition},
      {"objects", Field::objects},
      {"more", Field::more},
      {"next", Field::next},
  };
  for (const auto& e : kFields)
    if (e.name == k) return e.field;
  return Field::other;
}

std::string_view field_name(Field f) {
  switch (f) {
    case Field::type: return "type";
    case Field::id: return "id";
    case Field::spec_version: return "spec_version";
    case Field::pattern: return "pattern";
    case Field::pattern_type: return "pattern_type";
    case Field::valid_from: return "valid_from";
    case Field::valid_until: return "valid_until";
    case Field::created: return "created";
    case Field::modified: return "modified";
    case Field::revoked: return "revoked";
    case Field::confidence: return "confidence";
    case Field::name: return "name";
    case Field::indicator_types: return "indicator_types";
    case Field::labels: return "labels";
    case Field::object_marking_refs: return "object_marking_refs";
    case Field::created_by_ref: return "created_by_ref";
    case Field::definition_type: return "definition_type";
    case Field::definition: return "definition";
    case Field::objects: return "objects";
    case Field::more: return "more";
    case Field::next: return "next";
    case Field::tlp: return "definition.tlp";
    case Field::statement: return "definition.statement";
    case Field::other: break;
  }
  return "?";
}

bool is_string_field(Field f) {
  switch (f) {
    case Field::type: case Field::id: case Field::spec_version: case Field::pattern:
    case Field::pattern_type: case Field::valid_from: case Field::valid_until: case Field::created:
    case Field::modified: case Field::name: case Field::created_by_ref: case Field::definition_type:
    case Field::next: case Field::tlp: case Field::statement:
      return true;
    default:
      return false;
  }
}

bool is_list_field(Field f) {
  return f == Field::indicator_types || f == Field::labels || f == Field::object_marking_refs;
}

// One STIX object being collected. Strings keep their capacity between objects.
struct ObjectBuilder {
  std::uint64_t index = 0;
  bool has_type = false, has_id = false, has_pattern = false;
  std::string type, id, spec_version, pattern, pattern_type, name, created_by_ref, definition_type;
  std::string valid_from, valid_until, created, modified;  // raw, parsed at the end
  std::string tlp, statement;
  bool revoked = false;
  bool has_confidence = false;
  double confidence = -1;
  std::vector<std::string> indicator_types, labels, marking_refs;
  std::size_t marking_refs_seen = 0;
  ObjectProblem problem = ObjectProblem::not_an_object;
  bool has_problem = false;
  std::string problem_detail;

  void reset(std::uint64_t i) {
    index = i;
    has_type = has_id = has_pattern = false;
    for (std::string* s : {&type, &id, &spec_version, &pattern, &pattern_type, &name, &created_by_ref,
                           &definition_type, &valid_from, &valid_until, &created, &modified, &tlp,
                           &statement})
      s->clear();
    revoked = false;
    has_confidence = false;
    confidence = -1;
    indicator_types.clear();
    labels.clear();
    marking_refs.clear();
    marking_refs_seen = 0;
    has_problem = false;
    problem_detail.clear();
  }
  void flag(ObjectProblem p, std::string_view detail) {
    if (has_problem) return;
    has_problem = true;
    problem = p;
    problem_detail.assign(detail);
  }
};

// Truncates at a UTF-8 character boundary.
void assign_truncated(std::string& out, std::string_view s, std::size_t max) {
  if (s.size() > max) {
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
    s = s.substr(0, n);
  }
  out.assign(s);
}

bool valid_stix_id(std::string_view id, std::string_view type) {
  if (id.size() != type.size() + 2 + 36 || id.compare(0, type.size(), type) != 0 ||
      id.compare(type.size(), 2, "--") != 0)
    return false;
  Uuid u;
  return parse_uuid(id.substr(type.size() + 2), u);
}

enum class FrameKind : std::uint8_t { object, objects_array, list, definition, skip };

struct Frame {
  FrameKind kind = FrameKind::skip;
  Field field = Field::other;  // for lists: which field
};

// ---------------------------------------------------------------------------------------
// The SAX handler.

template <class Stream>
class BundleHandler {
 public:
  BundleHandler(BoundedStream<Stream>& stream, BundleSink& sink, BundleSummary& summary, const BundleLimits& limits)
      : stream_(stream), sink_(sink), summary_(summary), limits_(limits) {
    frames_.reserve(limits.max_depth + 1);
  }

  // Whole-input errors raised by the handler (the parse stops).
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  std::size_t error_offset() const { return error_offset_; }

  // After a successful parse: the root decides what the input was.
  bool finish() {
    if (saw_objects_) {
      if (root_.has_type && root_.type != "bundle") return fail_at(0, "an object with \"objects\" whose type is not \"bundle\"");
      summary_.shape = root_.has_type ? InputShape::bundle : InputShape::envelope;
      return true;
    }
    if (root_.has_type) {
      summary_.shape = InputShape::object;
      summary_.objects = 1;
      summary_.spec_version.clear();
      emit(root_);
      return true;
    }
    if (root_envelope_keys_ || root_keys_ == 0) {  // TAXII 2.1 §3.7: an envelope may omit "objects"
      summary_.shape = InputShape::envelope;
      return true;
    }
    return fail_at(0, "not a STIX bundle, TAXII envelope or STIX object (no \"type\" and no \"objects\")");
  }

  // --- RapidJSON handler interface ---
  bool Null() { return scalar(Scalar::null); }
  bool Bool(bool b) {
    b_ = b;
    return scalar(Scalar::boolean);
  }
  bool Int(int i) { return number(static_cast<double>(i)); }
  bool Uint(unsigned u) { return number(static_cast<double>(u)); }
  bool Int64(std::int64_t i) { return number(static_cast<double>(i)); }
  bool Uint64(std::uint64_t u) { return number(static_cast<double>(u)); }
  bool Double(double d) { return number(d); }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return scalar(Scalar::number); }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    str_ = std::string_view(s, n);
    return scalar(Scalar::string);
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    stream_.event();
    if (frames_.empty()) return true;
    const Frame& f = frames_.back();
    const std::string_view k(s, n);
    if (f.kind == FrameKind::object) {
      key_ = object_field(k);
      if (frames_.size() == 1) ++root_keys_;
      if (frames_.size() == 1 && (key_ == Field::more || key_ == Field::next)) root_envelope_keys_ = true;
    } else if (f.kind == FrameKind::definition) {
      key_ = k == "tlp" ? Field::tlp : k == "statement" ? Field::statement : Field::other;
    }
    return true;
  }
  bool StartObject() {
    stream_.event();
    if (!depth_ok()) return false;
    if (frames_.empty()) {
      root_.reset(0);
      frames_.push_back({FrameKind::object, Field::other});
      return true;
    }
    const Frame parent = frames_.back();
    switch (parent.kind) {
      case FrameKind::objects_array:
        current_.reset(summary_.objects++);
        frames_.push_back({FrameKind::object, Field::other});
        return true;
      case FrameKind::object:
        if (is_root_frame() && key_ == Field::objects) return fail("\"objects\" is not an array");
        if (key_ == Field::definition) {
          frames_.push_back({FrameKind::definition, Field::other});
          return true;
        }
        if (is_string_field(key_) || is_list_field(key_) || key_ == Field::revoked || key_ == Field::confidence)
          builder().flag(ObjectProblem::wrong_type, field_name(key_));
        frames_.push_back({FrameKind::skip, Field::other});
        return true;
      case FrameKind::list:
        list_owner().flag(ObjectProblem::wrong_type, field_name(parent.field));
        frames_.push_back({FrameKind::skip, Field::other});
        return true;
      default:
        frames_.push_back({FrameKind::skip, Field::other});
        return true;
    }
  }
  bool EndObject(rapidjson::SizeType) {
    stream_.event();
    const Frame f = frames_.back();
    frames_.pop_back();
    if (f.kind == FrameKind::object && !frames_.empty()) emit(current_);
    return true;
  }
  bool StartArray() {
    stream_.event();
    if (frames_.empty()) return fail("the top level is an array, not a STIX bundle or object");
    if (!depth_ok()) return false;
    const Frame parent = frames_.back();
    switch (parent.kind) {
      case FrameKind::object:
        if (is_root_frame() && key_ == Field::objects) {
          saw_objects_ = true;
          frames_.push_back({FrameKind::objects_array, Field::other});
          return true;
        }
        if (is_list_field(key_)) {
          frames_.push_back({FrameKind::list, key_});
          return true;
        }
        if (is_string_field(key_) || key_ == Field::revoked || key_ == Field::confidence)
          builder().flag(ObjectProblem::wrong_type, field_name(key_));
        frames_.push_back({FrameKind::skip, Field::other});
        return true;
      case FrameKind::objects_array:
        not_an_object();
        frames_.push_back({FrameKind::skip, Field::other});
        return true;
      case FrameKind::list:
        list_owner().flag(ObjectProblem::wrong_type, field_name(parent.field));
        frames_.push_back({FrameKind::skip, Field::other});
        return true;
      default:
        frames_.push_back({FrameKind::skip, Field::other});
        return true;
    }
  }
  bool EndArray(rapidjson::SizeType) {
    stream_.event();
    frames_.pop_back();
    return true;
  }

 private:
  enum class Scalar { null, boolean, number, string };

  bool fail(std::string_view what) { return fail_at(stream_.Tell(), what); }
  bool fail_at(std::size_t offset, std::string_view what) {
    if (error_.empty()) {
      error_.assign(what);
      error_offset_ = offset;
    }
    return false;
  }
  bool depth_ok() {
    if (frames_.size() >= limits_.max_depth) {
      const std::string what = "JSON nested deeper than " + std::to_string(limits_.max_depth);
      return fail(std::string_view(what));
    }
    return true;
  }

  bool is_root_frame() const { return frames_.size() == 1; }
  // The object whose fields the innermost object frame collects.
  ObjectBuilder& builder() { return is_root_frame() ? root_ : current_; }
  // The object owning the list frame on top of the stack.
  ObjectBuilder& list_owner() { return frames_.size() == 2 ? root_ : current_; }

  void not_an_object() {
    const std::uint64_t index = summary_.objects++;
    ++summary_.skipped;
    sink_.on_skipped(index, {}, ObjectProblem::not_an_object, {});
  }

  bool number(double d) {
    d_ = d;
    return scalar(Scalar::number);
  }

  bool scalar(Scalar kind) {
    stream_.event();
    if (frames_.empty()) return fail("the top level is not an object, not a STIX bundle");
    const Frame f = frames_.back();
    switch (f.kind) {
      case FrameKind::objects_array:
        not_an_object();
        return true;
      case FrameKind::object:
        if (is_root_frame() && key_ == Field::objects) return fail("\"objects\" is not an array");
        object_scalar(builder(), kind);
        return true;
      case FrameKind::list: {
        ObjectBuilder& b = list_owner();
        if (kind != Scalar::string) {
          b.flag(ObjectProblem::wrong_type, field_name(f.field));
          return true;
        }
        if (f.field == Field::object_marking_refs) {
          if (++b.marking_refs_seen > limits_.max_list_items) b.flag(ObjectProblem::too_many_items, "object_marking_refs");
          else if (str_.size() > limits_.max_id_bytes) b.flag(ObjectProblem::too_long, "object_marking_refs");
          else b.marking_refs.emplace_back(str_);
        } else {
          auto& list = f.field == Field::labels ? b.labels : b.indicator_types;
          if (list.size() < limits_.max_list_items) {
            list.emplace_back();
            assign_truncated(list.back(), str_, limits_.max_text_bytes);
          }
        }
        return true;
      }
      case FrameKind::definition:
        if (kind == Scalar::string && key_ == Field::tlp) assign_truncated(builder_for_definition().tlp, str_, limits_.max_text_bytes);
        if (kind == Scalar::string && key_ == Field::statement)
          assign_truncated(builder_for_definition().statement, str_, limits_.max_text_bytes * 4);
        return true;
      case FrameKind::skip:
        return true;
    }
    return true;
  }

  ObjectBuilder& builder_for_definition() { return frames_.size() == 2 ? root_ : current_; }

  void object_scalar(ObjectBuilder& b, Scalar kind) {
    const Field k = key_;
    if (k == Field::other || k == Field::objects || k == Field::definition) return;
    if (k == Field::more) {
      if (is_root_frame() && kind == Scalar::boolean) summary_.more = b_;
      return;
    }
    if (k == Field::revoked) {
      if (kind == Scalar::boolean) b.revoked = b_;
      else b.flag(ObjectProblem::wrong_type, "revoked");
      return;
    }
    if (k == Field::confidence) {
      if (kind == Scalar::number) {
        b.has_confidence = true;
        b.confidence = d_;
      } else {
        b.flag(ObjectProblem::wrong_type, "confidence");
      }
      return;
    }
    if (is_list_field(k)) {
      b.flag(ObjectProblem::wrong_type, field_name(k));
      return;
    }
    if (kind != Scalar::string) {
      b.flag(ObjectProblem::wrong_type, field_name(k));
      return;
    }
    switch (k) {
      case Field::type: b.has_type = true; assign_truncated(b.type, str_, limits_.max_text_bytes); break;
      case Field::id:
        b.has_id = true;
        if (str_.size() > limits_.max_id_bytes) b.flag(ObjectProblem::too_long, "id");
        else b.id.assign(str_);
        break;
      case Field::spec_version:
        assign_truncated(b.spec_version, str_, limits_.max_text_bytes);
        // A STIX 2.0 bundle's own spec_version applies to its objects (2.0 §"Bundle").
        if (is_root_frame()) summary_.spec_version = b.spec_version;
        break;
      case Field::pattern:
        b.has_pattern = true;
        if (str_.size() > limits_.max_pattern_bytes) b.flag(ObjectProblem::too_long, "pattern");
        else b.pattern.assign(str_);
        break;
      case Field::pattern_type: assign_truncated(b.pattern_type, str_, limits_.max_text_bytes); break;
      case Field::valid_from: assign_truncated(b.valid_from, str_, 64); break;
      case Field::valid_until: assign_truncated(b.valid_until, str_, 64); break;
      case Field::created: assign_truncated(b.created, str_, 64); break;
      case Field::modified: assign_truncated(b.modified, str_, 64); break;
      case Field::name: assign_truncated(b.name, str_, limits_.max_text_bytes); break;
      case Field::created_by_ref:
        if (str_.size() > limits_.max_id_bytes) b.flag(ObjectProblem::too_long, "created_by_ref");
        else b.created_by_ref.assign(str_);
        break;
      case Field::definition_type: assign_truncated(b.definition_type, str_, limits_.max_text_bytes); break;
      case Field::next:
        if (is_root_frame()) assign_truncated(summary_.next, str_, limits_.max_text_bytes);
        break;
      default: break;
    }
  }

  void skip(ObjectBuilder& b, ObjectProblem p, std::string_view detail) {
    ++summary_.skipped;
    sink_.on_skipped(b.index, b.id, p, detail);
  }

  bool timestamp(ObjectBuilder& b, const std::string& text, std::string_view field, TimeUs& out) {
    if (text.empty()) return true;
    if (!parse_timestamp(text, out)) {
      skip(b, ObjectProblem::bad_timestamp, field);
      return false;
    }
    return true;
  }

  // A STIX object closed: hand it over if it is one we keep.
  void emit(ObjectBuilder& b) {
    if (!b.has_type) {
      skip(b, ObjectProblem::missing_type, {});
      return;
    }
    const bool indicator = b.type == "indicator";
    const bool marking = b.type == "marking-definition";
    if (!indicator && !marking) return;
    if (b.has_problem) {
      skip(b, b.problem, b.problem_detail);
      return;
    }
    if (!b.has_id) {
      skip(b, ObjectProblem::missing_id, {});
      return;
    }
    if (!valid_stix_id(b.id, b.type)) {
      skip(b, ObjectProblem::bad_id, b.id);
      return;
    }
    if (marking) {
      MarkingDefinition m;
      m.id = b.id;
      m.name = b.name;
      m.definition_type = b.definition_type;
      m.tlp = b.tlp;
      m.statement = b.statement;
      ++summary_.marking_definitions;
      sink_.on_marking_definition(std::move(m));
      return;
    }
    if (!b.has_pattern) {
      skip(b, ObjectProblem::missing_pattern, {});
      return;
    }
    StixIndicator ind;
    if (!timestamp(b, b.valid_from, "valid_from", ind.valid_from) ||
        !timestamp(b, b.valid_until, "valid_until", ind.valid_until) ||
        !timestamp(b, b.created, "created", ind.created) || !timestamp(b, b.modified, "modified", ind.modified))
      return;
    // STIX 2.1 §4.7: valid_until MUST be greater than valid_from.
    if (ind.valid_from != kNoTime && ind.valid_until != kNoTime && ind.valid_until <= ind.valid_from) {
      skip(b, ObjectProblem::bad_validity_window, {});
      return;
    }
    if (b.has_confidence) {
      // STIX 2.1 §3.2 / Appendix A: confidence is an integer 0..100.
      if (!(b.confidence >= 0 && b.confidence <= 100) || std::floor(b.confidence) != b.confidence) {
        skip(b, ObjectProblem::bad_confidence, {});
        return;
      }
      ind.confidence = static_cast<int>(b.confidence);
    }
    ind.object_index = b.index;
    ind.id = b.id;
    ind.spec_version = b.spec_version.empty() ? summary_.spec_version : b.spec_version;
    ind.pattern = b.pattern;
    ind.pattern_type = b.pattern_type;
    ind.revoked = b.revoked;
    ind.name = b.name;
    ind.indicator_types = b.indicator_types.empty() ? b.labels : b.indicator_types;
    ind.object_marking_refs = b.marking_refs;
    ind.created_by_ref = b.created_by_ref;
    ++summary_.indicators;
    sink_.on_indicator(std::move(ind));
  }

 private:
  BoundedStream<Stream>& stream_;
  BundleSink& sink_;
  BundleSummary& summary_;
  const BundleLimits& limits_;
  std::vector<Frame> frames_;
  Field key_ = Field::other;
  ObjectBuilder root_, current_;
  bool saw_objects_ = false;
  bool root_envelope_keys_ = false;
  std::size_t root_keys_ = 0;
  bool b_ = false;
  double d_ = 0;
  std::string_view str_;
  std::string error_;
  std::size_t error_offset_ = 0;
};

template <class Stream>
ReadStatus read(std::string_view name, Stream& raw, BundleSink& sink, BundleSummary& summary,
                const BundleLimits& limits) {
  summary = BundleSummary{};
  BoundedStream<Stream> stream(raw, limits.max_token_bytes);
  BundleHandler<Stream> handler(stream, sink, summary, limits);
  rapidjson::Reader reader;
  const rapidjson::ParseResult r = reader.Parse<rapidjson::kParseIterativeFlag>(stream, handler);
  ReadStatus st;
  auto fail = [&](std::uint64_t offset, const std::string& what) {
    st.ok = false;
    st.offset = offset;
    st.message = std::string(name) + ": byte " + std::to_string(offset) + ": " + what;
    return st;
  };
  if (handler.failed()) return fail(handler.error_offset(), handler.error());
  if (stream.tripped())
    return fail(stream.trip_offset(),
                "a JSON token or gap longer than " + std::to_string(limits.max_token_bytes) + " bytes");
  if (r.IsError()) {
    return fail(r.Offset(), std::string("not valid JSON: ") + rapidjson::GetParseError_En(r.Code()));
  }
  if (!handler.finish()) return fail(handler.error_offset(), handler.error());
  return st;
}

}  // namespace

std::string_view object_problem_name(ObjectProblem p) noexcept {
  const auto i = static_cast<std::size_t>(p);
  return i < sizeof kProblemNames / sizeof kProblemNames[0] ? kProblemNames[i] : std::string_view("unknown");
}

std::string_view input_shape_name(InputShape s) noexcept {
  switch (s) {
    case InputShape::bundle: return "bundle";
    case InputShape::envelope: return "envelope";
    case InputShape::object: return "object";
  }
  return "bundle";
}

ReadStatus read_bundle_memory(std::string_view name, const char* data, std::size_t size, BundleSink& sink,
                              BundleSummary& summary, const BundleLimits& limits) {
  rapidjson::MemoryStream ms(data, size);
  return read(name, ms, sink, summary, limits);
}

ReadStatus read_bundle_file(const std::string& path, BundleSink& sink, BundleSummary& summary,
                            const BundleLimits& limits) {
  ReadStatus st;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    st.ok = false;
    st.message = path + ": cannot open: " + std::strerror(errno);
    return st;
  }
  unsigned char magic[2] = {0, 0};
  const std::size_t got = std::fread(magic, 1, 2, f);
  if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    std::fclose(f);
    gzFile gz = gzopen(path.c_str(), "rb");
    if (gz == nullptr) {
      st.ok = false;
      st.message = path + ": cannot open: " + std::strerror(errno);
      return st;
    }
    auto stream = std::make_unique<GzReadStream>(gz);
    st = read(path, *stream, sink, summary, limits);
    if (stream->failed() && st.ok) {
      int code = 0;
      st.ok = false;
      st.message = path + ": gzip: " + gzerror(gz, &code);
    }
    gzclose(gz);
    return st;
  }
  std::rewind(f);
  auto buffer = std::make_unique<char[]>(64 * 1024);
  rapidjson::FileReadStream fs(f, buffer.get(), 64 * 1024);
  st = read(path, fs, sink, summary, limits);
  std::fclose(f);
  return st;
}

}  // namespace outpost::rules::stix
