#include "rules/stix/pattern_compile.h"

#include <algorithm>

#include "rules/observed_objects.h"
#include "rules/stix/pattern_eval.h"
#include "rules/stix/pattern_format.h"

namespace outpost::rules::stix {

namespace {

constexpr std::uint32_t kAllKinds = (std::uint32_t{1} << kObservationKindCount) - 1;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string upper_without_hyphens(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '-') continue;
    out.push_back((c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return out;
}

// STIX 2.1 §10.7 hash-algorithm-ov names for what feeds write as MD5, md5, SHA1, sha256, ...
std::string canonical_hash_key(std::string_view key) {
  const std::string k = upper_without_hyphens(key);
  if (k == "MD5") return "MD5";
  if (k == "SHA1") return "SHA-1";
  if (k == "SHA256") return "SHA-256";
  if (k == "SHA512") return "SHA-512";
  if (k == "SHA3256") return "SHA3-256";
  if (k == "SHA3512") return "SHA3-512";
  return std::string(key);
}

bool is_hash_path(const ObjectPath& p) {
  return p.steps.size() == 2 && p.steps[0].kind == PathStep::Kind::key && p.steps[0].key == "hashes" &&
         p.steps[1].kind == PathStep::Kind::key;
}

bool is_key_path(const ObjectPath& p, std::string_view type, std::string_view key) {
  return p.object_type == type && p.steps.size() == 1 && p.steps[0].kind == PathStep::Kind::key && p.steps[0].key == key;
}

// "0C:48:73" or "0c4873" -> "0c:48:73" (capture/ writes serials as lowercase colon-separated
// byte pairs).
std::string canonical_serial(std::string_view s) {
  std::string hex;
  for (char c : s) {
    if (c == ':' || c == ' ') continue;
    const char l = lower(c);
    if (!((l >= '0' && l <= '9') || (l >= 'a' && l <= 'f'))) return std::string(s);
    hex.push_back(l);
  }
  if (hex.size() % 2 != 0) hex.insert(hex.begin(), '0');
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    if (!out.empty()) out.push_back(':');
    out.append(hex, i, 2);
  }
  return out;
}

// OpenSSL's one-line form "/C=US/O=Org/CN=x" -> RFC 4514 "CN=x,O=Org,C=US"; an RFC 4514
// string with spaces after its separators loses them.
std::string canonical_name(std::string_view s) {
  std::vector<std::string> rdns;
  if (!s.empty() && s[0] == '/') {
    std::string cur;
    for (std::size_t i = 1; i <= s.size(); ++i) {
      if (i == s.size() || s[i] == '/') {
        if (!cur.empty()) rdns.push_back(cur);
        cur.clear();
      } else {
        cur.push_back(s[i]);
      }
    }
    std::reverse(rdns.begin(), rdns.end());
  } else {
    std::string cur;
    for (std::size_t i = 0; i <= s.size(); ++i) {
      if (i == s.size() || (s[i] == ',' && (i == 0 || s[i - 1] != '\\'))) {
        while (!cur.empty() && cur.back() == ' ') cur.pop_back();
        rdns.push_back(cur);
        cur.clear();
      } else if (!(cur.empty() && s[i] == ' ')) {
        cur.push_back(s[i]);
      }
    }
  }
  std::string out;
  for (const auto& r : rdns) {
    if (!out.empty()) out.push_back(',');
    out += r;
  }
  return out;
}

// The indicator type whose set holds exact values of `p`, or false.
bool exact_type(const ObjectPath& p, IndicatorType& out) {
  if (p.steps.size() == 1 && p.steps[0].kind == PathStep::Kind::key) {
    const std::string& k = p.steps[0].key;
    if (k == "value") {
      if (p.object_type == "ipv4-addr") return out = IndicatorType::ipv4, true;
      if (p.object_type == "ipv6-addr") return out = IndicatorType::ipv6, true;
      if (p.object_type == "domain-name") return out = IndicatorType::domain, true;
      if (p.object_type == "url") return out = IndicatorType::url, true;
    }
    if (p.object_type == "network-traffic" && k == "x_ja3") return out = IndicatorType::ja3, true;
    if (p.object_type == "network-traffic" && k == "x_ja3s") return out = IndicatorType::ja3s, true;
    return false;
  }
  if (is_hash_path(p)) {
    const std::string& alg = p.steps[1].key;  // canonical by now
    if (p.object_type == "file") {
      if (alg == "MD5") return out = IndicatorType::md5, true;
      if (alg == "SHA-1") return out = IndicatorType::sha1, true;
      if (alg == "SHA-256") return out = IndicatorType::sha256, true;
    }
    if (p.object_type == "x509-certificate" && alg == "SHA-1") return out = IndicatorType::x509_sha1, true;
  }
  return false;
}

// Selectivity of a prefilter term's set: a hash or URL names one thing, an address a host.
int type_rank(IndicatorType t) {
  switch (t) {
    case IndicatorType::sha256:
    case IndicatorType::sha1:
    case IndicatorType::md5:
    case IndicatorType::x509_sha1: return 0;
    case IndicatorType::url: return 1;
    case IndicatorType::domain: return 2;
    case IndicatorType::ja3:
    case IndicatorType::ja3s: return 4;
    default: return 3;
  }
}

class Compiler {
 public:
  Compiler(const Pattern& p, CompiledPattern& out) : in_(p), out_(out) {}

