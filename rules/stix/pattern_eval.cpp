#include "rules/stix/pattern_eval.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <limits>

#include "rules/time.h"

#if OUTPOST_WITH_RE2
#include <re2/re2.h>
#endif

namespace outpost::rules::stix {

namespace eval_detail {

// Search bounds: the binding stack is a fixed array, and the recursion depth of the search
// is proportional to the pattern's "visits" (see ONode), which compile() bounds.
constexpr std::size_t kMaxBindingCap = 256;
constexpr std::size_t kMaxObservationDepth = 64;
constexpr std::size_t kMaxComparisonDepth = 64;
constexpr std::size_t kMemoCells = 16384;  // (observation, leaf) results kept by evaluate(tree)

// STIX 2.1 SDO and SRO types (the reference matcher's enums.py list): in 2.1 only SCOs named
// by an observed-data's object_refs are matched, so these types never match.
constexpr std::string_view kSdoTypes[] = {
    "attack-pattern", "bundle",       "campaign",     "course-of-action", "extension-definition",
    "grouping",       "identity",     "incident",     "indicator",        "infrastructure",
    "intrusion-set",  "language-content", "location", "malware",          "malware-analysis",
    "marking-definition", "note",     "observed-data", "opinion",         "relationship",
    "report",         "threat-actor", "tool",         "sighting",         "vulnerability",
};

enum class LitType : std::uint8_t { integer = 0, floating, string, boolean, timestamp, binary };

struct Literal {
  LitType type = LitType::string;
  bool boolean = false;
  std::int64_t integer = 0;
  double floating = 0;
  TimeUs time = 0;
  std::string bytes;         // string: UTF-8 text; binary: the bytes
  bool latin1 = false;       // string: every code point is below 256
  std::string latin1_bytes;  // string: its Latin-1 form when `latin1`
};

enum class RefKind : std::uint8_t { none = 0, one, many };

struct Step {
  PathStep::Kind kind = PathStep::Kind::key;
  std::string key;
  std::int64_t index = 0;
  RefKind ref = RefKind::none;  // key ends in _ref / _refs
  bool binary = false;          // key ends in _hex / _bin
};

struct Path {
  std::string type;
  bool never = false;  // an SDO type under STIX 2.1
  std::vector<Step> steps;
};

struct Address {
  IpAddress ip;
  unsigned length = 0;
  bool has_prefix = false;
};

struct Comparison {
  PatternOp op = PatternOp::eq;
  bool negated = false;
  std::uint32_t path = 0;
  std::uint32_t first = 0, count = 0;  // literals
  bool set_timestamps = false;         // IN: the set holds timestamps
  bool like_latin1 = false;            // LIKE: every pattern code point is below 256
  bool address_ok = false;             // ISSUBSET / ISSUPERSET: the literal parses
  Address address;
#if OUTPOST_WITH_RE2
  std::unique_ptr<re2::RE2> re;         // MATCHES on strings (UTF-8)
  std::unique_ptr<re2::RE2> re_latin1;  // MATCHES on binary values (Latin-1), when possible
#endif
};

enum class CKind : std::uint8_t { comparison = 0, all, any };
struct CNode {
  CKind kind = CKind::comparison;
  std::uint32_t comparison = 0;
  std::uint32_t first = 0, count = 0;  // children in Program::cchildren
};

enum class OKind : std::uint8_t { leaf = 0, all, any, sequence, within, repeats, start_stop };
struct ONode {
  OKind kind = OKind::leaf;
  std::uint32_t first = 0, count = 0;  // children in Program::ochildren (qualifiers: one)
  std::uint32_t leaf = 0;
  std::int64_t window = 0;  // WITHIN, microseconds
  std::uint64_t times = 0;  // REPEATS
  TimeUs start = 0, stop = 0;
  bool never = false;        // START >= STOP: nothing can satisfy it
  std::uint64_t min_size = 0, max_size = 0;  // instances a binding of this node holds
  std::uint64_t visits = 0;  // search frames a binding of this node needs, at most
  std::uint32_t leaf_lo = 0, leaf_hi = 0;    // the leaves below this node
};

struct Program {
  ProgramOptions options;
  std::vector<Literal> literals;
  std::vector<Path> paths;
  std::vector<Comparison> comparisons;
  std::vector<CNode> cnodes;
  std::vector<std::uint32_t> cchildren;
  std::vector<ONode> onodes;
  std::vector<std::uint32_t> ochildren;
  std::vector<std::uint32_t> leaves;  // leaf -> root CNode of its comparison expression
  std::uint32_t root = 0;
  bool single = false;
};

}  // namespace eval_detail

using namespace eval_detail;

namespace {

// ---------------------------------------------------------------------------------------------
// Text helpers

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The UTF-8 sequence at s[i] (RFC 3629: shortest form, no surrogates, at most U+10FFFF):
// its length, or 0 if malformed.
std::size_t utf8_sequence(std::string_view s, std::size_t i, std::uint32_t& cp) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned c = b(0);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  std::size_t n = 0;
  std::uint32_t min = 0;
  if ((c & 0xe0) == 0xc0) n = 2, cp = c & 0x1f, min = 0x80;
  else if ((c & 0xf0) == 0xe0) n = 3, cp = c & 0x0f, min = 0x800;
  else if ((c & 0xf8) == 0xf0) n = 4, cp = c & 0x07, min = 0x10000;
  else return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// Bytes of the code point at s[i]; a malformed byte counts as one.
std::size_t code_point_length(std::string_view s, std::size_t i) {
  std::uint32_t cp = 0;
  const std::size_t n = utf8_sequence(s, i, cp);
  return n == 0 ? 1 : n;
}

bool valid_utf8(std::string_view s) {
  std::uint32_t cp = 0;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i, cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// Latin-1 form of UTF-8 text; false if a code point is 256 or above (or the text is not UTF-8).
bool to_latin1(std::string_view s, std::string& out) {
  out.clear();
  std::uint32_t cp = 0;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i, cp);
    if (n == 0 || cp > 0xff) return false;
    out.push_back(static_cast<char>(cp));
    i += n;
  }
  return true;
}

int sign(int v) { return (v > 0) - (v < 0); }

// STIX 2.1 §9 (binary vs string): a string compares with binary as the bytes of its code
// points, which must all be below 256. Returns false if `text` is not convertible; else
// `cmp` orders latin1(text) against `bytes`.
bool latin1_compare(std::string_view text, std::string_view bytes, int& cmp) {
  cmp = 0;
  std::size_t j = 0;
  std::uint32_t cp = 0;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence(text, i, cp);
    if (n == 0 || cp > 0xff) return false;
    if (cmp == 0) {
      if (j >= bytes.size()) cmp = 1;
      else if (cp != static_cast<unsigned char>(bytes[j])) cmp = cp < static_cast<unsigned char>(bytes[j]) ? -1 : 1;
    }
    ++j;
    i += n;
  }
  if (cmp == 0 && j < bytes.size()) cmp = -1;
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool decode_hex(std::string_view in, std::string& out) {
  out.clear();
  if (in.size() % 2 != 0) return false;
  for (std::size_t i = 0; i < in.size(); i += 2) {
    const int hi = hex_digit(in[i]), lo = hex_digit(in[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

bool decode_base64(std::string_view in, std::string& out) {
  out.clear();
  if (in.size() % 4 != 0) return false;
  auto value = [](char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  for (std::size_t i = 0; i < in.size(); i += 4) {
    unsigned v = 0;
    int pad = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = in[i + k];
      int d = 0;
      if (c == '=' && i + 4 == in.size() && k >= 2) {
        ++pad;
      } else {
        if (pad != 0) return false;
        d = value(c);
        if (d < 0) return false;
      }
      v = (v << 6) | static_cast<unsigned>(d);
    }
    out.push_back(static_cast<char>((v >> 16) & 0xff));
    if (pad < 2) out.push_back(static_cast<char>((v >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(v & 0xff));
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Numbers, timestamps, addresses

// -1 / 0 / 1, or 2 when unordered (NaN). Exact, as Python compares int with float.
int compare_int_double(std::int64_t a, double b) {
  if (std::isnan(b)) return 2;
  if (b >= 9223372036854775808.0) return -1;
  if (b < -9223372036854775808.0) return 1;
  const double fb = std::floor(b);
  const auto ib = static_cast<std::int64_t>(fb);
  if (a != ib) return a < ib ? -1 : 1;
  return fb < b ? -1 : 0;
}

int compare_double(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return 2;
  return (a > b) - (a < b);
}

bool leap_year(unsigned y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// "YYYY-MM-DDTHH:MM:SS[.fraction]Z" with upper-case T and Z, a real calendar date and
// seconds 00-59: what the reference matcher accepts for pattern literals and JSON values
// (STIX 2.1 §3.2; Python's datetime refuses leap seconds, and lower case is refused
// explicitly). Fractions beyond microseconds are truncated.
bool parse_strict_timestamp(std::string_view s, TimeUs& out) {
  if (s.size() < 20) return false;
  const auto digit = [&](std::size_t i) { return s[i] >= '0' && s[i] <= '9'; };
  const auto num = [&](std::size_t i, std::size_t n) {
    unsigned v = 0;
    for (std::size_t k = 0; k < n; ++k) v = v * 10 + static_cast<unsigned>(s[i + k] - '0');
    return v;
  };
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18})
    if (!digit(i)) return false;
  if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return false;
  std::size_t i = 19;
  if (s[i] == '.') {
    const std::size_t f = ++i;
    while (i < s.size() && digit(i)) ++i;
    if (i == f) return false;
  }
  if (i + 1 != s.size() || s[i] != 'Z') return false;
  const unsigned y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), se = num(17, 2);
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y == 0 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59) return false;
  const unsigned days = kDays[mo - 1] + (mo == 2 && leap_year(y) ? 1 : 0);
  if (d > days) return false;
  return parse_timestamp(s, out);
}

// "a.b.c.d", "a.b.c.d/len", IPv6 likewise; len 1..32 / 1..128 (the reference refuses /0).
bool parse_address(std::string_view text, Address& out) {
  const std::size_t slash = text.find('/');
  Address a;
  if (!parse_ip(text.substr(0, slash), a.ip)) return false;
  const unsigned full = a.ip.family == 4 ? 32 : 128;
  a.length = full;
  if (slash != std::string_view::npos) {
    const std::string_view len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3) return false;
    unsigned v = 0;
    for (char c : len) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v < 1 || v > full) return false;
    a.length = v;
    a.has_prefix = true;
  }
  out = a;
  return true;
}

// STIX 2.1 §9 (ISSUBSET / ISSUPERSET): whether `inner` (an address or a network) lies in the
// network `outer`. Host bits of `outer` are ignored, as the reference masks both sides.
bool address_within(const Address& inner, const Address& outer) {
  if (inner.ip.family != outer.ip.family || outer.length > inner.length) return false;
  const unsigned whole = outer.length / 8, rest = outer.length % 8;
  if (std::memcmp(inner.ip.bytes, outer.ip.bytes, whole) != 0) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (inner.ip.bytes[whole] & mask) == (outer.ip.bytes[whole] & mask);
}

// ---------------------------------------------------------------------------------------------
// LIKE (STIX 2.1 §9, comparison operators): the whole value must match; '%' is any run of
// code points, '_' exactly one, everything else itself. Greedy with one backtrack point per
// '%': linear for typical patterns, O(value x pattern) at worst, never exponential.

bool like_match(std::string_view pat, std::string_view s) {
  std::size_t p = 0, i = 0;
  std::size_t star_p = std::string_view::npos, star_i = 0;
  while (i < s.size()) {
    if (p < pat.size() && pat[p] == '%') {
      star_p = ++p;
      star_i = i;
      continue;
    }
    if (p < pat.size() && pat[p] == '_') {
      ++p;
      i += code_point_length(s, i);
      continue;
    }
    if (p < pat.size()) {
      const std::size_t n = code_point_length(pat, p);
      if (i + n <= s.size() && s.compare(i, n, pat.substr(p, n)) == 0) {
        p += n;
        i += n;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    star_i += code_point_length(s, star_i);
    i = star_i;
    p = star_p;
  }
  while (p < pat.size() && pat[p] == '%') ++p;
  return p == pat.size();
}

// ---------------------------------------------------------------------------------------------
// Errors without allocation: into the budget's fixed buffer.

void set_error(EvalBudget& b, std::initializer_list<std::string_view> parts) {
  std::size_t n = 0;
  for (std::string_view part : parts) {
    const std::size_t k = std::min(part.size(), sizeof b.error_text - n);
    if (k == 0) continue;  // an empty view may have no data() to copy from
    std::memcpy(b.error_text + n, part.data(), k);
    n += k;
  }
  b.error_length = static_cast<std::uint8_t>(n);
}

std::string_view number_text(std::uint64_t v, char (&buf)[24]) {
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string_view(buf, static_cast<std::size_t>(r.ptr - buf));
}

bool charge(EvalBudget& b, std::uint64_t n = 1) {
  if (b.steps >= b.max_steps) {
    char buf[24];
    set_error(b, {"evaluation step budget of ", number_text(b.max_steps, buf), " exhausted"});
    return false;
  }
  b.steps += n;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Comparison expressions against one observation (STIX 2.1 §9: all comparisons of one
// [ ... ] are rooted at one object: AND needs one object satisfying both sides, OR either).

constexpr std::uint8_t kRefList = 1;  // the node is a *_refs list: its elements are dereferenced
constexpr std::uint8_t kDecoded = 2;  // the node is a *_hex / *_bin string: use its bytes

struct Value {
  NodeId node = kNone;
  std::uint8_t flags = 0;
};

struct Typed {
  ValueKind kind = ValueKind::null;
  const ObjectTree::Node* n = nullptr;
  std::string_view s;  // string text or binary bytes
};

struct Ctx {
  const Program& p;
  const ObjectTree& tree;
  const ObservedData& obs;
  EvalBudget& budget;
};

// Results of tests: 1 true, 0 false, -1 error (message in the budget).
int fail(const Ctx& x, std::initializer_list<std::string_view> parts) {
  set_error(x.budget, parts);
  return -1;
}

Typed typed(const Ctx& x, Value v) {
  Typed t;
  t.n = &x.tree.node(v.node);
  if (v.flags & kRefList) {
    t.kind = ValueKind::list;
  } else if (v.flags & kDecoded) {
    t.kind = ValueKind::binary;
    t.s = t.n->bytes;
  } else {
    t.kind = t.n->kind;
    t.s = t.n->text;
  }
  return t;
}

// Equality of the type table of STIX 2.1 §9 as the reference implements it: numbers with
// numbers, strings with strings, binary with binary or with a string of code points < 256,
// booleans with booleans; anything else is unequal.
bool equal_value(const Literal& lit, const Typed& t) {
  switch (lit.type) {
    case LitType::integer:
      if (t.kind == ValueKind::integer) return t.n->integer == lit.integer;
      if (t.kind == ValueKind::floating) return compare_int_double(lit.integer, t.n->floating) == 0;
      return false;
    case LitType::floating:
      if (t.kind == ValueKind::integer) return compare_int_double(t.n->integer, lit.floating) == 0;
      if (t.kind == ValueKind::floating) return compare_double(t.n->floating, lit.floating) == 0;
      return false;
    case LitType::string:
      if (t.kind == ValueKind::string) return t.s == lit.bytes;
      if (t.kind == ValueKind::binary) return lit.latin1 && t.s == lit.latin1_bytes;
      return false;
    case LitType::binary:
      if (t.kind == ValueKind::binary) return t.s == lit.bytes;
      if (t.kind == ValueKind::string) {
        int cmp = 0;
        return latin1_compare(t.s, lit.bytes, cmp) && cmp == 0;
      }
      return false;
    case LitType::boolean: return t.kind == ValueKind::boolean && t.n->boolean == lit.boolean;
    case LitType::timestamp: return false;  // strings are parsed before (see test_equal)
  }
  return false;
}

// IN uses Python's == (the reference tests `value in set`): unlike `=`, a boolean equals the
// numbers 0 / 1, and a string never equals binary.
bool python_equal(const Literal& lit, const Typed& t) {
  const bool lit_num = lit.type == LitType::integer || lit.type == LitType::floating || lit.type == LitType::boolean;
  const bool val_num =
      t.kind == ValueKind::integer || t.kind == ValueKind::floating || t.kind == ValueKind::boolean;
  if (lit_num && val_num) {
    const bool lf = lit.type == LitType::floating, vf = t.kind == ValueKind::floating;
    const std::int64_t li = lit.type == LitType::boolean ? (lit.boolean ? 1 : 0) : lit.integer;
    const std::int64_t vi = t.kind == ValueKind::boolean ? (t.n->boolean ? 1 : 0) : t.n->integer;
    if (lf && vf) return compare_double(t.n->floating, lit.floating) == 0;
    if (lf) return compare_int_double(vi, lit.floating) == 0;
    if (vf) return compare_int_double(li, t.n->floating) == 0;
    return li == vi;
  }
  if (lit.type == LitType::string) return t.kind == ValueKind::string && t.s == lit.bytes;
  if (lit.type == LitType::binary) return t.kind == ValueKind::binary && t.s == lit.bytes;
  return false;
}

int json_timestamp(const Ctx& x, const Typed& t, TimeUs& out) {
  if (parse_strict_timestamp(t.s, out)) return 1;
  const std::string_view shown = t.s.substr(0, 64);
  return fail(x, {"invalid timestamp in JSON: '", shown, "'"});
}

int test_equal(const Ctx& x, const Comparison& c, const Typed& t) {
  const Literal& lit = x.p.literals[c.first];
  bool eq = false;
  if (lit.type == LitType::timestamp && t.kind == ValueKind::string) {
    // A JSON string compared with a timestamp literal is read as a timestamp.
    TimeUs ts = 0;
    if (json_timestamp(x, t, ts) < 0) return -1;
    eq = ts == lit.time;
  } else {
    eq = equal_value(lit, t);
  }
  if (c.op == PatternOp::neq) eq = !eq;
  return eq != c.negated ? 1 : 0;
}

// Ordering: incomparable types are false whatever NOT says (the reference returns before
// applying NOT); a string that cannot become Latin-1 against binary is false before NOT.
int test_order(const Ctx& x, const Comparison& c, const Typed& t) {
  const Literal& lit = x.p.literals[c.first];
  int cmp = 2;  // 2: not comparable (false, NOT ignored); 3: false, NOT applies
  switch (lit.type) {
    case LitType::integer:
      if (t.kind == ValueKind::integer) cmp = (t.n->integer > lit.integer) - (t.n->integer < lit.integer);
      else if (t.kind == ValueKind::floating) cmp = -compare_int_double(lit.integer, t.n->floating);
      break;
    case LitType::floating:
      if (t.kind == ValueKind::integer) cmp = compare_int_double(t.n->integer, lit.floating);
      else if (t.kind == ValueKind::floating) cmp = compare_double(t.n->floating, lit.floating);
      break;
    case LitType::string:
      if (t.kind == ValueKind::string) cmp = sign(t.s.compare(lit.bytes));
      else if (t.kind == ValueKind::binary) cmp = lit.latin1 ? sign(t.s.compare(lit.latin1_bytes)) : 3;
      break;
    case LitType::binary:
      if (t.kind == ValueKind::binary) cmp = sign(t.s.compare(lit.bytes));
      else if (t.kind == ValueKind::string) cmp = latin1_compare(t.s, lit.bytes, cmp) ? cmp : 3;
      break;
    case LitType::timestamp:
      if (t.kind == ValueKind::string) {
        TimeUs ts = 0;
        if (json_timestamp(x, t, ts) < 0) return -1;
        cmp = (ts > lit.time) - (ts < lit.time);
      }
      break;
    case LitType::boolean: break;
  }
  if (cmp == -2 || cmp == 2) return 0;  // -2: unordered NaN negated above
  bool r = false;
  if (cmp != 3) {
    switch (c.op) {
      case PatternOp::lt: r = cmp < 0; break;
      case PatternOp::gt: r = cmp > 0; break;
      case PatternOp::le: r = cmp <= 0; break;
      case PatternOp::ge: r = cmp >= 0; break;
      default: break;
    }
  }
  return r != c.negated ? 1 : 0;
}

int test_in(const Ctx& x, const Comparison& c, const Typed& t) {
  bool member = false;
  if (c.set_timestamps && t.kind == ValueKind::string) {
    TimeUs ts = 0;
    if (json_timestamp(x, t, ts) < 0) return -1;
    for (std::uint32_t i = 0; i < c.count && !member; ++i) member = x.p.literals[c.first + i].time == ts;
  } else if (!c.set_timestamps) {
    for (std::uint32_t i = 0; i < c.count && !member; ++i) member = python_equal(x.p.literals[c.first + i], t);
  }
  return member != c.negated ? 1 : 0;
}

int test_like(const Ctx& x, const Comparison& c, const Typed& t) {
  bool r = false;
  const Literal& lit = x.p.literals[c.first];
  if (t.kind == ValueKind::string) {
    r = like_match(lit.bytes, t.s);
  } else if (t.kind == ValueKind::binary && c.like_latin1) {
    // The reference decodes binary as UTF-8 for LIKE and fails on bytes that are not.
    if (!valid_utf8(t.s)) return fail(x, {"LIKE on a binary value that is not UTF-8"});
    r = like_match(lit.bytes, t.s);
  }
  if (!charge(x.budget, t.s.size() / 256)) return -1;
  return r != c.negated ? 1 : 0;
}

int test_matches(const Ctx& x, const Comparison& c, const Typed& t) {
  bool r = false;
#if OUTPOST_WITH_RE2
  if (t.kind == ValueKind::string) {
    r = re2::RE2::PartialMatch(re2::StringPiece(t.s.data(), t.s.size()), *c.re);
  } else if (t.kind == ValueKind::binary && c.re_latin1) {
    r = re2::RE2::PartialMatch(re2::StringPiece(t.s.data(), t.s.size()), *c.re_latin1);
  }
#else
  (void)t;
#endif
  if (!charge(x.budget, t.s.size() / 256)) return -1;
  return r != c.negated ? 1 : 0;
}

int test_subnet(const Ctx& x, const Comparison& c, const Typed& t) {
  bool r = false;
  if (t.kind == ValueKind::string) {
    const std::string_view lit = x.p.literals[c.first].bytes;
    Address value;
    const bool value_ok = parse_address(t.s, value);
    // ISSUBSET: the value (address or network) lies in the literal network; ISSUPERSET: the
    // literal lies in the value network. The container must be written as a network.
    const bool subset = c.op == PatternOp::issubset;
    if (!value_ok || (!subset && !value.has_prefix))
      return fail(x, {"invalid IP address or CIDR in JSON: '", t.s.substr(0, 64), "'"});
    if (!c.address_ok || (subset && !c.address.has_prefix))
      return fail(x, {"invalid IP address or CIDR in pattern: '", lit.substr(0, 64), "'"});
    r = subset ? address_within(value, c.address) : address_within(c.address, value);
  }
  return r != c.negated ? 1 : 0;
}

int test_value(const Ctx& x, const Comparison& c, Value v) {
  const Typed t = typed(x, v);
  switch (c.op) {
    case PatternOp::eq:
    case PatternOp::neq: return test_equal(x, c, t);
    case PatternOp::gt:
    case PatternOp::lt:
    case PatternOp::ge:
    case PatternOp::le: return test_order(x, c, t);
    case PatternOp::in: return test_in(x, c, t);
    case PatternOp::like: return test_like(x, c, t);
    case PatternOp::matches: return test_matches(x, c, t);
    case PatternOp::issubset:
    case PatternOp::issuperset: return test_subnet(x, c, t);
    case PatternOp::exists: return 1;
  }
  return 0;
}

// Dereferences `id` within the observation (STIX 2.1 §9, object paths: references resolve
// against the same observation only; an unresolved one selects nothing) and continues the
// walk from every object carrying that id.
template <class Walk>
int each_referent(const Ctx& x, std::string_view id, Walk&& walk) {
  for (std::size_t k = 0; k < x.obs.object_count; ++k) {
    if (x.obs.objects[k].id != id || x.obs.objects[k].node >= x.tree.size()) continue;
    const int r = walk(Value{x.obs.objects[k].node, 0});
    if (r != 0) return r;
  }
  return 0;
}

// Walks `p` from step `i` at `v`; 1 as soon as one selected value passes the comparison.
int walk(const Ctx& x, const Comparison& c, const Path& p, std::size_t i, Value v) {
  if (!charge(x.budget)) return -1;
  if (i == p.steps.size()) return test_value(x, c, v);
  const Step& s = p.steps[i];
  const ObjectTree& tree = x.tree;
  const auto next = [&](Value w) { return walk(x, c, p, i + 1, w); };
  switch (s.kind) {
    case PathStep::Kind::key: {
      if (v.flags != 0) return 0;
      const NodeId ch = tree.child(v.node, s.key);
      if (ch == kNone) return 0;
      const ObjectTree::Node& n = tree.node(ch);
      if (s.binary) {
        if (n.kind == ValueKind::binary) return next(Value{ch, 0});
        if (n.kind == ValueKind::string && n.encoded == 1) return next(Value{ch, kDecoded});
        return fail(x, {"property '", s.key, ends_with(s.key, "_hex") ? "' is not hex" : "' is not base64"});
      }
      if (s.ref == RefKind::one) {
        if (n.kind != ValueKind::string) return fail(x, {"reference property '", s.key, "' is not a string"});
        return each_referent(x, n.text, next);
      }
      if (s.ref == RefKind::many) {
        if (n.kind != ValueKind::list) return fail(x, {"reference list property '", s.key, "' is not a list"});
        for (NodeId e = n.first_child; e != kNone; e = tree.node(e).next_sibling)
          if (tree.node(e).kind != ValueKind::string)
            return fail(x, {"a value of reference list property '", s.key, "' is not a string"});
        return next(Value{ch, kRefList});
      }
      return next(Value{ch, 0});
    }
    case PathStep::Kind::index: {
      // Negative indexes select nothing, as in the reference.
      if (s.index < 0 || (v.flags & kDecoded)) return 0;
      const auto want = static_cast<std::uint64_t>(s.index);
      if (v.flags & kRefList) {
        // The index counts resolved references only (the reference indexes the list of
        // referents).
        std::uint64_t seen = 0;
        for (NodeId e = tree.node(v.node).first_child; e != kNone; e = tree.node(e).next_sibling) {
          const std::string_view id = tree.node(e).text;
          for (std::size_t k = 0; k < x.obs.object_count; ++k) {
            if (x.obs.objects[k].id != id || x.obs.objects[k].node >= tree.size()) continue;
            if (seen++ == want) return next(Value{x.obs.objects[k].node, 0});
          }
        }
        return 0;
      }
      const NodeId e = tree.element(v.node, want);
      return e == kNone ? 0 : next(Value{e, 0});
    }
    case PathStep::Kind::any_index: {
      if (v.flags & kDecoded) return 0;
      const ObjectTree::Node& n = tree.node(v.node);
      if (n.kind != ValueKind::list) return 0;
      for (NodeId e = n.first_child; e != kNone; e = tree.node(e).next_sibling) {
        const int r = (v.flags & kRefList) ? each_referent(x, tree.node(e).text, next) : next(Value{e, 0});
        if (r != 0) return r;
      }
      return 0;
    }
  }
  return 0;
}

int eval_comparison(const Ctx& x, const Comparison& c, NodeId root) {
  const Path& p = x.p.paths[c.path];
  const int r = walk(x, c, p, 0, Value{root, 0});
  // EXISTS (STIX 2.1 §9): the path selects a value on this object; NOT EXISTS: it selects none.
  if (c.op == PatternOp::exists && r >= 0) return (r == 1) != c.negated ? 1 : 0;
  return r;
}

int eval_cexpr(const Ctx& x, std::uint32_t cn, NodeId root, std::string_view type) {
  const CNode& n = x.p.cnodes[cn];
  switch (n.kind) {
    case CKind::comparison: {
      const Comparison& c = x.p.comparisons[n.comparison];
      const Path& p = x.p.paths[c.path];
      if (p.never || p.type != type) return 0;
      return eval_comparison(x, c, root);
    }
    case CKind::all:
      for (std::uint32_t i = 0; i < n.count; ++i) {
        const int r = eval_cexpr(x, x.p.cchildren[n.first + i], root, type);
        if (r != 1) return r;
      }
      return 1;
    case CKind::any:
      for (std::uint32_t i = 0; i < n.count; ++i) {
        const int r = eval_cexpr(x, x.p.cchildren[n.first + i], root, type);
        if (r != 0) return r;
      }
      return 0;
  }
  return 0;
}

int eval_leaf(const Program& p, std::size_t leaf, const ObjectTree& tree, const ObservedData& obs, EvalBudget& b) {
  const Ctx x{p, tree, obs, b};
  for (std::size_t k = 0; k < obs.object_count; ++k) {
    if (!charge(b)) return -1;
    const NodeId root = obs.objects[k].node;
    if (root >= tree.size() || tree.node(root).kind != ValueKind::object) continue;
    const NodeId type = tree.child(root, "type");
    if (type == kNone || tree.node(type).kind != ValueKind::string) continue;
    const int r = eval_cexpr(x, p.leaves[leaf], root, tree.node(type).text);
    if (r != 0) return r;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// The search over observations (STIX 2.1 §9.5 observation operators, and the qualifiers).
//
// A binding assigns one observation instance to each leaf it uses; instances are never
// shared (AND, FOLLOWEDBY and REPEATS need disjoint bindings; OR binds one side only). An
// observed-data with number_observed k has instances 0..k-1 with the same interval and
// objects, so a leaf only ever takes the lowest instance not in use: the other choices are
// the same binding relabelled. Constraints of the enclosing qualifiers and FOLLOWEDBY are
// "watches", checked as each instance is bound, so dead ends are cut early.

struct Bound {
  std::uint32_t obs = 0;
  std::uint32_t inst = 0;
  std::uint64_t generation = 0;  // identifies the push, for Watch's cache
};

std::uint64_t order_key(std::uint32_t obs, std::uint32_t inst) { return (std::uint64_t{obs} << 32) | inst; }

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return a > std::numeric_limits<std::uint64_t>::max() - b ? std::numeric_limits<std::uint64_t>::max() : a + b;
}
std::uint64_t saturating_mul(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return std::numeric_limits<std::uint64_t>::max();
  return a * b;
}

struct Watch {
  enum class Kind : std::uint8_t { within, start_stop, after, order };
  Kind kind = Kind::within;
  Watch* below = nullptr;
  std::size_t scope = 0;      // within: stack height where its operand's bindings start
  std::int64_t a = 0, b = 0;  // within: window (µs); start_stop: start, stop; after: minimum last_observed
  std::uint64_t key = 0;      // order: instances must sort after this one
  // within: max first / min last over the scope, valid for (cached_top, cached_generation)
  std::size_t cached_top = std::numeric_limits<std::size_t>::max();
  std::uint64_t cached_generation = 0;
  TimeUs max_first = 0, min_last = 0;
};

struct Cont {
  enum class Kind : std::uint8_t { done, all_next, seq_next, pop_watch, rep_next };
  Kind kind = Kind::done;
  const Cont* next = nullptr;
  std::uint32_t node = 0;
  std::uint64_t index = 0;  // all/seq: next child; rep: repetitions completed
  std::size_t scope = 0;    // seq: stack height where the sequence started; rep: where this repetition started
  Watch* watch = nullptr;   // seq / rep: the watch of the child just completed; pop_watch: its watch
};

class TreeSource {
 public:
  TreeSource(const Program& p, const ObjectTree& tree, const ObservedData* obs, std::size_t n, EvalBudget& b)
      : p_(p), tree_(tree), obs_(obs), budget_(b), leaves_(p.leaves.size()) {
    memo_ = n * leaves_ <= kMemoCells;
    if (memo_) std::memset(cells_, 0, (n * leaves_ + 3) / 4);
  }
  Interval interval(std::size_t o) const {
    return Interval{obs_[o].first_observed, obs_[o].last_observed, obs_[o].number_observed};
  }
  int satisfies(std::size_t o, std::size_t leaf) {
    const std::size_t cell = o * leaves_ + leaf;
    if (memo_) {
      const unsigned v = (cells_[cell / 4] >> (cell % 4 * 2)) & 3u;
      if (v != 0) return static_cast<int>(v) - 1;
    }
    const int r = eval_leaf(p_, leaf, tree_, obs_[o], budget_);
    if (r >= 0 && memo_) cells_[cell / 4] = static_cast<std::uint8_t>(cells_[cell / 4] | ((r + 1) << (cell % 4 * 2)));
    return r;
  }

 private:
  const Program& p_;
  const ObjectTree& tree_;
  const ObservedData* obs_;
  EvalBudget& budget_;
  std::size_t leaves_;
  bool memo_ = false;
  std::uint8_t cells_[kMemoCells / 4];  // 2 bits per cell: 0 unknown, 1 false, 2 true
};

class OracleSource {
 public:
  OracleSource(const Interval* iv, const LeafOracle& oracle) : iv_(iv), oracle_(oracle) {}
  Interval interval(std::size_t o) const { return iv_[o]; }
  int satisfies(std::size_t o, std::size_t leaf) { return oracle_.satisfies(o, leaf) ? 1 : 0; }

 private:
  const Interval* iv_;
  const LeafOracle& oracle_;
};

template <class Source>
class Search {
 public:
  Search(const Program& p, Source& src, std::size_t n, EvalBudget& budget)
      : p_(p), src_(src), n_(static_cast<std::uint32_t>(n)), budget_(budget) {}

  // 1 match, 0 no match, -1 error.
  int run(EvalResult& out) {
    out_ = &out;
    Cont done;
    const bool ok = solve(p_.root, &done);
    if (failed_) return -1;
    return ok ? 1 : 0;
  }

 private:
  const ONode& node(std::uint32_t i) const { return p_.onodes[i]; }
  std::uint32_t child(const ONode& n, std::uint64_t i) const {
    return p_.ochildren[n.first + static_cast<std::uint32_t>(i)];
  }

  bool step() {
    if (!charge(budget_)) failed_ = true;
    return !failed_;
  }

  std::uint32_t used(std::uint32_t o) const {
    std::uint32_t k = 0;
    for (std::size_t i = 0; i < top_; ++i) k += stack_[i].obs == o;
    return k;
  }

  bool admit(std::uint32_t o, std::uint32_t inst, const Interval& iv) {
    for (Watch* w = watches_; w != nullptr; w = w->below) {
      switch (w->kind) {
        case Watch::Kind::within: {
          // STIX 2.1 §9 (WITHIN): some window of the given length touches every bound
          // interval, i.e. max(first_observed) - min(last_observed) <= window.
          const std::uint64_t gen = top_ > 0 ? stack_[top_ - 1].generation : 0;
          if (w->cached_top != top_ || w->cached_generation != gen) {
            w->max_first = std::numeric_limits<TimeUs>::min();
            w->min_last = std::numeric_limits<TimeUs>::max();
            for (std::size_t i = w->scope; i < top_; ++i) {
              const Interval b = src_.interval(stack_[i].obs);
              w->max_first = std::max(w->max_first, b.first_observed);
              w->min_last = std::min(w->min_last, b.last_observed);
            }
            w->cached_top = top_;
            w->cached_generation = gen;
          }
          const TimeUs max_first = std::max(w->max_first, iv.first_observed);
          const TimeUs min_last = std::min(w->min_last, iv.last_observed);
          if (max_first > min_last &&
              static_cast<std::uint64_t>(max_first) - static_cast<std::uint64_t>(min_last) >
                  static_cast<std::uint64_t>(w->a))
            return false;
          break;
        }
        case Watch::Kind::start_stop:
          // START/STOP: the interval overlaps [start, stop) (touching start counts, stop not).
          if (!(iv.first_observed < w->b && iv.last_observed >= w->a)) return false;
          break;
        case Watch::Kind::after:
          // FOLLOWEDBY: the latest first_observed before <= the earliest last_observed after.
          if (iv.last_observed < w->a) return false;
          break;
        case Watch::Kind::order:
          if (order_key(o, inst) <= w->key) return false;
          break;
      }
    }
    return true;
  }

  // Whether enough unused instances sorting after `after` satisfy a leaf of REPEATS node `n`
  // for the `needed` instances its remaining repetitions bind at least.
  bool enough(const ONode& n, const std::uint64_t* after, std::uint64_t needed) {
    const std::uint32_t from = after ? static_cast<std::uint32_t>(*after >> 32) : 0;
    auto qualifies = [&](std::uint32_t o, bool& out) {
      out = false;
      for (std::uint32_t leaf = n.leaf_lo; leaf < n.leaf_hi && !out; ++leaf) {
        const int s = src_.satisfies(o, leaf);
        if (s < 0) return false;
        out = s == 1;
      }
      return true;
    };
    const std::uint64_t target = saturating_add(needed, top_);
    std::uint64_t avail = 0;
    for (std::uint32_t o = from; o < n_ && avail < target; ++o) {
      bool q = false;
      if (!step()) return false;
      if (!qualifies(o, q)) {
        failed_ = true;
        return false;
      }
      if (q) avail = saturating_add(avail, src_.interval(o).number_observed);
    }
    if (avail >= target) return true;
    for (std::size_t i = 0; i < top_; ++i) {
      bool q = false;
      if (stack_[i].obs < from) continue;
      if (!qualifies(stack_[i].obs, q)) {
        failed_ = true;
        return false;
      }
      if (q && avail > 0) --avail;
    }
    return avail >= needed;
  }

  bool bind_leaf(std::uint32_t leaf, const Cont* k) {
    for (std::uint32_t o = 0; o < n_; ++o) {
      if (!step()) return false;
      const Interval iv = src_.interval(o);
      const std::uint32_t inst = used(o);
      if (inst >= iv.number_observed || !admit(o, inst, iv)) continue;
      const int s = src_.satisfies(o, leaf);
      if (s < 0) {
        failed_ = true;
        return false;
      }
      if (s == 0) continue;
      if (top_ >= kMaxBindingCap) {
        set_error(budget_, {"binding larger than the evaluator's limit"});
        failed_ = true;
        return false;
      }
      stack_[top_++] = Bound{o, inst, ++generation_};
      const bool r = resume(k);
      --top_;
      if (r) return true;
      if (failed_) return false;
    }
    return false;
  }

  bool solve(std::uint32_t i, const Cont* k) {
    const ONode& n = node(i);
    switch (n.kind) {
      case OKind::leaf: return bind_leaf(n.leaf, k);
      case OKind::all:
      case OKind::sequence: {
        Cont c;
        c.kind = n.kind == OKind::all ? Cont::Kind::all_next : Cont::Kind::seq_next;
        c.next = k;
        c.node = i;
        c.index = 1;
        c.scope = top_;
        return solve(child(n, 0), &c);
      }
      case OKind::any:
        for (std::uint32_t j = 0; j < n.count; ++j) {
          if (solve(child(n, j), k)) return true;
          if (failed_) return false;
        }
        return false;
      case OKind::within:
      case OKind::start_stop: {
        if (n.never) return false;
        Watch w;
        w.kind = n.kind == OKind::within ? Watch::Kind::within : Watch::Kind::start_stop;
        w.below = watches_;
        w.scope = top_;
        w.a = n.kind == OKind::within ? n.window : n.start;
        w.b = n.stop;
        watches_ = &w;
        Cont c;
        c.kind = Cont::Kind::pop_watch;
        c.next = k;
        c.node = i;
        c.watch = &w;
        const bool r = solve(child(n, 0), &c);
        watches_ = w.below;
        return r;
      }
      case OKind::repeats: {
        if (!enough(n, nullptr, saturating_mul(n.times, node(child(n, 0)).min_size))) return false;
        Cont c;
        c.kind = Cont::Kind::rep_next;
        c.next = k;
        c.node = i;
        c.index = 1;
        c.scope = top_;
        return solve(child(n, 0), &c);
      }
    }
    return false;
  }

  bool resume(const Cont* k) {
    switch (k->kind) {
      case Cont::Kind::done: record(); return true;
      case Cont::Kind::pop_watch: {
        Watch* w = k->watch;
        watches_ = w->below;
        const bool r = resume(k->next);
        watches_ = w;
        return r;
      }
      case Cont::Kind::all_next: {
        const ONode& n = node(k->node);
        if (k->index == n.count) return resume(k->next);
        Cont c = *k;
        c.index = k->index + 1;
        return solve(child(n, k->index), &c);
      }
      case Cont::Kind::seq_next: {
        const ONode& n = node(k->node);
        Watch* prev = k->watch;
        if (prev) watches_ = prev->below;
        bool r = false;
        if (k->index == n.count) {
          r = resume(k->next);
        } else {
          // Children bind in order; child j must end no earlier than every instance bound
          // by children 0..j-1 starts (the left-nested FOLLOWEDBY chain).
          Watch w;
          w.kind = Watch::Kind::after;
          w.below = watches_;
          w.a = std::numeric_limits<TimeUs>::min();
          for (std::size_t j = k->scope; j < top_; ++j)
            w.a = std::max(w.a, src_.interval(stack_[j].obs).first_observed);
          watches_ = &w;
          Cont c = *k;
          c.index = k->index + 1;
          c.watch = &w;
          r = solve(child(n, k->index), &c);
          watches_ = w.below;
        }
        if (prev) watches_ = prev;
        return r;
      }
      case Cont::Kind::rep_next: {
        const ONode& n = node(k->node);
        Watch* prev = k->watch;
        if (prev) watches_ = prev->below;
        bool r = false;
        if (k->index == n.times) {
          r = resume(k->next);
        } else {
          // Repetitions are unordered: each must start (by its smallest instance) after the
          // previous one's smallest instance, so every set of repetitions is tried once.
          std::uint64_t min_key = std::numeric_limits<std::uint64_t>::max();
          for (std::size_t j = k->scope; j < top_; ++j)
            min_key = std::min(min_key, order_key(stack_[j].obs, stack_[j].inst));
          const std::uint64_t needed = saturating_mul(n.times - k->index, node(child(n, 0)).min_size);
          if (enough(n, &min_key, needed)) {
            Watch w;
            w.kind = Watch::Kind::order;
            w.below = watches_;
            w.key = min_key;
            watches_ = &w;
            Cont c = *k;
            c.index = k->index + 1;
            c.scope = top_;
            c.watch = &w;
            r = solve(child(n, 0), &c);
            watches_ = w.below;
          }
        }
        if (prev) watches_ = prev;
        return r;
      }
    }
    return false;
  }

  // Not a local array: resume() frames would each carry it down the recursion.
  void record() {
    std::uint32_t* obs = scratch_;
    std::size_t m = 0;
    for (std::size_t i = 0; i < top_; ++i) obs[m++] = stack_[i].obs;
    std::sort(obs, obs + m);
    m = static_cast<std::size_t>(std::unique(obs, obs + m) - obs);
    out_->bound_total = static_cast<std::uint32_t>(m);
    out_->bound_count = static_cast<std::uint8_t>(std::min(m, EvalResult::kMaxBound));
    std::copy(obs, obs + out_->bound_count, out_->bound);
  }

  const Program& p_;
  Source& src_;
  std::uint32_t n_;
  EvalBudget& budget_;
  EvalResult* out_ = nullptr;
  Bound stack_[kMaxBindingCap];
  std::uint32_t scratch_[kMaxBindingCap];
  std::size_t top_ = 0;
  std::uint64_t generation_ = 0;
  Watch* watches_ = nullptr;
  bool failed_ = false;
};

// ---------------------------------------------------------------------------------------------
// Compilation

class Compiler {
 public:
  Compiler(const Pattern& pattern, Program& out, ProgramResult& result)
      : in_(pattern), p_(out), result_(result) {}

  bool run() {
    std::uint32_t root = 0;
    if (!observation(in_.root, 0, root)) return false;
    p_.root = root;
    const ONode& r = p_.onodes[root];
    p_.single = r.kind == OKind::leaf;
    const std::size_t limit = std::min(p_.options.max_binding, kMaxBindingCap);
    if (r.max_size > limit)
      return fail(ProgramStatus::unsupported, 0,
                  "unsupported: the pattern binds up to " + count_text(r.max_size) +
                      " observations, more than the evaluator's limit of " + std::to_string(limit));
    if (r.visits > std::max<std::uint64_t>(256, 8 * limit))
      return fail(ProgramStatus::unsupported, 0, "unsupported: the pattern is too large to evaluate");
    return true;
  }

 private:
  static std::string count_text(std::uint64_t v) {
    return v == std::numeric_limits<std::uint64_t>::max() ? std::string("more than 2^64") : std::to_string(v);
  }

  bool fail(ProgramStatus status, std::uint32_t position, std::string message) {
    result_.status = status;
    result_.position = position;
    result_.message = std::move(message);
    return false;
  }
  bool malformed() { return fail(ProgramStatus::invalid, 0, "malformed pattern tree"); }

  // Operands of a chain of the associative AND / OR of `kind`, left to right.
  bool operands(std::uint32_t n, NodeKind kind, std::vector<std::uint32_t>& out) {
    std::vector<std::uint32_t> todo{n};
    std::size_t guard = 0;
    while (!todo.empty()) {
      const std::uint32_t x = todo.back();
      todo.pop_back();
      if (x >= in_.nodes.size() || ++guard > 2 * in_.nodes.size() + 2) return malformed();
      const PatternNode& pn = in_.nodes[x];
      if (pn.kind == kind) {
        todo.push_back(pn.rhs);
        todo.push_back(pn.lhs);
        continue;
      }
      out.push_back(x);
    }
    return true;
  }

  // Operands of a FOLLOWEDBY chain: the left spine only, as FOLLOWEDBY is not associative.
  bool sequence_operands(std::uint32_t n, std::vector<std::uint32_t>& out) {
    std::vector<std::uint32_t> rhs;
    std::uint32_t x = n;
    while (x < in_.nodes.size() && in_.nodes[x].kind == NodeKind::followed_by) {
      if (rhs.size() > in_.nodes.size()) return malformed();
      rhs.push_back(in_.nodes[x].rhs);
      x = in_.nodes[x].lhs;
    }
    if (x >= in_.nodes.size()) return malformed();
    out.push_back(x);
    out.insert(out.end(), rhs.rbegin(), rhs.rend());
    return true;
  }

  bool observation(std::uint32_t n, std::size_t depth, std::uint32_t& out) {
    if (n >= in_.nodes.size()) return malformed();
    const PatternNode& pn = in_.nodes[n];
    if (depth > kMaxObservationDepth)
      return fail(ProgramStatus::unsupported, pn.position, "unsupported: observation expressions nested too deeply");
    ONode o;
    switch (pn.kind) {
      case NodeKind::observation: {
        std::uint32_t croot = 0;
        if (!comparison_expression(pn.lhs, 0, croot)) return false;
        o.kind = OKind::leaf;
        o.leaf = static_cast<std::uint32_t>(p_.leaves.size());
        p_.leaves.push_back(croot);
        o.min_size = o.max_size = 1;
        o.visits = 2;
        o.leaf_lo = o.leaf;
        o.leaf_hi = o.leaf + 1;
        break;
      }
      case NodeKind::observation_and:
      case NodeKind::observation_or:
      case NodeKind::followed_by: {
        std::vector<std::uint32_t> ops;
        if (pn.kind == NodeKind::followed_by ? !sequence_operands(n, ops) : !operands(n, pn.kind, ops))
          return false;
        std::vector<std::uint32_t> kids;
        for (std::uint32_t x : ops) {
          std::uint32_t c = 0;
          if (!observation(x, depth + 1, c)) return false;
          kids.push_back(c);
        }
        o.kind = pn.kind == NodeKind::observation_and ? OKind::all
                 : pn.kind == NodeKind::observation_or ? OKind::any
                                                        : OKind::sequence;
        o.min_size = o.kind == OKind::any ? std::numeric_limits<std::uint64_t>::max() : 0;
        o.visits = 2;
        std::uint64_t max_visits = 0;
        for (std::uint32_t c : kids) {
          const ONode& k = p_.onodes[c];
          if (o.kind == OKind::any) {
            o.min_size = std::min(o.min_size, k.min_size);
            o.max_size = std::max(o.max_size, k.max_size);
            max_visits = std::max(max_visits, k.visits);
          } else {
            o.min_size = saturating_add(o.min_size, k.min_size);
            o.max_size = saturating_add(o.max_size, k.max_size);
            o.visits = saturating_add(o.visits, k.visits);
          }
        }
        o.visits = saturating_add(o.visits, max_visits);
        o.leaf_lo = p_.onodes[kids.front()].leaf_lo;
        o.leaf_hi = p_.onodes[kids.back()].leaf_hi;
        o.first = static_cast<std::uint32_t>(p_.ochildren.size());
        o.count = static_cast<std::uint32_t>(kids.size());
        p_.ochildren.insert(p_.ochildren.end(), kids.begin(), kids.end());
        break;
      }
      case NodeKind::within:
      case NodeKind::repeats:
      case NodeKind::start_stop: {
        if (!qualifier(pn, o)) return false;
        std::uint32_t c = 0;
        if (!observation(pn.lhs, depth + 1, c)) return false;
        const ONode& k = p_.onodes[c];
        o.min_size = k.min_size;
        o.max_size = k.max_size;
        o.visits = saturating_add(k.visits, 2);
        if (o.kind == OKind::repeats) {
          o.min_size = saturating_mul(o.min_size, o.times);
          o.max_size = saturating_mul(o.max_size, o.times);
          o.visits = saturating_add(2, saturating_mul(o.times, saturating_add(k.visits, 1)));
        }
        o.leaf_lo = k.leaf_lo;
        o.leaf_hi = k.leaf_hi;
        o.first = static_cast<std::uint32_t>(p_.ochildren.size());
        o.count = 1;
        p_.ochildren.push_back(c);
        break;
      }
      default: return malformed();
    }
    out = static_cast<std::uint32_t>(p_.onodes.size());
    p_.onodes.push_back(o);
    return true;
  }

  const PatternLiteral* qualifier_literal(const PatternNode& pn, std::uint32_t k) {
    if (pn.first + static_cast<std::uint64_t>(k) >= in_.literals.size()) return nullptr;
    return &in_.literals[pn.first + k];
  }

  bool qualifier(const PatternNode& pn, ONode& o) {
    const PatternLiteral* l0 = qualifier_literal(pn, 0);
    if (!l0) return malformed();
    if (pn.kind == NodeKind::within) {
      // STIX 2.1 §9 (WITHIN): a positive number of seconds, kept in microseconds.
      Literal v;
      if ((l0->kind != LiteralKind::integer && l0->kind != LiteralKind::floating) || !literal(*l0, pn.position, v))
        return fail(ProgramStatus::invalid, pn.position, "WITHIN needs a number of seconds");
      const double seconds = v.type == LitType::integer ? static_cast<double>(v.integer) : v.floating;
      if (!(seconds > 0))
        return fail(ProgramStatus::invalid, pn.position, "WITHIN " + l0->text + " SECONDS: the duration must be positive");
      const double us = seconds * 1e6;
      o.kind = OKind::within;
      o.window = us >= 9.0e18 ? std::numeric_limits<std::int64_t>::max() : std::llround(us);
      return true;
    }
    if (pn.kind == NodeKind::repeats) {
      Literal v;
      if (l0->kind != LiteralKind::integer || !literal(*l0, pn.position, v))
        return fail(ProgramStatus::invalid, pn.position, "REPEATS needs an integer");
      if (v.integer <= 0)
        return fail(ProgramStatus::invalid, pn.position, "REPEATS " + l0->text + " TIMES: the count must be positive");
      o.kind = OKind::repeats;
      o.times = static_cast<std::uint64_t>(v.integer);
      return true;
    }
    const PatternLiteral* l1 = qualifier_literal(pn, 1);
    if (!l1) return malformed();
    TimeUs t[2] = {0, 0};
    const PatternLiteral* lits[2] = {l0, l1};
    for (int k = 0; k < 2; ++k) {
      const PatternLiteral& l = *lits[k];
      if (l.kind == LiteralKind::string && p_.options.version == StixVersion::v21)
        return fail(ProgramStatus::invalid, pn.position, "START/STOP need t'...' timestamps in STIX 2.1");
      if ((l.kind != LiteralKind::string && l.kind != LiteralKind::timestamp) || !parse_strict_timestamp(l.text, t[k]))
        return fail(ProgramStatus::invalid, pn.position, "invalid START/STOP timestamp '" + l.text + "'");
    }
    o.kind = OKind::start_stop;
    o.start = t[0];
    o.stop = t[1];
    // The reference: no observation can be at or after START and before STOP when STOP <= START.
    o.never = t[0] >= t[1];
    return true;
  }

  bool comparison_expression(std::uint32_t n, std::size_t depth, std::uint32_t& out) {
    if (n >= in_.nodes.size()) return malformed();
    const PatternNode& pn = in_.nodes[n];
    if (depth > kMaxComparisonDepth)
      return fail(ProgramStatus::unsupported, pn.position, "unsupported: comparisons nested too deeply");
    CNode c;
    if (pn.kind == NodeKind::comparison) {
      c.kind = CKind::comparison;
      if (!comparison(pn, c.comparison)) return false;
    } else if (pn.kind == NodeKind::comparison_and || pn.kind == NodeKind::comparison_or) {
      std::vector<std::uint32_t> ops;
      if (!operands(n, pn.kind, ops)) return false;
      std::vector<std::uint32_t> kids;
      for (std::uint32_t x : ops) {
        std::uint32_t k = 0;
        if (!comparison_expression(x, depth + 1, k)) return false;
        kids.push_back(k);
      }
      c.kind = pn.kind == NodeKind::comparison_and ? CKind::all : CKind::any;
      c.first = static_cast<std::uint32_t>(p_.cchildren.size());
      c.count = static_cast<std::uint32_t>(kids.size());
      p_.cchildren.insert(p_.cchildren.end(), kids.begin(), kids.end());
    } else {
      return malformed();
    }
    out = static_cast<std::uint32_t>(p_.cnodes.size());
    p_.cnodes.push_back(c);
    return true;
  }

  bool literal(const PatternLiteral& l, std::uint32_t position, Literal& v) {
    const auto bad = [&](const char* what) {
      return fail(ProgramStatus::invalid, position, std::string(what) + " '" + l.text + "'");
    };
    std::string_view t = l.text;
    switch (l.kind) {
      case LiteralKind::string:
        v.type = LitType::string;
        v.bytes = l.text;
        v.latin1 = to_latin1(l.text, v.latin1_bytes);
        return true;
      case LiteralKind::integer: {
        if (!t.empty() && t[0] == '+') t.remove_prefix(1);
        const auto r = std::from_chars(t.data(), t.data() + t.size(), v.integer);
        if (r.ec != std::errc() || r.ptr != t.data() + t.size()) return bad("invalid integer");
        v.type = LitType::integer;
        return true;
      }
      case LiteralKind::floating: {
        if (!t.empty() && t[0] == '+') t.remove_prefix(1);
        const auto r = std::from_chars(t.data(), t.data() + t.size(), v.floating);
        if (r.ec != std::errc() || r.ptr != t.data() + t.size()) return bad("invalid float");
        v.type = LitType::floating;
        return true;
      }
      case LiteralKind::boolean:
        v.type = LitType::boolean;
        v.boolean = l.text == "true";
        return true;
      case LiteralKind::timestamp:
        v.type = LitType::timestamp;
        if (!parse_strict_timestamp(l.text, v.time)) return bad("invalid timestamp");
        return true;
      case LiteralKind::binary:
        v.type = LitType::binary;
        if (!decode_base64(l.text, v.bytes)) return bad("invalid base64 literal");
        return true;
      case LiteralKind::hex:
        v.type = LitType::binary;
        if (!decode_hex(l.text, v.bytes)) return bad("invalid hex literal");
        return true;
    }
    return malformed();
  }

  bool path(std::uint32_t index, std::uint32_t& out) {
    if (index >= in_.paths.size()) return malformed();
    const ObjectPath& op = in_.paths[index];
    Path p;
    p.type = op.object_type;
    if (p_.options.version == StixVersion::v21)
      for (std::string_view sdo : kSdoTypes) p.never = p.never || p.type == sdo;
    for (const PathStep& ps : op.steps) {
      Step s;
      s.kind = ps.kind;
      s.key = ps.key;
      s.index = ps.index;
      if (ps.kind == PathStep::Kind::key) {
        // STIX 2.1 §9 (object paths): *_ref and *_refs properties are dereferenced.
        if (ends_with(ps.key, "_ref")) s.ref = RefKind::one;
        else if (ends_with(ps.key, "_refs")) s.ref = RefKind::many;
        s.binary = ends_with(ps.key, "_hex") || ends_with(ps.key, "_bin");
      }
      p.steps.push_back(std::move(s));
    }
    if (p.steps.empty()) return malformed();
    out = static_cast<std::uint32_t>(p_.paths.size());
    p_.paths.push_back(std::move(p));
    return true;
  }

  bool comparison(const PatternNode& pn, std::uint32_t& out) {
    Comparison c;
    c.op = pn.op;
    c.negated = pn.negated;
    if (pn.first + static_cast<std::uint64_t>(pn.count) > in_.literals.size()) return malformed();
    if (!path(pn.path, c.path)) return false;
    const std::uint32_t want = pn.op == PatternOp::exists ? 0 : pn.op == PatternOp::in ? pn.count : 1;
    if (pn.count != want) return malformed();
    c.first = static_cast<std::uint32_t>(p_.literals.size());
    c.count = pn.count;
    for (std::uint32_t i = 0; i < pn.count; ++i) {
      Literal v;
      if (!literal(in_.literals[pn.first + i], pn.position, v)) return false;
      p_.literals.push_back(std::move(v));
    }
    const Literal* lit = pn.count > 0 ? &p_.literals[c.first] : nullptr;
    switch (pn.op) {
      case PatternOp::in: {
        // STIX 2.1 §9 (IN): the set holds one type; integers and floats may mix.
        for (std::uint32_t i = 1; i < c.count; ++i) {
          const LitType a = p_.literals[c.first].type, b = p_.literals[c.first + i].type;
          const bool numbers = (a == LitType::integer || a == LitType::floating) &&
                               (b == LitType::integer || b == LitType::floating);
          if (a != b && !numbers)
            return fail(ProgramStatus::invalid, pn.position, "IN set mixes literal types");
        }
        c.set_timestamps = c.count > 0 && lit->type == LitType::timestamp;
        break;
      }
      case PatternOp::like:
      case PatternOp::matches:
      case PatternOp::issubset:
      case PatternOp::issuperset:
        if (lit->type != LitType::string) return malformed();
        if (pn.op == PatternOp::like) c.like_latin1 = lit->latin1;
        if (pn.op == PatternOp::issubset || pn.op == PatternOp::issuperset)
          c.address_ok = parse_address(lit->bytes, c.address);
        if (pn.op == PatternOp::matches && !regex(pn, *lit, c)) return false;
        break;
      default: break;
    }
    out = static_cast<std::uint32_t>(p_.comparisons.size());
    p_.comparisons.push_back(std::move(c));
    return true;
  }

  bool regex(const PatternNode& pn, const Literal& lit, Comparison& c) {
#if OUTPOST_WITH_RE2
    // Python re.search semantics (unanchored) with RE2's linear-time engine. A router must
    // not spend megabytes per regex: each gets 1 MiB for its compiled form and DFA states
    // (past that RE2 falls back to its NFA, still linear).
    re2::RE2::Options o;
    o.set_log_errors(false);
    o.set_max_mem(1 << 20);
    c.re = std::make_unique<re2::RE2>(re2::StringPiece(lit.bytes.data(), lit.bytes.size()), o);
    if (!c.re->ok()) {
      const bool perl_only = c.re->error_code() == re2::RE2::ErrorBadPerlOp;
      return fail(perl_only ? ProgramStatus::unsupported : ProgramStatus::invalid, pn.position,
                  std::string(perl_only ? "unsupported: " : "") + "MATCHES regex '" + lit.bytes + "': " + c.re->error());
    }
    if (lit.latin1) {
      // Binary values match the regex with its code points as bytes (STIX 2.1 §9, MATCHES).
      o.set_encoding(re2::RE2::Options::EncodingLatin1);
      c.re_latin1 = std::make_unique<re2::RE2>(re2::StringPiece(lit.latin1_bytes.data(), lit.latin1_bytes.size()), o);
      if (!c.re_latin1->ok()) c.re_latin1.reset();
    }
    return true;
#else
    (void)lit;
    (void)c;
    return fail(ProgramStatus::unsupported, pn.position, "unsupported: MATCHES needs RE2 (built with OUTPOST_WITH_RE2=OFF)");
#endif
  }

  const Pattern& in_;
  Program& p_;
  ProgramResult& result_;
};

EvalResult finish(EvalStatus status, const EvalBudget& b, std::uint64_t start, EvalResult r) {
  r.status = status;
  r.steps = b.steps - start;
  if (status == EvalStatus::error) {
    const std::string_view m = b.error();
    r.message_length = static_cast<std::uint8_t>(std::min(m.size(), sizeof r.message_text));
    std::memcpy(r.message_text, m.data(), r.message_length);
  } else {
    r.message_length = 0;
  }
  return r;
}

bool check_intervals(EvalBudget& b, std::size_t n, const Interval* iv, const ObservedData* od) {
  if (n > std::numeric_limits<std::uint32_t>::max()) {
    set_error(b, {"too many observations"});
    return false;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const TimeUs f = iv ? iv[i].first_observed : od[i].first_observed;
    const TimeUs l = iv ? iv[i].last_observed : od[i].last_observed;
    const std::uint64_t k = iv ? iv[i].number_observed : od[i].number_observed;
    char buf[24];
    if (k < 1) {
      set_error(b, {"observation ", number_text(i, buf), ": number_observed must be at least 1"});
      return false;
    }
    if (f > l) {
      set_error(b, {"observation ", number_text(i, buf), ": first_observed is after last_observed"});
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view program_status_name(ProgramStatus s) noexcept {
  switch (s) {
    case ProgramStatus::ok: return "ok";
    case ProgramStatus::invalid: return "invalid";
    case ProgramStatus::unsupported: return "unsupported";
  }
  return "?";
}

std::string_view eval_status_name(EvalStatus s) noexcept {
  switch (s) {
    case EvalStatus::match: return "match";
    case EvalStatus::no_match: return "no_match";
    case EvalStatus::error: return "error";
  }
  return "?";
}

PatternProgram::PatternProgram() = default;
PatternProgram::~PatternProgram() = default;
PatternProgram::PatternProgram(PatternProgram&&) noexcept = default;
PatternProgram& PatternProgram::operator=(PatternProgram&&) noexcept = default;

ProgramResult PatternProgram::compile(const Pattern& pattern, const ProgramOptions& options) {
  ProgramResult result;
  auto p = std::make_unique<Program>();
  p->options = options;
  Compiler c(pattern, *p, result);
  if (!c.run()) {
    p_.reset();
    return result;
  }
  p_ = std::move(p);
  return result;
}

bool PatternProgram::compiled() const noexcept { return p_ != nullptr; }
std::size_t PatternProgram::leaf_count() const noexcept { return p_ ? p_->leaves.size() : 0; }
bool PatternProgram::single_observation() const noexcept { return p_ && p_->single; }

EvalStatus PatternProgram::leaf_matches(std::size_t leaf, const ObjectTree& tree, const ObservedData& observation,
                                        bool& out, EvalBudget& budget) const {
  out = false;
  if (!p_ || leaf >= p_->leaves.size()) {
    set_error(budget, {p_ ? "no such leaf" : "pattern not compiled"});
    return EvalStatus::error;
  }
  const int r = eval_leaf(*p_, leaf, tree, observation, budget);
  if (r < 0) return EvalStatus::error;
  out = r == 1;
  return out ? EvalStatus::match : EvalStatus::no_match;
}

EvalResult PatternProgram::evaluate(const ObjectTree& tree, const ObservedData* observations, std::size_t n,
                                    EvalBudget& budget) const {
  EvalResult r;
  const std::uint64_t start = budget.steps;
  if (!p_) {
    set_error(budget, {"pattern not compiled"});
    return finish(EvalStatus::error, budget, start, r);
  }
  if (!check_intervals(budget, n, nullptr, observations)) return finish(EvalStatus::error, budget, start, r);
  if (p_->single) {
    for (std::size_t o = 0; o < n; ++o) {
      const int s = eval_leaf(*p_, 0, tree, observations[o], budget);
      if (s < 0) return finish(EvalStatus::error, budget, start, r);
      if (s == 1) {
        r.bound[0] = static_cast<std::uint32_t>(o);
        r.bound_count = 1;
        r.bound_total = 1;
        return finish(EvalStatus::match, budget, start, r);
      }
    }
    return finish(EvalStatus::no_match, budget, start, r);
  }
  TreeSource src(*p_, tree, observations, n, budget);
  Search<TreeSource> search(*p_, src, n, budget);
  const int s = search.run(r);
  return finish(s < 0 ? EvalStatus::error : s ? EvalStatus::match : EvalStatus::no_match, budget, start, r);
}

EvalResult PatternProgram::evaluate(const Interval* intervals, std::size_t n, const LeafOracle& oracle,
                                    EvalBudget& budget) const {
  EvalResult r;
  const std::uint64_t start = budget.steps;
  if (!p_) {
    set_error(budget, {"pattern not compiled"});
    return finish(EvalStatus::error, budget, start, r);
  }
  if (!check_intervals(budget, n, intervals, nullptr)) return finish(EvalStatus::error, budget, start, r);
  OracleSource src(intervals, oracle);
  Search<OracleSource> search(*p_, src, n, budget);
  const int s = search.run(r);
  return finish(s < 0 ? EvalStatus::error : s ? EvalStatus::match : EvalStatus::no_match, budget, start, r);
}

ProgramResult compile_pattern_program(std::string_view text, PatternProgram& out, const ProgramOptions& options) {
  Pattern p;
  PatternError e;
  PatternLimits limits;
  limits.reject_repeated_qualifiers = false;
  if (!parse_pattern(text, p, e, limits)) {
    out = PatternProgram();
    ProgramResult r;
    r.status = ProgramStatus::invalid;
    r.position = static_cast<std::uint32_t>(e.position);
    r.message = "syntax error at " + std::to_string(e.position) + ": " + e.message;
    return r;
  }
  return out.compile(p, options);
}

}  // namespace outpost::rules::stix
