#include "rules/stix/pattern_format.h"

#include <charconv>
#include <utility>
#include <vector>

namespace outpost::rules::stix {

namespace {

// Binding strength, loosest first (STIXPattern.g4: FOLLOWEDBY < OR < AND < qualified [ ]).
int observation_level(NodeKind k) {
  switch (k) {
    case NodeKind::followed_by: return 1;
    case NodeKind::observation_or: return 2;
    case NodeKind::observation_and: return 3;
    default: return 4;
  }
}

int comparison_level(NodeKind k) {
  switch (k) {
    case NodeKind::comparison_or: return 1;
    case NodeKind::comparison_and: return 2;
    default: return 3;
  }
}

bool is_qualifier(NodeKind k) {
  return k == NodeKind::within || k == NodeKind::repeats || k == NodeKind::start_stop;
}

class Formatter {
 public:
  explicit Formatter(const Pattern& p) : p_(p) {}

  void observation(std::uint32_t n, int min_level) {
    if (n >= p_.nodes.size()) return;
    const PatternNode& pn = p_.nodes[n];
    const int level = observation_level(pn.kind);
    const bool paren = level < min_level;
    if (paren) out += '(';
    switch (pn.kind) {
      case NodeKind::observation:
        out += '[';
        comparison(pn.lhs, 1);
        out += ']';
        break;
      case NodeKind::followed_by:
      case NodeKind::observation_or:
      case NodeKind::observation_and:
        observation(pn.lhs, level);
        out += pn.kind == NodeKind::followed_by ? " FOLLOWEDBY " : pn.kind == NodeKind::observation_or ? " OR " : " AND ";
        observation(pn.rhs, level + 1);
        break;
      case NodeKind::within:
      case NodeKind::repeats:
      case NodeKind::start_stop: {
        const bool wrap = repeats_qualifier_on_bracket(pn);
        if (wrap) out += '(';
        observation(pn.lhs, 4);
        if (wrap) out += ')';
        if (pn.kind == NodeKind::within) {
          out += " WITHIN ";
          literal(pn.first);
          out += " SECONDS";
        } else if (pn.kind == NodeKind::repeats) {
          out += " REPEATS ";
          literal(pn.first);
          out += " TIMES";
        } else {
          out += " START ";
          literal(pn.first);
          out += " STOP ";
          literal(pn.first + 1);
        }
        break;
      }
      default: break;
    }
    if (paren) out += ')';
  }

  std::string out;

 private:
  // Whether the qualifier chain under `pn` ends at a [ ] and already holds pn's kind.
  bool repeats_qualifier_on_bracket(const PatternNode& pn) const {
    bool seen = false;
    std::uint32_t x = pn.lhs;
    for (std::size_t guard = 0; x < p_.nodes.size() && guard <= p_.nodes.size(); ++guard) {
      const PatternNode& q = p_.nodes[x];
      if (!is_qualifier(q.kind)) return seen && q.kind == NodeKind::observation;
      seen = seen || q.kind == pn.kind;
      x = q.lhs;
    }
    return false;
  }

  void literal(std::uint32_t i) {
    if (i < p_.literals.size()) out += format_literal(p_.literals[i]);
  }

  void comparison(std::uint32_t n, int min_level) {
    if (n >= p_.nodes.size()) return;
    const PatternNode& pn = p_.nodes[n];
    const int level = comparison_level(pn.kind);
    const bool paren = level < min_level;
    if (paren) out += '(';
    if (pn.kind == NodeKind::comparison_and || pn.kind == NodeKind::comparison_or) {
      comparison(pn.lhs, level);
      out += pn.kind == NodeKind::comparison_and ? " AND " : " OR ";
      comparison(pn.rhs, level + 1);
    } else if (pn.kind == NodeKind::comparison && pn.path < p_.paths.size()) {
      const std::string path = p_.paths[pn.path].text();
      if (pn.op == PatternOp::exists) {
        if (pn.negated) out += "NOT ";
        out += "EXISTS ";
        out += path;
      } else {
        out += path;
        out += pn.negated ? " NOT " : " ";
        out += pattern_op_name(pn.op);
        out += ' ';
        if (pn.op == PatternOp::in) {
          out += '(';
          for (std::uint32_t i = 0; i < pn.count; ++i) {
            if (i > 0) out += ", ";
            literal(pn.first + i);
          }
          out += ')';
        } else {
          literal(pn.first);
        }
      }
    }
    if (paren) out += ')';
  }

