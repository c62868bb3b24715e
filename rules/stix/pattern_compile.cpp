#include "rules/stix/pattern_compile.h"

namespace outpost::rules::stix {

namespace {

std::string upper_without_hyphens(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '-') continue;
    out.push_back((c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return out;
}

// The indicator type a supported object path compares, or false.
bool path_type(const ObjectPath& p, IndicatorType& out) {
  const auto& s = p.steps;
  auto key = [&](std::size_t i) -> std::string_view {
    return i < s.size() && s[i].kind == PathStep::Kind::key ? std::string_view(s[i].key) : std::string_view();
  };
  if (s.size() == 1 && key(0) == "value") {
    if (p.object_type == "ipv4-addr") return out = IndicatorType::ipv4, true;
    if (p.object_type == "ipv6-addr") return out = IndicatorType::ipv6, true;
    if (p.object_type == "domain-name") return out = IndicatorType::domain, true;
    if (p.object_type == "url") return out = IndicatorType::url, true;
    return false;
  }
  if (s.size() == 2 && key(0) == "hashes" && !key(1).empty()) {
    // STIX 2.1 §10.7 hash-algorithm-ov: 'MD5', 'SHA-1', 'SHA-256'. Feeds also write MD5,
    // SHA1, SHA256 unquoted and in lowercase; those are accepted as the same algorithms.
    const std::string alg = upper_without_hyphens(key(1));
    if (p.object_type == "file") {
      if (alg == "MD5") return out = IndicatorType::md5, true;
      if (alg == "SHA1") return out = IndicatorType::sha1, true;
      if (alg == "SHA256") return out = IndicatorType::sha256, true;
      return false;
    }
    if (p.object_type == "x509-certificate" && alg == "SHA1") return out = IndicatorType::x509_sha1, true;
  }
  return false;
}

class Compiler {
 public:
  Compiler(const Pattern& p, CompiledPattern& out) : p_(p), out_(out) {}

  bool observation(std::uint32_t i) {
    const PatternNode& n = p_.nodes[i];
    switch (n.kind) {
      case NodeKind::observation: return comparison(n.lhs);
      case NodeKind::observation_or: return observation(n.lhs) && observation(n.rhs);
      case NodeKind::observation_and: return unsupported("unsupported AND of observations");
      case NodeKind::followed_by: return unsupported("unsupported FOLLOWEDBY");
      case NodeKind::within: return unsupported("unsupported qualifier WITHIN");
      case NodeKind::repeats: return unsupported("unsupported qualifier REPEATS");
      case NodeKind::start_stop: return unsupported("unsupported qualifier START/STOP");
      default: return unsupported("unsupported pattern");
    }
  }

 private:
  bool unsupported(std::string reason) {
    out_.status = CompileStatus::unsupported;
    out_.reason = std::move(reason);
    return false;
  }
  bool invalid(std::string reason) {
    out_.status = CompileStatus::invalid;
    out_.reason = std::move(reason);
    return false;
  }

  bool comparison(std::uint32_t i) {
    const PatternNode& n = p_.nodes[i];
    if (n.kind == NodeKind::comparison_or) return comparison(n.lhs) && comparison(n.rhs);
    if (n.kind == NodeKind::comparison_and) return unsupported("unsupported AND of comparisons");
    if (n.kind != NodeKind::comparison) return unsupported("unsupported pattern");
    const ObjectPath& path = p_.paths[n.path];
    IndicatorType type;
    if (!path_type(path, type)) return unsupported("unsupported property " + path.text());
    if (n.negated) return unsupported("unsupported NOT");
    if (n.op != PatternOp::eq && n.op != PatternOp::in)
      return unsupported("unsupported operator " + std::string(pattern_op_name(n.op)));
    if (n.op == PatternOp::in && n.count == 0) return invalid("empty set for " + path.text());
    for (std::uint32_t k = 0; k < n.count; ++k) {
      const PatternLiteral& lit = p_.literals[n.first + k];
      if (lit.kind != LiteralKind::string) return invalid(path.text() + " compared with a non-string literal");
      PatternTerm t;
      t.type = type;
      bool cleared = false;
      const ValueError e = normalise_indicator_value(type, lit.text, t.value, &cleared);
      if (e != ValueError::none)
        return invalid("invalid value for " + path.text() + ": " + std::string(value_error_name(e)));
      out_.host_bits_cleared = out_.host_bits_cleared || cleared;
      bool dup = false;
      for (const auto& existing : out_.terms) dup = dup || (existing.type == t.type && existing.value == t.value);
      if (!dup) out_.terms.push_back(std::move(t));
    }
    return true;
  }

  const Pattern& p_;
  CompiledPattern& out_;
};

}  // namespace

std::string_view compile_status_name(CompileStatus s) noexcept {
  switch (s) {
    case CompileStatus::compiled: return "compiled";
    case CompileStatus::unsupported: return "unsupported";
    case CompileStatus::invalid: return "invalid";
    case CompileStatus::syntax_error: return "syntax error";
  }
  return "?";
}

CompiledPattern compile_pattern(std::string_view text, const PatternLimits& limits) {
  CompiledPattern out;
  Pattern p;
  PatternError err;
  if (!parse_pattern(text, p, err, limits)) {
    out.status = CompileStatus::syntax_error;
    out.position = err.position;
    out.reason = "syntax error at " + std::to_string(err.position) + ": " + err.message;
    return out;
  }
  Compiler c(p, out);
  if (!c.observation(p.root)) out.terms.clear();
  return out;
}

}  // namespace outpost::rules::stix