  // Builds the pattern without its out-of-scope comparisons; false when nothing is left.
  bool fold() {
    const std::int64_t root = copy_observation(in_.root);
    if (root < 0) return false;
    out_p_.root = static_cast<std::uint32_t>(root);
    return true;
  }
  const Pattern& folded() const noexcept { return out_p_; }
  bool dropped() const noexcept { return dropped_; }

  // Exact: an OR of [ ] that are ORs of = / IN on set types. Fills the terms (or marks an
  // invalid literal); false if the pattern is not of that shape.
  bool exact() {
    std::vector<PatternTerm> terms;
    if (!exact_observation(out_p_.root, terms)) return false;
    out_.terms = std::move(terms);
    return true;
  }

  // Residual: prefilter terms per [ ], or scan kinds for those without one.
  void residual() {
    out_.multi_observation = !or_of_leaves(out_p_.root);
    std::vector<std::uint32_t> leaves;
    collect_leaves(out_p_.root, leaves);
    for (std::uint32_t leaf : leaves) {
      std::vector<PatternTerm> terms;
      if (prefilter(out_p_.nodes[leaf].lhs, terms)) {
        for (auto& t : terms) add_term(out_.terms, std::move(t));
      } else {
        std::uint32_t kinds = kinds_of(out_p_.nodes[leaf].lhs);
        // Flow properties are in every observation of the flow: one per flow suffices.
        if (kinds == kAllKinds) kinds = kind_bit(ObservationKind::ip_port);
        out_.scan_kinds |= kinds;
      }
    }
  }

  bool failed() const noexcept { return failed_; }

 private:
  // --- folding ---------------------------------------------------------------------------

  std::uint32_t add_node(PatternNode n) {
    out_p_.nodes.push_back(n);
    return static_cast<std::uint32_t>(out_p_.nodes.size() - 1);
  }

  std::int64_t copy_observation(std::uint32_t i) {
    const PatternNode& n = in_.nodes[i];
    PatternNode c = n;
    switch (n.kind) {
      case NodeKind::observation: {
        const std::int64_t e = copy_comparison(n.lhs);
        if (e < 0) return -1;
        c.lhs = static_cast<std::uint32_t>(e);
        return add_node(c);
      }
      case NodeKind::observation_or: {
        const std::int64_t a = copy_observation(n.lhs), b = copy_observation(n.rhs);
        if (a < 0 || b < 0) return a < 0 ? b : a;
        c.lhs = static_cast<std::uint32_t>(a);
        c.rhs = static_cast<std::uint32_t>(b);
        return add_node(c);
      }
      case NodeKind::observation_and:
      case NodeKind::followed_by: {
        const std::int64_t a = copy_observation(n.lhs), b = copy_observation(n.rhs);
        if (a < 0 || b < 0) return -1;
        c.lhs = static_cast<std::uint32_t>(a);
        c.rhs = static_cast<std::uint32_t>(b);
        return add_node(c);
      }
      case NodeKind::within:
      case NodeKind::repeats:
      case NodeKind::start_stop: {
        const std::int64_t a = copy_observation(n.lhs);
        if (a < 0) return -1;
        c.lhs = static_cast<std::uint32_t>(a);
        c.first = copy_literals(n.first, n.kind == NodeKind::start_stop ? 2 : 1);
        return add_node(c);
      }
      default: return -1;
    }
  }