  const Pattern& p_;
};

bool same_path(const ObjectPath& a, const ObjectPath& b) {
  if (a.object_type != b.object_type || a.steps.size() != b.steps.size()) return false;
  for (std::size_t i = 0; i < a.steps.size(); ++i) {
    const PathStep &x = a.steps[i], &y = b.steps[i];
    if (x.kind != y.kind) return false;
    if (x.kind == PathStep::Kind::key && x.key != y.key) return false;
    if (x.kind == PathStep::Kind::index && x.index != y.index) return false;
  }
  return true;
}

bool same_literals(const Pattern& a, std::uint32_t fa, const Pattern& b, std::uint32_t fb, std::uint32_t count) {
  if (fa + static_cast<std::uint64_t>(count) > a.literals.size() ||
      fb + static_cast<std::uint64_t>(count) > b.literals.size())
    return false;
  for (std::uint32_t i = 0; i < count; ++i) {
    const PatternLiteral &x = a.literals[fa + i], &y = b.literals[fb + i];
    if (x.kind != y.kind || format_literal(x) != format_literal(y)) return false;
  }
  return true;
}

}  // namespace

std::string format_literal(const PatternLiteral& l) {
  std::string s;
  switch (l.kind) {
    case LiteralKind::string:
      s += '\'';
      for (char c : l.text) {
        if (c == '\'' || c == '\\') s += '\\';
        s += c;
      }
      s += '\'';
      return s;
    case LiteralKind::integer: {
      std::string_view t = l.text;
      if (!t.empty() && t[0] == '+') t.remove_prefix(1);
      std::int64_t v = 0;
      const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
      if (r.ec == std::errc() && r.ptr == t.data() + t.size()) return std::to_string(v);
      return std::string(t);
    }
    case LiteralKind::floating:
      return l.text.empty() || l.text[0] != '+' ? l.text : l.text.substr(1);
    case LiteralKind::boolean: return l.text;
    case LiteralKind::timestamp: return "t'" + l.text + "'";
    case LiteralKind::binary: return "b'" + l.text + "'";
    case LiteralKind::hex: {
      s = "h'";
      for (char c : l.text) s += (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
      s += '\'';
      return s;
    }
  }
  return l.text;
}

std::string format_pattern(const Pattern& pattern) {
  Formatter f(pattern);
  f.observation(pattern.root, 1);
  return std::move(f.out);
}

bool same_pattern(const Pattern& a, const Pattern& b) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> todo{{a.root, b.root}};
  std::size_t guard = 0;
  while (!todo.empty()) {
    const auto [x, y] = todo.back();
    todo.pop_back();
    if (x >= a.nodes.size() || y >= b.nodes.size() || ++guard > a.nodes.size() + 1) return false;
    const PatternNode &m = a.nodes[x], &n = b.nodes[y];
    if (m.kind != n.kind) return false;
    switch (m.kind) {
      case NodeKind::comparison:
        if (m.op != n.op || m.negated != n.negated || m.count != n.count) return false;
        if (m.path >= a.paths.size() || n.path >= b.paths.size() || !same_path(a.paths[m.path], b.paths[n.path]))
          return false;
        if (!same_literals(a, m.first, b, n.first, m.count)) return false;
        break;
      case NodeKind::observation: todo.emplace_back(m.lhs, n.lhs); break;
      case NodeKind::within:
      case NodeKind::repeats:
      case NodeKind::start_stop:
        if (!same_literals(a, m.first, b, n.first, m.kind == NodeKind::start_stop ? 2 : 1)) return false;
        todo.emplace_back(m.lhs, n.lhs);
        break;
      default:
        todo.emplace_back(m.lhs, n.lhs);
        todo.emplace_back(m.rhs, n.rhs);
        break;
    }
  }
  return true;
}

}  // namespace outpost::rules::stix
