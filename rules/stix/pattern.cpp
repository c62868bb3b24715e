#include "rules/stix/pattern.h"

#include <cstring>

namespace outpost::rules::stix {

namespace {

enum class Tok : std::uint8_t {
  end = 0, invalid,
  lbrack, rbrack, lparen, rparen, colon, dot, comma, asterisk,
  eq, neq, lt, le, gt, ge,
  kw_and, kw_or, kw_not, kw_followedby, kw_like, kw_matches, kw_issuperset, kw_issubset,
  kw_exists, kw_last, kw_in, kw_start, kw_stop, kw_seconds, kw_within, kw_repeats, kw_times,
  boolean, identifier, string, int_pos, int_neg, float_pos, float_neg, hex, binary, timestamp,
};

struct Token {
  Tok kind = Tok::end;
  std::size_t pos = 0;
  std::size_t len = 0;
  bool hyphen = false;   // identifier containing '-'
  std::string text;      // literal value (unescaped string, inner text of t''/h''/b'', number)
  std::string error;     // for Tok::invalid
};

struct Keyword {
  std::string_view word;
  Tok tok;
};
constexpr Keyword kKeywords[] = {
    {"AND", Tok::kw_and},         {"OR", Tok::kw_or},           {"NOT", Tok::kw_not},
    {"FOLLOWEDBY", Tok::kw_followedby}, {"LIKE", Tok::kw_like}, {"MATCHES", Tok::kw_matches},
    {"ISSUPERSET", Tok::kw_issuperset}, {"ISSUBSET", Tok::kw_issubset}, {"EXISTS", Tok::kw_exists},
    {"LAST", Tok::kw_last},       {"IN", Tok::kw_in},           {"START", Tok::kw_start},
    {"STOP", Tok::kw_stop},       {"SECONDS", Tok::kw_seconds}, {"WITHIN", Tok::kw_within},
    {"REPEATS", Tok::kw_repeats}, {"TIMES", Tok::kw_times},     {"true", Tok::boolean},
    {"false", Tok::boolean},
};

std::string_view tok_name(Tok t) {
  switch (t) {
    case Tok::end: return "end of pattern";
    case Tok::invalid: return "invalid input";
    case Tok::lbrack: return "'['";
    case Tok::rbrack: return "']'";
    case Tok::lparen: return "'('";
    case Tok::rparen: return "')'";
    case Tok::colon: return "':'";
    case Tok::dot: return "'.'";
    case Tok::comma: return "','";
    case Tok::asterisk: return "'*'";
    case Tok::eq: return "'='";
    case Tok::neq: return "'!='";
    case Tok::lt: return "'<'";
    case Tok::le: return "'<='";
    case Tok::gt: return "'>'";
    case Tok::ge: return "'>='";
    case Tok::boolean: return "a boolean";
    case Tok::identifier: return "an identifier";
    case Tok::string: return "a string";
    case Tok::int_pos:
    case Tok::int_neg: return "an integer";
    case Tok::float_pos:
    case Tok::float_neg: return "a float";
    case Tok::hex: return "a hex literal";
    case Tok::binary: return "a binary literal";
    case Tok::timestamp: return "a timestamp";
    default: break;
  }
  for (const auto& k : kKeywords)
    if (k.tok == t) return k.word;
  return "?";
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_b64(char c) { return is_alpha(c) || is_digit(c) || c == '+' || c == '/'; }

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Token next() {
    skip_space();
    Token t;
    t.pos = i_;
    if (i_ >= s_.size()) return t;
    const char c = s_[i_];
    auto single = [&](Tok k, std::size_t n) {
      t.kind = k;
      t.len = n;
      i_ += n;
      return t;
    };
    switch (c) {
      case '[': return single(Tok::lbrack, 1);
      case ']': return single(Tok::rbrack, 1);
      case '(': return single(Tok::lparen, 1);
      case ')': return single(Tok::rparen, 1);
      case ':': return single(Tok::colon, 1);
      case ',': return single(Tok::comma, 1);
      case '*': return single(Tok::asterisk, 1);
      case '=': return single(Tok::eq, peek(1) == '=' ? 2 : 1);
      case '!':
        if (peek(1) == '=') return single(Tok::neq, 2);
        return invalid(t, "unexpected '!'");
      case '<':
        if (peek(1) == '=') return single(Tok::le, 2);
        if (peek(1) == '>') return single(Tok::neq, 2);
        return single(Tok::lt, 1);
      case '>':
        if (peek(1) == '=') return single(Tok::ge, 2);
        return single(Tok::gt, 1);
      case '\'': return string_literal(t);
      default: break;
    }
    if (c == '.' && !is_digit(peek(1))) return single(Tok::dot, 1);
    if (is_digit(c) || c == '.' || ((c == '+' || c == '-') && (is_digit(peek(1)) || (peek(1) == '.' && is_digit(peek(2))))))
      return number(t);
    if (is_alpha(c)) {
      if (peek(1) == '\'' && (c == 't' || c == 'h' || c == 'b')) {
        if (c == 't') return timestamp(t);
        if (c == 'h') return hex(t);
        return binary(t);
      }
      return word(t);
    }
    return invalid(t, "unexpected character");
  }

 private:
  char peek(std::size_t k) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }

  Token& invalid(Token& t, std::string_view why) {
    t.kind = Tok::invalid;
    t.error.assign(why);
    return t;
  }

  // WS of STIXPattern.g4: ASCII spaces plus the Unicode spaces it lists (as UTF-8), and
  // /* */ and // comments.
  void skip_space() {
    for (;;) {
      if (i_ >= s_.size()) return;
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') {
        ++i_;
        continue;
      }
      const std::size_t u = unicode_space();
      if (u != 0) {
        i_ += u;
        continue;
      }
      if (c == '/' && peek(1) == '*') {
        const std::size_t close = s_.find("*/", i_ + 2);
        if (close == std::string_view::npos) return;  // left for the parser to reject
        i_ = close + 2;
        continue;
      }
      if (c == '/' && peek(1) == '/') {
        while (i_ < s_.size() && s_[i_] != '\r' && s_[i_] != '\n') ++i_;
        continue;
      }
      return;
    }
  }

  std::size_t unicode_space() const {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(peek(k)); };
    if (b(0) == 0xc2 && (b(1) == 0x85 || b(1) == 0xa0)) return 2;
    if (b(0) == 0xe1 && b(1) == 0x9a && b(2) == 0x80) return 3;
    if (b(0) == 0xe2 && b(1) == 0x80 && ((b(2) >= 0x80 && b(2) <= 0x8a) || b(2) == 0xa8 || b(2) == 0xa9 || b(2) == 0xaf))
      return 3;
    if (b(0) == 0xe2 && b(1) == 0x81 && b(2) == 0x9f) return 3;
    if (b(0) == 0xe3 && b(1) == 0x80 && b(2) == 0x80) return 3;
    return 0;
  }

  // StringLiteral: ' ( ~['\\] | \' | \\ )* '
  Token& string_literal(Token& t) {
    std::size_t j = i_ + 1;
    std::string out;
    for (;;) {
      if (j >= s_.size()) return invalid(t, "unterminated string");
      const char c = s_[j];
      if (c == '\'') break;
      if (c == '\\') {
        const char n = j + 1 < s_.size() ? s_[j + 1] : '\0';
        if (n != '\'' && n != '\\') {
          t.pos = j;
          return invalid(t, "invalid escape in string (only \\' and \\\\)");
        }
        out.push_back(n);
        j += 2;
        continue;
      }
      out.push_back(c);
      ++j;
    }
    t.kind = Tok::string;
    t.text = std::move(out);
    t.len = j + 1 - i_;
    i_ = j + 1;
    return t;
  }

  // IntPosLiteral/IntNegLiteral/FloatPosLiteral/FloatNegLiteral.
  Token& number(Token& t) {
    std::size_t j = i_;
    bool neg = false;
    if (s_[j] == '+' || s_[j] == '-') neg = s_[j++] == '-';
    const std::size_t digits_start = j;
    while (j < s_.size() && is_digit(s_[j])) ++j;
    const std::size_t int_digits = j - digits_start;
    bool is_float = false;
    if (j < s_.size() && s_[j] == '.' && j + 1 < s_.size() && is_digit(s_[j + 1])) {
      is_float = true;
      ++j;
      while (j < s_.size() && is_digit(s_[j])) ++j;
    }
    if (!is_float) {
      if (int_digits == 0) return invalid(t, "malformed number");
      if (int_digits > 1 && s_[digits_start] == '0') return invalid(t, "integer with a leading zero");
      if (int_digits > 18) return invalid(t, "integer too large");
    }
    t.kind = is_float ? (neg ? Tok::float_neg : Tok::float_pos) : (neg ? Tok::int_neg : Tok::int_pos);
    t.text.assign(s_.substr(i_, j - i_));
    t.len = j - i_;
    i_ = j;
    return t;
  }

  // The quoted body of t'..' / h'..' / b'..' starting at i_ + 2; returns npos if unterminated.
  std::size_t quoted_end() const {
    const std::size_t close = s_.find('\'', i_ + 2);
    return close;
  }

  Token& timestamp(Token& t) {
    const std::size_t close = quoted_end();
    if (close == std::string_view::npos) return invalid(t, "unterminated timestamp");
    const std::string_view v = s_.substr(i_ + 2, close - i_ - 2);
    // TimestampLiteral of the grammar: digit ranges only, no calendar check.
    auto d = [&](std::size_t k) { return k < v.size() && is_digit(v[k]); };
    auto num2 = [&](std::size_t k) { return (v[k] - '0') * 10 + (v[k + 1] - '0'); };
    bool ok = v.size() >= 20 && d(0) && d(1) && d(2) && d(3) && v[4] == '-' && d(5) && d(6) && v[7] == '-' && d(8) &&
              d(9) && v[10] == 'T' && d(11) && d(12) && v[13] == ':' && d(14) && d(15) && v[16] == ':' && d(17) &&
              d(18);
    if (ok) {
      const int mo = num2(5), dd = num2(8), hh = num2(11), mi = num2(14), ss = num2(17);
      ok = mo >= 1 && mo <= 12 && dd >= 1 && dd <= 31 && hh <= 23 && mi <= 59 && ss <= 60;
      std::size_t k = 19;
      if (ok && k < v.size() && v[k] == '.') {
        ++k;
        const std::size_t f = k;
        while (d(k)) ++k;
        ok = k > f;
      }
      ok = ok && k + 1 == v.size() && v[k] == 'Z';
    }
    if (!ok) return invalid(t, "malformed timestamp literal");
    t.kind = Tok::timestamp;
    t.text.assign(v);
    t.len = close + 1 - i_;
    i_ = close + 1;
    return t;
  }

  Token& hex(Token& t) {
    const std::size_t close = quoted_end();
    if (close == std::string_view::npos) return invalid(t, "unterminated hex literal");
    const std::string_view v = s_.substr(i_ + 2, close - i_ - 2);
    if (v.size() % 2 != 0) return invalid(t, "hex literal with an odd number of digits");
    for (char c : v)
      if (!is_hex(c)) return invalid(t, "malformed hex literal");
    t.kind = Tok::hex;
    t.text.assign(v);
    t.len = close + 1 - i_;
    i_ = close + 1;
    return t;
  }

  Token& binary(Token& t) {
    const std::size_t close = quoted_end();
    if (close == std::string_view::npos) return invalid(t, "unterminated binary literal");
    const std::string_view v = s_.substr(i_ + 2, close - i_ - 2);
    // BinaryLiteral: whole base64 quads, the last possibly padded with '=' or '=='.
    bool ok = !v.empty() && v.size() % 4 == 0;
    for (std::size_t k = 0; ok && k < v.size(); ++k) {
      const bool last_quad = k + 4 >= v.size();
      if (v[k] == '=') ok = last_quad && (k == v.size() - 1 || (k == v.size() - 2 && v[k + 1] == '=')) && (k % 4) >= 2;
      else ok = is_b64(v[k]);
    }
    if (!ok) return invalid(t, "malformed binary (base64) literal");
    t.kind = Tok::binary;
    t.text.assign(v);
    t.len = close + 1 - i_;
    i_ = close + 1;
    return t;
  }

  Token& word(Token& t) {
    std::size_t j = i_;
    bool hyphen = false;
    while (j < s_.size() && (is_alpha(s_[j]) || is_digit(s_[j]) || s_[j] == '-')) {
      hyphen = hyphen || s_[j] == '-';
      ++j;
    }
    const std::string_view w = s_.substr(i_, j - i_);
    t.len = w.size();
    t.text.assign(w);
    t.kind = Tok::identifier;
    t.hyphen = hyphen;
    if (!hyphen)
      for (const auto& k : kKeywords)
        if (k.word == w) t.kind = k.tok;
    i_ = j;
    return t;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

class Parser {
 public:
  Parser(std::string_view text, Pattern& out, PatternError& error, const PatternLimits& limits)
      : lex_(text), out_(out), error_(error), limits_(limits) {
    advance();
  }

  bool parse() {
    std::uint32_t root = 0;
    if (!observation_expressions(root)) return false;
    if (tok_.kind != Tok::end) return expected("FOLLOWEDBY, AND, OR, a qualifier or the end");
    out_.root = root;
    return true;
  }

 private:
  void advance() { tok_ = lex_.next(); }

  bool fail(std::size_t pos, std::string message) {
    if (error_.message.empty()) {
      error_.position = pos;
      error_.message = std::move(message);
    }
    return false;
  }
  bool expected(std::string_view what) {
    if (tok_.kind == Tok::invalid) return fail(tok_.pos, tok_.error);
    return fail(tok_.pos, "expected " + std::string(what) + ", found " + std::string(tok_name(tok_.kind)));
  }
  bool accept(Tok k) {
    if (tok_.kind != k) return false;
    advance();
    return true;
  }

  bool node(PatternNode n, std::uint32_t& index) {
    if (out_.nodes.size() >= limits_.max_nodes)
      return fail(n.position, "pattern has more than " + std::to_string(limits_.max_nodes) + " nodes");
    index = static_cast<std::uint32_t>(out_.nodes.size());
    out_.nodes.push_back(n);
    return true;
  }
  bool binary(NodeKind kind, std::uint32_t lhs, std::uint32_t rhs, std::size_t pos, std::uint32_t& index) {
    PatternNode n;
    n.kind = kind;
    n.lhs = lhs;
    n.rhs = rhs;
    n.position = static_cast<std::uint32_t>(pos);
    return node(n, index);
  }

  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) { ++p.depth_; }
    ~DepthGuard() { --p.depth_; }
  };
  bool depth_ok() {
    if (depth_ > limits_.max_depth)
      return fail(tok_.pos, "pattern nested deeper than " + std::to_string(limits_.max_depth));
    return true;
  }

  // observationExpressions: FOLLOWEDBY binds loosest, then OR, then AND (all left-assoc).
  bool observation_expressions(std::uint32_t& out) {
    std::uint32_t lhs = 0;
    if (!observation_or(lhs)) return false;
    while (tok_.kind == Tok::kw_followedby) {
      const std::size_t pos = tok_.pos;
      advance();
      std::uint32_t rhs = 0;
      if (!observation_or(rhs) || !binary(NodeKind::followed_by, lhs, rhs, pos, lhs)) return false;
    }
    out = lhs;
    return true;
  }
  bool observation_or(std::uint32_t& out) {
    std::uint32_t lhs = 0;
    if (!observation_and(lhs)) return false;
    while (tok_.kind == Tok::kw_or) {
      const std::size_t pos = tok_.pos;
      advance();
      std::uint32_t rhs = 0;
      if (!observation_and(rhs) || !binary(NodeKind::observation_or, lhs, rhs, pos, lhs)) return false;
    }
    out = lhs;
    return true;
  }
  bool observation_and(std::uint32_t& out) {
    std::uint32_t lhs = 0;
    if (!qualified_observation(lhs)) return false;
    while (tok_.kind == Tok::kw_and) {
      const std::size_t pos = tok_.pos;
      advance();
      std::uint32_t rhs = 0;
      if (!qualified_observation(rhs) || !binary(NodeKind::observation_and, lhs, rhs, pos, lhs)) return false;
    }
    out = lhs;
    return true;
  }

  bool literal(const Token& t, LiteralKind kind) {
    out_.literals.push_back(PatternLiteral{kind, t.text});
    return true;
  }

  // observationExpression followed by any qualifiers. The reference validator refuses the
  // same qualifier twice directly on a bracketed expression ("[..] WITHIN 5 SECONDS WITHIN 6
  // SECONDS") but accepts it on a parenthesised one.
  bool qualified_observation(std::uint32_t& out) {
    bool bracketed = false;
    std::uint32_t cur = 0;
    if (!observation_primary(cur, bracketed)) return false;
    bool seen[3] = {false, false, false};
    for (;;) {
      const std::size_t pos = tok_.pos;
      PatternNode n;
      n.lhs = cur;
      n.position = static_cast<std::uint32_t>(pos);
      n.first = static_cast<std::uint32_t>(out_.literals.size());
      int which = -1;
      if (tok_.kind == Tok::kw_within) {
        which = 0;
        advance();
        if (tok_.kind != Tok::int_pos && tok_.kind != Tok::float_pos) return expected("a positive number of seconds");
        literal(tok_, tok_.kind == Tok::int_pos ? LiteralKind::integer : LiteralKind::floating);
        advance();
        if (!accept(Tok::kw_seconds)) return expected("SECONDS");
        n.kind = NodeKind::within;
        n.count = 1;
      } else if (tok_.kind == Tok::kw_repeats) {
        which = 1;
        advance();
        if (tok_.kind != Tok::int_pos) return expected("a positive integer");
        literal(tok_, LiteralKind::integer);
        advance();
        if (!accept(Tok::kw_times)) return expected("TIMES");
        n.kind = NodeKind::repeats;
        n.count = 1;
      } else if (tok_.kind == Tok::kw_start) {
        which = 2;
        advance();
        // STIX 2.0 wrote START/STOP with plain strings; 2.1 requires t'...'. The literal keeps
        // its kind so that a 2.1 evaluator can refuse the 2.0 spelling.
        for (int k = 0; k < 2; ++k) {
          if (k == 1 && !accept(Tok::kw_stop)) return expected("STOP");
          if (tok_.kind != Tok::timestamp && tok_.kind != Tok::string) return expected("a timestamp");
          literal(tok_, tok_.kind == Tok::timestamp ? LiteralKind::timestamp : LiteralKind::string);
          advance();
        }
        n.kind = NodeKind::start_stop;
        n.count = 2;
      } else {
        break;
      }
      if (bracketed && seen[which] && limits_.reject_repeated_qualifiers) return fail(pos, "duplicate qualifier");
      seen[which] = true;
      if (!node(n, cur)) return false;
    }
    out = cur;
    return true;
  }

  bool observation_primary(std::uint32_t& out, bool& bracketed) {
    DepthGuard guard(*this);
    if (!depth_ok()) return false;
    const std::size_t pos = tok_.pos;
    if (accept(Tok::lbrack)) {
      bracketed = true;
      std::uint32_t inner = 0;
      if (!comparison_or(inner)) return false;
      if (!accept(Tok::rbrack)) return expected("']'");
      PatternNode n;
      n.kind = NodeKind::observation;
      n.lhs = inner;
      n.position = static_cast<std::uint32_t>(pos);
      return node(n, out);
    }
    if (accept(Tok::lparen)) {
      bracketed = false;
      if (!observation_expressions(out)) return false;
      if (!accept(Tok::rparen)) return expected("')'");
      return true;
    }
    return expected("'[' or '('");
  }

  bool comparison_or(std::uint32_t& out) {
    std::uint32_t lhs = 0;
    if (!comparison_and(lhs)) return false;
    while (tok_.kind == Tok::kw_or) {
      const std::size_t pos = tok_.pos;
      advance();
      std::uint32_t rhs = 0;
      if (!comparison_and(rhs) || !binary(NodeKind::comparison_or, lhs, rhs, pos, lhs)) return false;
    }
    out = lhs;
    return true;
  }
  bool comparison_and(std::uint32_t& out) {
    std::uint32_t lhs = 0;
    if (!prop_test(lhs)) return false;
    while (tok_.kind == Tok::kw_and) {
      const std::size_t pos = tok_.pos;
      advance();
      std::uint32_t rhs = 0;
      if (!prop_test(rhs) || !binary(NodeKind::comparison_and, lhs, rhs, pos, lhs)) return false;
    }
    out = lhs;
    return true;
  }

  bool prop_test(std::uint32_t& out) {
    DepthGuard guard(*this);
    if (!depth_ok()) return false;
    const std::size_t pos = tok_.pos;
    if (accept(Tok::lparen)) {
      if (!comparison_or(out)) return false;
      if (!accept(Tok::rparen)) return expected("')'");
      return true;
    }
    PatternNode n;
    n.kind = NodeKind::comparison;
    n.position = static_cast<std::uint32_t>(pos);
    if (tok_.kind == Tok::kw_not || tok_.kind == Tok::kw_exists) {
      n.negated = accept(Tok::kw_not);
      if (!accept(Tok::kw_exists)) return expected("EXISTS");
      n.op = PatternOp::exists;
      if (!object_path(n.path)) return false;
      return node(n, out);
    }
    if (!object_path(n.path)) return false;
    n.negated = accept(Tok::kw_not);
    n.first = static_cast<std::uint32_t>(out_.literals.size());
    switch (tok_.kind) {
      case Tok::eq: n.op = PatternOp::eq; break;
      case Tok::neq: n.op = PatternOp::neq; break;
      case Tok::gt: n.op = PatternOp::gt; break;
      case Tok::lt: n.op = PatternOp::lt; break;
      case Tok::ge: n.op = PatternOp::ge; break;
      case Tok::le: n.op = PatternOp::le; break;
      case Tok::kw_in: n.op = PatternOp::in; break;
      case Tok::kw_like: n.op = PatternOp::like; break;
      case Tok::kw_matches: n.op = PatternOp::matches; break;
      case Tok::kw_issubset: n.op = PatternOp::issubset; break;
      case Tok::kw_issuperset: n.op = PatternOp::issuperset; break;
      default: return expected("a comparison operator");
    }
    advance();
    switch (n.op) {
      case PatternOp::eq:
      case PatternOp::neq:
        if (!primitive_literal(true)) return false;
        n.count = 1;
        break;
      case PatternOp::gt:
      case PatternOp::lt:
      case PatternOp::ge:
      case PatternOp::le:
        if (!primitive_literal(false)) return false;
        n.count = 1;
        break;
      case PatternOp::in: {
        if (!accept(Tok::lparen)) return expected("'('");
        if (!accept(Tok::rparen)) {
          for (;;) {
            if (!primitive_literal(true)) return false;
            ++n.count;
            if (out_.literals.size() > limits_.max_nodes)
              return fail(tok_.pos, "set literal too large");
            if (accept(Tok::comma)) continue;
            if (accept(Tok::rparen)) break;
            return expected("',' or ')'");
          }
        }
        break;
      }
      default:
        if (tok_.kind != Tok::string) return expected("a string");
        literal(tok_, LiteralKind::string);
        advance();
        n.count = 1;
        break;
    }
    return node(n, out);
  }

  bool primitive_literal(bool allow_bool) {
    LiteralKind kind;
    switch (tok_.kind) {
      case Tok::int_pos:
      case Tok::int_neg: kind = LiteralKind::integer; break;
      case Tok::float_pos:
      case Tok::float_neg: kind = LiteralKind::floating; break;
      case Tok::string: kind = LiteralKind::string; break;
      case Tok::binary: kind = LiteralKind::binary; break;
      case Tok::hex: kind = LiteralKind::hex; break;
      case Tok::timestamp: kind = LiteralKind::timestamp; break;
      case Tok::boolean:
        if (!allow_bool) return expected("an orderable literal");
        kind = LiteralKind::boolean;
        break;
      default: return expected("a literal");
    }
    literal(tok_, kind);
    advance();
    return true;
  }

  // objectPath: objectType ':' firstPathComponent objectPathComponent*
  bool object_path(std::uint32_t& index) {
    ObjectPath p;
    if (tok_.kind != Tok::identifier) return expected("an object type");
    p.object_type = tok_.text;
    advance();
    if (!accept(Tok::colon)) return expected("':'");
    PathStep first;
    if ((tok_.kind == Tok::identifier && !tok_.hyphen) || tok_.kind == Tok::string) {
      first.key = tok_.text;
      advance();
    } else {
      return expected("a property name");
    }
    p.steps.push_back(std::move(first));
    for (;;) {
      if (p.steps.size() > 64) return fail(tok_.pos, "object path too long");
      if (accept(Tok::dot)) {
        if ((tok_.kind == Tok::identifier && !tok_.hyphen) || tok_.kind == Tok::string) {
          PathStep s;
          s.key = tok_.text;
          p.steps.push_back(std::move(s));
          advance();
          continue;
        }
        return expected("a property name");
      }
      if (tok_.kind == Tok::lbrack) {
        advance();
        PathStep s;
        if (tok_.kind == Tok::asterisk) {
          s.kind = PathStep::Kind::any_index;
        } else if (tok_.kind == Tok::int_pos || tok_.kind == Tok::int_neg) {
          s.kind = PathStep::Kind::index;
          s.index = std::stoll(tok_.text);
        } else {
          return expected("an index or '*'");
        }
        advance();
        if (!accept(Tok::rbrack)) return expected("']'");
        p.steps.push_back(std::move(s));
        continue;
      }
      break;
    }
    index = static_cast<std::uint32_t>(out_.paths.size());
    out_.paths.push_back(std::move(p));
    return true;
  }

  Lexer lex_;
  Token tok_;
  Pattern& out_;
  PatternError& error_;
  const PatternLimits& limits_;
  std::size_t depth_ = 0;
};