  std::uint32_t copy_literals(std::uint32_t first, std::uint32_t count) {
    const auto at = static_cast<std::uint32_t>(out_p_.literals.size());
    for (std::uint32_t k = 0; k < count; ++k) out_p_.literals.push_back(in_.literals[first + k]);
    return at;
  }

  // Comparisons inside one [ ]. A comparison on a property no observation has is false
  // (STIX 2.1 §9.7: a missing property makes every comparison false, NOT and != included).
  std::int64_t copy_comparison(std::uint32_t i) {
    const PatternNode& n = in_.nodes[i];
    PatternNode c = n;
    if (n.kind == NodeKind::comparison_and || n.kind == NodeKind::comparison_or) {
      const std::int64_t a = copy_comparison(n.lhs), b = copy_comparison(n.rhs);
      if (n.kind == NodeKind::comparison_or && (a < 0 || b < 0)) return a < 0 ? b : a;
      if (a < 0 || b < 0) return -1;
      // One [ ] is about one object (STIX 2.1 §9.5): an AND across object types is false.
      if (n.kind == NodeKind::comparison_and &&
          root_type(static_cast<std::uint32_t>(a)) != root_type(static_cast<std::uint32_t>(b)) &&
          !root_type(static_cast<std::uint32_t>(a)).empty() && !root_type(static_cast<std::uint32_t>(b)).empty()) {
        dropped_ = true;
        return -1;
      }
      c.lhs = static_cast<std::uint32_t>(a);
      c.rhs = static_cast<std::uint32_t>(b);
      return add_node(c);
    }
    if (n.kind != NodeKind::comparison) return -1;
    ObjectPath path = in_.paths[n.path];
    if (is_hash_path(path)) path.steps[1].key = canonical_hash_key(path.steps[1].key);
    if (observable_kinds(path) == 0) {
      dropped_ = true;
      return -1;
    }
    c.path = static_cast<std::uint32_t>(out_p_.paths.size());
    c.first = static_cast<std::uint32_t>(out_p_.literals.size());
    for (std::uint32_t k = 0; k < n.count; ++k) {
      PatternLiteral lit = in_.literals[n.first + k];
      if (lit.kind == LiteralKind::string) {
        if (is_hash_path(path)) {
          for (char& ch : lit.text) ch = lower(ch);
        } else if (is_key_path(path, "x509-certificate", "serial_number")) {
          lit.text = canonical_serial(lit.text);
        } else if (is_key_path(path, "x509-certificate", "subject") ||
                   is_key_path(path, "x509-certificate", "issuer")) {
          lit.text = canonical_name(lit.text);
        }
      }
      out_p_.literals.push_back(std::move(lit));
    }
    out_p_.paths.push_back(std::move(path));
    return add_node(c);
  }

  // The object type every comparison under node i (of out_p_) is about, or "" if mixed.
  std::string_view root_type(std::uint32_t i) const {
    const PatternNode& n = out_p_.nodes[i];
    if (n.kind == NodeKind::comparison) return out_p_.paths[n.path].object_type;
    const std::string_view a = root_type(n.lhs), b = root_type(n.rhs);
    return a == b ? a : std::string_view();
  }

  // --- exact -----------------------------------------------------------------------------

  bool exact_observation(std::uint32_t i, std::vector<PatternTerm>& terms) {
    const PatternNode& n = out_p_.nodes[i];
    if (n.kind == NodeKind::observation) return exact_comparison(n.lhs, terms);
    if (n.kind == NodeKind::observation_or) return exact_observation(n.lhs, terms) && exact_observation(n.rhs, terms);
    return false;
  }

  bool exact_comparison(std::uint32_t i, std::vector<PatternTerm>& terms) {
    const PatternNode& n = out_p_.nodes[i];
    if (n.kind == NodeKind::comparison_or) return exact_comparison(n.lhs, terms) && exact_comparison(n.rhs, terms);
    return n.kind == NodeKind::comparison && equality_terms(n, terms);
  }

  // = or IN on a set type: its values as set terms. An invalid literal fails the pattern.
  bool equality_terms(const PatternNode& n, std::vector<PatternTerm>& terms) {
    if (n.negated || (n.op != PatternOp::eq && n.op != PatternOp::in)) return false;
    const ObjectPath& path = out_p_.paths[n.path];
    IndicatorType type;
    if (!exact_type(path, type)) return false;
    if (n.op == PatternOp::in && n.count == 0) return invalid("empty set for " + path.text());
    for (std::uint32_t k = 0; k < n.count; ++k) {
      const PatternLiteral& lit = out_p_.literals[n.first + k];
      if (lit.kind != LiteralKind::string) return invalid(path.text() + " compared with a non-string literal");
      PatternTerm t;
      t.type = type;
      bool cleared = false;
      ValueError e = normalise_indicator_value(type, lit.text, t.value, &cleared);
      // Feeds write bare hosts as URLs ('evil.example', '192.0.2.1:80'): read as http://host/,
      // as a list line without a scheme is.
      if (e != ValueError::none && type == IndicatorType::url && lit.text.find("://") == std::string::npos &&
          normalise_indicator_value(type, "http://" + lit.text, t.value, &cleared) == ValueError::none)
        e = ValueError::none;
      if (e != ValueError::none)
        return invalid("invalid value for " + path.text() + ": " + std::string(value_error_name(e)));
      out_.host_bits_cleared = out_.host_bits_cleared || cleared;
      add_term(terms, std::move(t));
    }
    return true;
  }

  bool invalid(std::string reason) {
    if (!failed_) {
      out_.status = CompileStatus::invalid;
      out_.reason = std::move(reason);
    }
    failed_ = true;
    return false;
  }

  static void add_term(std::vector<PatternTerm>& terms, PatternTerm t) {
    for (const auto& e : terms)
      if (e.type == t.type && e.value == t.value) return;
    terms.push_back(std::move(t));
  }

  // --- residual --------------------------------------------------------------------------

  bool or_of_leaves(std::uint32_t i) const {
    const PatternNode& n = out_p_.nodes[i];
    if (n.kind == NodeKind::observation) return true;
    return n.kind == NodeKind::observation_or && or_of_leaves(n.lhs) && or_of_leaves(n.rhs);
  }

  void collect_leaves(std::uint32_t i, std::vector<std::uint32_t>& out) const {
    const PatternNode& n = out_p_.nodes[i];
    if (n.kind == NodeKind::observation) {
      out.push_back(i);
      return;
    }
    collect_leaves(n.lhs, out);
    if (n.kind == NodeKind::observation_and || n.kind == NodeKind::observation_or || n.kind == NodeKind::followed_by)
      collect_leaves(n.rhs, out);
  }