// A key written bare must lex as IdentifierWithoutHyphen: not a keyword (`[a:'AND' = 1]` and
// `[a:'true' = 1]` need their quotes to parse again).
bool plain_identifier(std::string_view k) {
  if (k.empty() || !is_alpha(k[0])) return false;
  for (char c : k)
    if (!is_alpha(c) && !is_digit(c)) return false;
  for (const auto& kw : kKeywords)
    if (kw.word == k) return false;
  return true;
}

}  // namespace

std::string_view pattern_op_name(PatternOp op) noexcept {
  static constexpr std::string_view kNames[] = {"=", "!=", ">", "<", ">=", "<=", "IN", "LIKE", "MATCHES",
                                                "ISSUBSET", "ISSUPERSET", "EXISTS"};
  const auto i = static_cast<std::size_t>(op);
  return i < sizeof kNames / sizeof kNames[0] ? kNames[i] : std::string_view("?");
}

std::string_view node_kind_name(NodeKind k) noexcept {
  static constexpr std::string_view kNames[] = {"comparison", "AND", "OR", "observation", "AND",
                                                "OR", "FOLLOWEDBY", "WITHIN", "REPEATS", "START/STOP"};
  const auto i = static_cast<std::size_t>(k);
  return i < sizeof kNames / sizeof kNames[0] ? kNames[i] : std::string_view("?");
}

std::string ObjectPath::text() const {
  std::string s = object_type;
  s += ':';
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const PathStep& st = steps[i];
    if (st.kind == PathStep::Kind::any_index) {
      s += "[*]";
    } else if (st.kind == PathStep::Kind::index) {
      s += '[';
      s += std::to_string(st.index);
      s += ']';
    } else {
      if (i > 0) s += '.';
      if (plain_identifier(st.key)) {
        s += st.key;
      } else {
        s += '\'';
        for (char c : st.key) {
          if (c == '\'' || c == '\\') s += '\\';
          s += c;
        }
        s += '\'';
      }
    }
  }
  return s;
}

bool parse_pattern(std::string_view text, Pattern& out, PatternError& error, const PatternLimits& limits) {
  out = Pattern{};
  error = PatternError{};
  if (text.size() > limits.max_length) {
    error.position = limits.max_length;
    error.message = "pattern longer than " + std::to_string(limits.max_length) + " bytes";
    return false;
  }
  Parser p(text, out, error, limits);
  return p.parse();
}

}  // namespace outpost::rules::stix