  // Set terms every match of the comparison expression must hit (so a hit of one of them is
  // the only way in), or false.
  bool prefilter(std::uint32_t i, std::vector<PatternTerm>& terms) {
    const PatternNode& n = out_p_.nodes[i];
    if (n.kind == NodeKind::comparison_or) {
      std::vector<PatternTerm> a, b;
      if (!prefilter(n.lhs, a) || !prefilter(n.rhs, b)) return false;
      for (auto& t : b) add_term(a, std::move(t));
      terms = std::move(a);
      return true;
    }
    if (n.kind == NodeKind::comparison_and) {
      std::vector<PatternTerm> a, b;
      const bool ha = prefilter(n.lhs, a), hb = prefilter(n.rhs, b);
      if (!ha && !hb) return false;
      if (!ha || (hb && better(b, a))) terms = std::move(b);
      else terms = std::move(a);
      return true;
    }
    if (n.kind != NodeKind::comparison || n.negated || (n.op != PatternOp::eq && n.op != PatternOp::in)) return false;
    const ObjectPath& path = out_p_.paths[n.path];
    IndicatorType type;
    if (exact_type(path, type)) {
      const bool was_failed = failed_;
      if (!equality_terms(n, terms)) {
        // A literal that is no value of the type is false, not an error, inside a larger pattern.
        if (!was_failed) {
          failed_ = false;
          out_.status = CompileStatus::compiled;
          out_.reason.clear();
        }
        return false;
      }
      return true;
    }
    // network-traffic's endpoints are addresses of the address sets.
    if (path.object_type == "network-traffic" && path.steps.size() == 2 && path.steps[1].key == "value" &&
        (path.steps[0].key == "src_ref" || path.steps[0].key == "dst_ref")) {
      for (std::uint32_t k = 0; k < n.count; ++k) {
        const PatternLiteral& lit = out_p_.literals[n.first + k];
        PatternTerm t;
        IpPrefix prefix;
        if (lit.kind != LiteralKind::string || !parse_ip_prefix(lit.text, prefix)) return false;
        t.type = prefix.address.family == 6 ? IndicatorType::ipv6 : IndicatorType::ipv4;
        if (normalise_indicator_value(t.type, lit.text, t.value) != ValueError::none) return false;
        add_term(terms, std::move(t));
      }
      return !terms.empty();
    }
    return false;
  }

  static bool better(const std::vector<PatternTerm>& a, const std::vector<PatternTerm>& b) {
    if (a.size() != b.size()) return a.size() < b.size();
    return type_rank(a[0].type) < type_rank(b[0].type);
  }

  std::uint32_t kinds_of(std::uint32_t i) const {
    const PatternNode& n = out_p_.nodes[i];
    if (n.kind == NodeKind::comparison) {
      const ObjectPath& path = out_p_.paths[n.path];
      const std::uint32_t k = observable_kinds(path);
      // Flow properties: every observation of a flow carries them.
      return path.object_type == "network-traffic" && k == kind_bit(ObservationKind::ip_port) ? kAllKinds : k;
    }
    const std::uint32_t a = kinds_of(n.lhs), b = kinds_of(n.rhs);
    return n.kind == NodeKind::comparison_and ? a & b : a | b;
  }

  const Pattern& in_;
  CompiledPattern& out_;
  Pattern out_p_;
  bool dropped_ = false;
  bool failed_ = false;
};

}  // namespace

std::string_view compile_status_name(CompileStatus s) noexcept {
  switch (s) {
    case CompileStatus::compiled: return "compiled";
    case CompileStatus::unsupported: return "unsupported";
    case CompileStatus::invalid: return "invalid";
    case CompileStatus::syntax_error: return "syntax error";
    case CompileStatus::out_of_scope: return "out of scope";
  }
  return "?";
}

CompiledPattern compile_pattern(std::string_view text, const CompileOptions& options) {
  CompiledPattern out;
  Pattern p;
  PatternError err;
  if (!parse_pattern(text, p, err, options.limits)) {
    out.status = CompileStatus::syntax_error;
    out.position = err.position;
    out.reason = "syntax error at " + std::to_string(err.position) + ": " + err.message;
    return out;
  }
  // The whole pattern must be evaluable as written (a REPEATS 0 or an impossible date is an
  // error wherever it sits), before out-of-scope parts are folded away.
  {
    PatternProgram whole;
    ProgramOptions po;
    po.version = options.stix_version;
    const ProgramResult r = whole.compile(p, po);
    if (!r.ok()) {
      out.status = r.status == ProgramStatus::unsupported ? CompileStatus::unsupported : CompileStatus::invalid;
      out.position = r.position;
      out.reason = r.message;
      return out;
    }
  }
  Compiler c(p, out);
  if (!c.fold()) {
    out.status = CompileStatus::out_of_scope;
    out.reason = "no network observation has the properties it compares";
    return out;
  }
  out.partly_out_of_scope = c.dropped();
  if (c.exact()) return out;
  if (c.failed()) {
    out.terms.clear();
    return out;
  }
  out.residual = format_pattern(c.folded());
  c.residual();
  if (c.failed()) {
    out.terms.clear();
    out.residual.clear();
    return out;
  }
  return out;
}

}  // namespace outpost::rules::stix
