#include "rules/indicator_set.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "rules/lists/list_reader.h"
#include "rules/set_file.h"
#include "rules/stix/pattern_compile.h"
#include "rules/stix/stix_id.h"

namespace outpost::rules {

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::uint32_t text_hash(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (char c : s) h = (h ^ static_cast<std::uint8_t>(c)) * 16777619u;
  return h;
}

std::string clip(std::string_view s, std::size_t n = 80) {
  if (s.size() <= n) return std::string(s);
  return std::string(s.substr(0, n)) + "...";
}

// Bytes an IndicatorSet charges for a STIX record beyond the set entries: the record and its
// id-index entry (16-byte key, owner, index share).
constexpr std::size_t kRecordCost = RecordTable::kRecordBytes + 16 + 4 + 8;

}  // namespace

// ---------------------------------------------------------------------------------------
// IndicatorSet

IndicatorSet::IndicatorSet() = default;
IndicatorSet::~IndicatorSet() = default;

TermSet* IndicatorSet::set_for(IndicatorType type) {
  auto& s = sets_[static_cast<std::size_t>(type)];
  if (!s) s = make_term_set(type, budget_);
  return s.get();
}

// uuid -> record, for live updates (which version is current) and `outpost-rules diff`.
void IndicatorSet::index_ids() {
  // Charged with each record (kRecordCost), so built outside the set's budget.
  MemoryBudget unlimited;
  sets::TableBuilder ids(sets::RecordLayout::fixed, 16, &sets::hash_bytes, unlimited);
  for (std::size_t i = 0; i < records_.size(); ++i) {
    const IndicatorRecord r = records_.get(i);
    ids.add(r.uuid, 16, static_cast<EntryOwner>(i));
  }
  std::vector<sets::FrozenTable> t;
  if (ids.freeze(0, t)) id_index_ = t[0];
}

// Which observation kinds can match what is loaded.
void IndicatorSet::compute_wants() {
  auto has = [&](IndicatorType t) { return size(t) != 0; };
  auto want = [&](ObservationKind k, bool on) { wants_[static_cast<std::size_t>(k)] = on; };
  const bool names = has(IndicatorType::domain);
  const bool addresses = has(IndicatorType::ipv4) || has(IndicatorType::ipv6);
  for (ObservationKind k : {ObservationKind::dns_query, ObservationKind::tls_sni, ObservationKind::quic_sni,
                            ObservationKind::http_host})
    want(k, names);
  want(ObservationKind::dns_answer, names || addresses);
  want(ObservationKind::src_ip, addresses);
  want(ObservationKind::dst_ip, addresses);
  want(ObservationKind::http_url, has(IndicatorType::url));
  want(ObservationKind::ja3, has(IndicatorType::ja3));
  want(ObservationKind::ja3s, has(IndicatorType::ja3s));
  want(ObservationKind::x509_sha1, has(IndicatorType::x509_sha1));
  want(ObservationKind::ip_port, has(IndicatorType::ip_port));
  want(ObservationKind::http_file_md5, has(IndicatorType::md5));
  want(ObservationKind::http_upload_md5, has(IndicatorType::md5));
  want(ObservationKind::http_file_sha1, has(IndicatorType::sha1));
  want(ObservationKind::http_upload_sha1, has(IndicatorType::sha1));
  want(ObservationKind::http_file_sha256, has(IndicatorType::sha256));
  want(ObservationKind::http_upload_sha256, has(IndicatorType::sha256));
  for (std::size_t k = 0; k < kObservationKindCount; ++k)
    if (!scan_[k].empty()) wants_[k] = true;
}

namespace {
bool or_of_leaves(const stix::Pattern& p, std::uint32_t i) {
  const stix::PatternNode& n = p.nodes[i];
  if (n.kind == stix::NodeKind::observation) return true;
  return n.kind == stix::NodeKind::observation_or && or_of_leaves(p, n.lhs) && or_of_leaves(p, n.rhs);
}
}  // namespace

std::string IndicatorSet::compile_residuals() {
  for (std::size_t i = residuals_.size(); i < residual_patterns_.size(); ++i) {
    auto r = std::make_shared<Residual>();
    stix::Pattern p;
    stix::PatternError e;
    stix::PatternLimits limits;
    limits.reject_repeated_qualifiers = false;
    if (!stix::parse_pattern(residual_patterns_[i], p, e, limits))
      return "residual pattern " + std::to_string(i) + ": " + e.message;
    // 2.0 rules: START/STOP in either spelling (the pattern was checked against its own
    // version when it was compiled).
    stix::ProgramOptions po;
    po.version = stix::StixVersion::v20;
    const stix::ProgramResult res = r->program.compile(p, po);
    if (!res.ok()) return "residual pattern " + std::to_string(i) + ": " + res.message;
    r->multi = !or_of_leaves(p, p.root);
    for (const stix::ObjectPath& path : p.paths)
      if (path.object_type == "x509-certificate" && path.text() != "x509-certificate:hashes.'SHA-1'")
        certificate_facts_ = true;
    residuals_.push_back(std::move(r));
  }
  return {};
}

std::int32_t IndicatorSet::intern_markings(const std::vector<std::string>& refs) {
  if (refs.empty()) return -1;
  for (std::size_t i = 0; i < marking_sets_.size(); ++i)
    if (marking_sets_[i] == refs) return static_cast<std::int32_t>(i);
  marking_sets_.push_back(refs);
  return static_cast<std::int32_t>(marking_sets_.size() - 1);
}

std::size_t IndicatorSet::list_indicator_id(IndicatorType type, std::string_view term, char* buf) noexcept {
  MatchedIndicator m;
  m.list_type = indicator_type_name(type);
  m.matched_term = term;
  const std::string_view id = m.id();
  std::memcpy(buf, id.data(), id.size());
  return id.size();
}

// Turns set hits into MatchedIndicators: drops inactive STIX indicators and suffix hits of
// exact entries, derives list ids, and reports each indicator once per observation (also when
// the base and an overlay both hold it, as while a live update is merged).
class IndicatorSet::Visitor final : public TermVisitor {
 public:
  Visitor(const Layers& layers, const Observation& o, MatchSink& sink, MatchContext* context)
      : layers_(layers), o_(o), sink_(sink), context_(context) {}
  IndicatorType type = IndicatorType::domain;
  const IndicatorSet* layer = nullptr;  // the set being probed (list owners are its own)

  void on_hit(EntryOwner owner, std::string_view term, bool whole) override {
    MatchedIndicator m;
    m.matched_term = term;
    char id[48];
    if ((owner & kListOwner) == 0) {
      const IndicatorSet* holder = nullptr;
      std::size_t index = 0;
      if (!layers_.resolve(owner, holder, index)) return;
      const IndicatorRecord r = holder->records_.get(index);
      if ((r.flags & IndicatorRecord::kDead) != 0) return;
      if (!whole && (r.flags & IndicatorRecord::kDomainsBelow) == 0) return;  // STIX `=`: that name only
      // STIX 2.1 §4.7: valid from valid_from (inclusive) until valid_until (exclusive).
      if (r.valid_from != stix::kNoTime && o_.ts < r.valid_from) return;
      if (r.valid_until != stix::kNoTime && o_.ts >= r.valid_until) return;
      if (seen(owner, 0)) return;
      if (r.residual >= 0 && !residual_matches(*holder, r)) return;
      if (!first_time(owner, 0)) return;
      m.stored_id = std::string_view(id, holder->records_.format_id(index, id));
      m.source = holder->sources_[r.source].get();
      m.confidence = r.confidence;
      m.marking_refs = r.markings >= 0 ? &holder->marking_sets_[static_cast<std::size_t>(r.markings)] : nullptr;
    } else {
      const std::size_t li = owner & ~kListOwner;
      if (li >= layer->lists_.size()) return;
      const ListSource& l = layer->lists_[li];
      if (!whole && l.domain_match == DomainMatch::exact) return;
      if (!first_time(owner, text_hash(term) ^ static_cast<std::uint32_t>(type))) return;
      m.list_type = indicator_type_name(type);
      m.source = layer->sources_[l.source].get();
      m.confidence = l.confidence;
      m.marking_refs = l.markings >= 0 ? &layer->marking_sets_[static_cast<std::size_t>(l.markings)] : nullptr;
    }
    sink_.on_match(m, o_);
  }

 private:
  bool seen(EntryOwner owner, std::uint32_t term) const {
    for (std::size_t i = 0; i < seen_count_; ++i)
      if (seen_[i].owner == owner && seen_[i].term == term) return true;
    return false;
  }
  // Remembers the first kSeen reports of this observation; beyond that, duplicates are
  // possible (an observation matching over 32 distinct indicators at once).
  bool first_time(EntryOwner owner, std::uint32_t term) {
    if (seen(owner, term)) return false;
    if (seen_count_ < kSeen) seen_[seen_count_++] = {owner, term};
    return true;
  }

  // The part of the pattern the set entries do not decide, evaluated on this observation's
  // objects (rules/observed_objects.h) and, for multi-observation patterns, on the device's
  // history in the context.
  bool residual_matches(const IndicatorSet& holder, const IndicatorRecord& r) {
    if (static_cast<std::size_t>(r.residual) >= holder.residuals_.size()) return false;
    const Residual& res = *holder.residuals_[static_cast<std::size_t>(r.residual)];
    if (res.multi && context_ == nullptr) return false;
    if (!objects_built_) {
      objects().build(o_);
      objects_built_ = true;
    }
    const stix::ObjectTree& tree = objects().tree();
    const stix::ObservedData& od = objects().observed();
    stix::EvalBudget budget;
    bool matched = false, error = false;
    if (!res.multi) {
      const stix::EvalResult e = res.program.evaluate(tree, &od, 1, budget);
      matched = e.matched();
      error = e.status == stix::EvalStatus::error;
    } else {
      std::uint64_t leaves = 0;
      const std::size_t n = std::min<std::size_t>(res.program.leaf_count(), 64);
      for (std::size_t j = 0; j < n && !error; ++j) {
        bool out = false;
        error = res.program.leaf_matches(j, tree, od, out, budget) == stix::EvalStatus::error;
        if (out) leaves |= std::uint64_t{1} << j;
      }
      if (leaves != 0 && !error) {
        std::size_t count = 0;
        const MatchContext::Entry* h = context_->record(r.uuid, o_.device, o_.ts, leaves, count);
        stix::Interval intervals[MatchContext::kMaxEntriesPerKey];
        for (std::size_t i = 0; i < count; ++i) intervals[i] = stix::Interval{h[i].ts, h[i].ts, 1};
        struct Oracle final : stix::LeafOracle {
          const MatchContext::Entry* h;
          bool satisfies(std::size_t obs, std::size_t leaf) const override { return (h[obs].leaves >> leaf & 1) != 0; }
        } oracle;
        oracle.h = h;
        const stix::EvalResult e = res.program.evaluate(intervals, count, oracle, budget);
        matched = e.matched();
        error = e.status == stix::EvalStatus::error;
      }
    }
    if (context_ != nullptr) {
      MatchContextStats& st = context_->mutable_stats();
      ++st.residual_evaluations;
      st.residual_matches += matched;
      st.residual_errors += error;
    }
    return matched;
  }

  ObservedObjects& objects() {
    if (context_ != nullptr) return context_->objects();
    static thread_local ObservedObjects scratch;  // no context: the thread's own
    return scratch;
  }
  static constexpr std::size_t kSeen = 32;
  struct Seen {
    EntryOwner owner;
    std::uint32_t term;
  };
  const Layers& layers_;
  const Observation& o_;
  MatchSink& sink_;
  MatchContext* context_;
  bool objects_built_ = false;
  Seen seen_[kSeen];
  std::size_t seen_count_ = 0;
};

bool IndicatorSet::Layers::resolve(EntryOwner owner, const IndicatorSet*& holder, std::size_t& index) const noexcept {
  if (owner < base->records_.size()) {
    if (hidden != nullptr && owner / 64 < hidden->size() && ((*hidden)[owner / 64] >> (owner % 64) & 1) != 0)
      return false;
    holder = base;
    index = owner;
    return true;
  }
  if (overlay != nullptr && owner >= overlay->record_base_ && owner - overlay->record_base_ < overlay->records_.size()) {
    holder = overlay;
    index = owner - overlay->record_base_;
    return true;
  }
  return false;
}

bool IndicatorSet::Layers::wants(ObservationKind kind) const noexcept {
  return base->wants(kind) || (overlay != nullptr && overlay->wants(kind));
}

void IndicatorSet::match(const Observation& o, MatchSink& sink, MatchContext* context) const {
  const Layers layers{this, nullptr, nullptr};
  match(layers, o, sink, context);
}

void IndicatorSet::match(const Layers& layers, const Observation& o, MatchSink& sink, MatchContext* context) {
  if (!layers.wants(o.kind)) return;
  Visitor v(layers, o, sink, context);
  for (const IndicatorSet* set : {layers.base, layers.overlay}) {
    if (set == nullptr || !set->wants(o.kind)) continue;
    v.layer = set;
    set->probe(o, v);
    // Patterns with a [ ] no set entry leads to: evaluated on every observation of the kinds
    // that carry its objects.
    for (EntryOwner owner : set->scan_[static_cast<std::size_t>(o.kind)]) {
      v.type = IndicatorType::domain;
      v.on_hit(owner, o.value, true);
    }
  }
}

void IndicatorSet::probe(const Observation& o, Visitor& v) const {
  auto probe = [&](IndicatorType t, std::string_view value) {
    const TermSet* s = sets_[static_cast<std::size_t>(t)].get();
    if (s == nullptr || s->size() == 0 || value.empty()) return;
    v.type = t;
    s->lookup(value, v);
  };
  auto probe_address = [&](std::string_view value) {
    IpAddress ip = o.address;
    if (ip.family == 0 && !parse_ip(value, ip)) return false;
    for (IndicatorType t : {IndicatorType::ipv4, IndicatorType::ipv6}) {  // ipv4: also IPv4-mapped IPv6
      if (t == IndicatorType::ipv6 && ip.family != 6) break;
      const TermSet* s = sets_[static_cast<std::size_t>(t)].get();
      if (s == nullptr || s->size() == 0) continue;
      v.type = t;
      s->lookup_address(ip, v);
    }
    return true;
  };
  switch (o.kind) {
    case ObservationKind::dns_query:
    case ObservationKind::tls_sni:
    case ObservationKind::quic_sni:
    case ObservationKind::http_host: probe(IndicatorType::domain, o.value); break;
    case ObservationKind::dns_answer:
      if (!probe_address(o.value)) probe(IndicatorType::domain, o.value);  // a CNAME target
      if (o.context != o.value) probe(IndicatorType::domain, o.context);    // the owner name
      break;
    case ObservationKind::src_ip:
    case ObservationKind::dst_ip: probe_address(o.value); break;
    case ObservationKind::http_url: probe(IndicatorType::url, o.value); break;
    case ObservationKind::ja3: probe(IndicatorType::ja3, o.value); break;
    case ObservationKind::ja3s: probe(IndicatorType::ja3s, o.value); break;
    case ObservationKind::x509_sha1: probe(IndicatorType::x509_sha1, o.value); break;
    case ObservationKind::ip_port: probe(IndicatorType::ip_port, o.value); break;
    case ObservationKind::http_file_md5:
    case ObservationKind::http_upload_md5: probe(IndicatorType::md5, o.value); break;
    case ObservationKind::http_file_sha1:
    case ObservationKind::http_upload_sha1: probe(IndicatorType::sha1, o.value); break;
    case ObservationKind::http_file_sha256:
    case ObservationKind::http_upload_sha256: probe(IndicatorType::sha256, o.value); break;
    default: break;
  }
}

void IndicatorSet::for_each_entry(
    const std::function<void(IndicatorType, std::string_view, const MatchedIndicator&, bool)>& visit) const {
  for (std::size_t t = 0; t < kIndicatorTypeCount; ++t) {
    const TermSet* ts = sets_[t].get();
    if (ts == nullptr) continue;
    const auto type = static_cast<IndicatorType>(t);
    ts->for_each_entry([&](std::string_view term, EntryOwner owner) {
      MatchedIndicator m;
      m.matched_term = term;
      char id[48];
      const bool list = (owner & kListOwner) != 0;
      if (list) {
        const std::size_t li = owner & ~kListOwner;
        if (li >= lists_.size()) return;
        const ListSource& l = lists_[li];
        m.list_type = indicator_type_name(type);
        m.source = sources_[l.source].get();
        m.confidence = l.confidence;
        m.marking_refs = l.markings >= 0 ? &marking_sets_[static_cast<std::size_t>(l.markings)] : nullptr;
      } else {
        if (owner >= records_.size() || records_.dead(owner)) return;
        const IndicatorRecord r = records_.get(owner);
        m.stored_id = std::string_view(id, records_.format_id(owner, id));
        m.source = sources_[r.source].get();
        m.confidence = r.confidence;
        m.marking_refs = r.markings >= 0 ? &marking_sets_[static_cast<std::size_t>(r.markings)] : nullptr;
      }
      visit(type, term, m, list);
    });
  }
}

void IndicatorSet::for_each_indicator(const std::function<void(std::string_view, TimeUs)>& visit) const {
  char id[48];
  for (std::size_t i = 0; i < records_.size(); ++i) {
    if (records_.dead(i)) continue;
    visit(std::string_view(id, records_.format_id(i, id)), records_.get(i).version);
  }
}

bool IndicatorSet::wants(ObservationKind kind) const noexcept {
  const auto i = static_cast<std::size_t>(kind);
  return i < wants_.size() && wants_[i];
}

std::size_t IndicatorSet::size() const noexcept {
  std::size_t n = 0;
  for (const auto& s : sets_)
    if (s) n += s->size();
  return n;
}

std::size_t IndicatorSet::size(IndicatorType type) const noexcept {
  const auto& s = sets_[static_cast<std::size_t>(type)];
  return s ? s->size() : 0;
}

std::size_t IndicatorSet::memory_bytes(IndicatorType type) const noexcept {
  const auto& s = sets_[static_cast<std::size_t>(type)];
  return s ? s->memory_bytes() : 0;
}

std::size_t IndicatorSet::memory_bytes() const noexcept {
  std::size_t n = sizeof(*this);
  for (const auto& s : sets_)
    if (s) n += s->memory_bytes();
  n += records_.block_size() + id_index_.block_size() + lists_.capacity() * sizeof(ListSource);
  for (const auto& src : sources_) n += sizeof(IndicatorSource) + src->name.capacity() + src->version.capacity();
  for (const auto& m : marking_sets_)
    for (const auto& ref : m) n += sizeof(std::string) + ref.capacity();
  n += marking_definitions_.capacity() * sizeof(stix::MarkingDefinition);
  return n;
}

void IndicatorSet::for_each_block(const std::function<void(const void*, std::size_t)>& visit) const {
  for (const auto& s : sets_)
    if (s) s->for_each_block(visit);
  visit(records_.block(), records_.block_size());
  visit(id_index_.block(), id_index_.block_size());
}

const stix::MarkingDefinition* IndicatorSet::marking_definition(std::string_view id) const noexcept {
  for (const auto& m : marking_definitions_)
    if (m.id == id) return &m;
  return nullptr;
}

// ---------------------------------------------------------------------------------------
// IndicatorSetBuilder

struct IndicatorSetBuilder::Pending {
  std::string id;
  TimeUs version_time = stix::kNoTime;  // modified, else created (STIX 2.1 §3.6)
  bool revoked = false;
  TimeUs valid_from = stix::kNoTime;
  TimeUs valid_until = stix::kNoTime;
  int confidence = -1;
  std::vector<std::string> marking_refs;
  std::uint32_t source = 0;
  std::uint64_t object_index = 0;
  std::uint32_t pattern_hash = 0;
  std::string unsupported_pattern_type;  // set when pattern_type is not "stix"
  stix::CompiledPattern compiled;
  bool domains_below = false;    // domain entries also match the names below them
};

// Collects one bundle's indicators (compiled right away, so patterns are not kept) and
// reports skipped objects; nothing reaches the builder unless the whole input reads.
class IndicatorSetBuilder::FileSink final : public stix::BundleSink {
 public:
  FileSink(IndicatorSetBuilder& b, std::uint32_t source, std::string_view name, DomainMatch domains)
      : builder_(b), source_(source), name_(name), domains_(domains) {}

  void on_indicator(stix::StixIndicator&& in) override {
    Pending p;
    p.id = std::move(in.id);
    p.version_time = in.modified != stix::kNoTime ? in.modified : in.created;
    p.revoked = in.revoked;
    p.valid_from = in.valid_from;
    p.valid_until = in.valid_until;
    p.confidence = in.confidence;
    p.marking_refs = std::move(in.object_marking_refs);
    p.source = source_;
    p.domains_below = domains_ == DomainMatch::suffix;
    p.object_index = in.object_index;
    p.pattern_hash = text_hash(in.pattern);
    // STIX 2.1 §4.7 pattern_type; STIX 2.0 indicators have none and are STIX patterns.
    if (!in.pattern_type.empty() && in.pattern_type != "stix") p.unsupported_pattern_type = in.pattern_type;
    else {
      stix::CompileOptions co;
      co.limits = builder_.options_.pattern_limits;
      // STIX 2.0 indicators have no pattern_type (and may write START/STOP as plain strings).
      co.stix_version = in.pattern_type.empty() || in.spec_version == "2.0" ? stix::StixVersion::v20
                                                                            : stix::StixVersion::v21;
      p.compiled = stix::compile_pattern(in.pattern, co);
    }
    pending.push_back(std::move(p));
  }
  void on_marking_definition(stix::MarkingDefinition&& m) override { markings.push_back(std::move(m)); }
  void on_skipped(std::uint64_t index, std::string_view id, stix::ObjectProblem problem,
                  std::string_view detail) override {
    std::string reason(stix::object_problem_name(problem));
    const bool field_detail = problem == stix::ObjectProblem::wrong_type ||
                              problem == stix::ObjectProblem::bad_timestamp || problem == stix::ObjectProblem::too_long;
    if (field_detail && !detail.empty()) reason += " " + std::string(detail);
    skipped.emplace_back(reason, warning(index, id, reason + (field_detail || detail.empty() ? "" : ": " + clip(detail))));
  }

  std::string warning(std::uint64_t index, std::string_view id, std::string_view reason) const {
    return name_ + ": object " + std::to_string(index) + " (" + (id.empty() ? std::string("-") : clip(id)) +
           "): " + std::string(reason);
  }

  std::deque<Pending> pending;
  std::vector<stix::MarkingDefinition> markings;
  std::vector<std::pair<std::string, std::string>> skipped;  // reason, warning

 private:
  IndicatorSetBuilder& builder_;
  std::uint32_t source_;
  std::string name_;
  DomainMatch domains_;
};

IndicatorSetBuilder::IndicatorSetBuilder(LoadOptions options)
    : options_(std::move(options)), set_(new IndicatorSet), start_ns_(now_ns()) {
  set_->budget_ = MemoryBudget(options_.memory_budget_bytes);
  set_->stats_.budget_bytes = options_.memory_budget_bytes;
}

IndicatorSetBuilder::~IndicatorSetBuilder() = default;

const LoadStats& IndicatorSetBuilder::stats() const noexcept { return set_->stats_; }

void IndicatorSetBuilder::warn(std::string line) {
  auto& st = set_->stats_;
  if (st.warnings.size() < options_.max_warnings) st.warnings.push_back(std::move(line));
  else ++st.warnings_dropped;
}

LoadStatus IndicatorSetBuilder::add(std::string_view spec, const ListOptions& list_options) {
  const lists::ListSpec s = lists::parse_list_spec(spec);
  if (s.kind) return add_list_file(s.path, s.kind, list_options);
  if (SetFile::sniff(s.path)) {
    LoadStatus st;
    const auto other = SetFile::load(s.path, st);
    if (!other) return st;
    return add_set(*other);
  }
  bool json = false;
  const std::string err = lists::sniff_json(s.path, json);
  if (!err.empty()) return LoadStatus{false, err};
  if (json) {
    // A bundle keeps STIX's exact `=` unless the caller asked for names below as well.
    ListOptions o = list_options;
    if (!list_options.domain_match_set) o.domain_match = DomainMatch::exact;
    return add_bundle_file(s.path, o);
  }
  return add_list_file(s.path, std::nullopt, list_options);
}

LoadStatus IndicatorSetBuilder::add_set(const IndicatorSet& other) {
  if (!set_) return LoadStatus{false, "IndicatorSetBuilder used after build()"};
  IndicatorSet& set = *set_;
  const auto source_base = static_cast<std::uint32_t>(set.sources_.size());
  for (const auto& src : other.sources_) set.sources_.push_back(std::make_unique<IndicatorSource>(*src));
  for (SourceStats st : other.stats_.sources) {
    // build() counts the imported STIX indicators again (they compete with the other inputs'
    // versions); list entries are counted here, as they were.
    if (st.kind != IndicatorSource::Kind::list) {
      st.loaded = st.terms = st.duplicates = st.revoked = st.expired_at_load = st.budget_dropped = 0;
      st.per_type.fill(0);
    }
    set.stats_.sources.push_back(std::move(st));
  }
  for (const auto& m : other.marking_definitions_)
    if (set.marking_definition(m.id) == nullptr && set.marking_definitions_.size() < 1024)
      set.marking_definitions_.push_back(m);
  auto markings = [&](std::int32_t i) {
    return i >= 0 ? set.intern_markings(other.marking_sets_[static_cast<std::size_t>(i)]) : -1;
  };
  const auto list_base = static_cast<EntryOwner>(set.lists_.size());
  for (IndicatorSet::ListSource l : other.lists_) {
    l.source += source_base;
    l.markings = markings(l.markings);
    set.lists_.push_back(l);
  }
  // STIX indicators become pending versions again, with the terms their entries hold.
  std::deque<Pending> imported(other.records_.size());
  for (std::size_t k = 0; k < kObservationKindCount; ++k)
    for (EntryOwner o : other.scan_[k])
      if (o < imported.size()) imported[o].compiled.scan_kinds |= std::uint32_t{1} << k;
  for (std::size_t t = 0; t < kIndicatorTypeCount; ++t) {
    const TermSet* ts = other.sets_[t].get();
    if (ts == nullptr) continue;
    const auto type = static_cast<IndicatorType>(t);
    TermSet* mine = set.set_for(type);
    ts->for_each_entry([&](std::string_view term, EntryOwner owner) {
      if ((owner & kListOwner) != 0) {
        const EntryOwner li = owner & ~kListOwner;
        if (li < other.lists_.size()) mine->add(term, kListOwner | (list_base + li));
      } else if (owner < imported.size()) {
        imported[owner].compiled.terms.push_back(stix::PatternTerm{type, std::string(term)});
      }
    });
  }
  for (std::size_t i = 0; i < imported.size(); ++i) {
    const IndicatorRecord r = other.records_.get(i);
    if ((r.flags & IndicatorRecord::kDead) != 0) continue;
    Pending& p = imported[i];
    char id[48];
    p.id.assign(id, other.records_.format_id(i, id));
    p.version_time = r.version;
    p.valid_from = r.valid_from;
    p.valid_until = r.valid_until;
    p.confidence = r.confidence;
    if (r.markings >= 0) p.marking_refs = other.marking_sets_[static_cast<std::size_t>(r.markings)];
    p.source = source_base + r.source;
    p.pattern_hash = text_hash(p.id);
    p.domains_below = (r.flags & IndicatorRecord::kDomainsBelow) != 0;
    if (r.residual >= 0) p.compiled.residual = other.residual_patterns_[static_cast<std::size_t>(r.residual)];
  }
  imported.erase(std::remove_if(imported.begin(), imported.end(), [](const Pending& p) { return p.id.empty(); }),
                 imported.end());
  merge(imported);
  return {};
}

void IndicatorSetBuilder::set_record_base(std::uint32_t base) noexcept {
  if (set_) set_->record_base_ = base;
}

LoadStatus IndicatorSetBuilder::add_indicators(const IndicatorSource& source, std::vector<stix::StixIndicator> indicators,
                                               const ListOptions& options) {
  if (!set_) return LoadStatus{false, "IndicatorSetBuilder used after build()"};
  const auto index = static_cast<std::uint32_t>(set_->sources_.size());
  FileSink sink(*this, index, source.name, options.domain_match);
  SourceStats stats;
  stats.name = source.name;
  stats.kind = source.kind;
  stats.format = "indicators";
  stats.objects = stats.indicators = indicators.size();
  for (auto& in : indicators) sink.on_indicator(std::move(in));
  set_->sources_.push_back(std::make_unique<IndicatorSource>(source));
  set_->stats_.sources.push_back(std::move(stats));
  merge(sink.pending);
  return {};
}

LoadStatus IndicatorSetBuilder::add_bundle_file(const std::string& path, const ListOptions& options) {
  return bundle(path, options, [&](stix::BundleSink& sink, stix::BundleSummary& summary) {
    return stix::read_bundle_file(path, sink, summary, options_.bundle_limits);
  });
}

LoadStatus IndicatorSetBuilder::add_bundle_memory(std::string_view name, std::string_view json,
                                                  const ListOptions& options) {
  return bundle(name, options, [&](stix::BundleSink& sink, stix::BundleSummary& summary) {
    return stix::read_bundle_memory(name, json.data(), json.size(), sink, summary, options_.bundle_limits);
  });
}

LoadStatus IndicatorSetBuilder::bundle(
    std::string_view name, const ListOptions& options, const std::function<stix::ReadStatus(stix::BundleSink&, stix::BundleSummary&)>& read) {
  if (!set_) return LoadStatus{false, "IndicatorSetBuilder used after build()"};
  const auto source = static_cast<std::uint32_t>(set_->sources_.size());
  FileSink sink(*this, source, name, options.domain_match);
  stix::BundleSummary summary;
  const stix::ReadStatus st = read(sink, summary);
  if (!st.ok) return LoadStatus{false, st.message};

  auto src = std::make_unique<IndicatorSource>();
  src->kind = IndicatorSource::Kind::bundle;
  src->name.assign(name);
  set_->sources_.push_back(std::move(src));
  SourceStats stats;
  stats.name.assign(name);
  stats.kind = IndicatorSource::Kind::bundle;
  stats.format = std::string(stix::input_shape_name(summary.shape));
  if (!summary.spec_version.empty()) stats.format += " " + summary.spec_version;
  stats.objects = summary.objects;
  stats.indicators = summary.indicators;
  for (auto& [reason, warning] : sink.skipped) {
    stats.skipped.add(reason);
    warn(std::move(warning));
  }
  set_->stats_.sources.push_back(std::move(stats));
  for (auto& m : sink.markings) {
    if (set_->marking_definition(m.id) == nullptr && set_->marking_definitions_.size() < 1024)
      set_->marking_definitions_.push_back(std::move(m));
  }
  merge(sink.pending);
  return {};
}

void IndicatorSetBuilder::merge(std::deque<Pending>& file_pending) {
  // STIX 2.1 §3.6: versions of an object share its id; the one with the latest `modified`
  // is current. Equal `modified`: a revoked version wins (revocation is final), then the
  // smaller pattern hash, so the outcome does not depend on the order of inputs.
  auto newer = [](const Pending& a, const Pending& b) {
    if (a.version_time != b.version_time) return a.version_time > b.version_time;
    if (a.revoked != b.revoked) return a.revoked;
    if (a.pattern_hash != b.pattern_hash) return a.pattern_hash < b.pattern_hash;
    if (a.valid_from != b.valid_from) return a.valid_from > b.valid_from;
    return false;
  };
  auto& sources = set_->stats_.sources;
  for (Pending& p : file_pending) {
    auto it = pending_by_id_.find(p.id);
    if (it == pending_by_id_.end()) {
      pending_by_id_.emplace(p.id, static_cast<std::uint32_t>(pending_.size()));
      pending_.push_back(std::move(p));
      continue;
    }
    Pending& cur = pending_[it->second];
    if (newer(p, cur)) {
      ++sources[cur.source].superseded;
      cur = std::move(p);
    } else {
      ++sources[p.source].superseded;
    }
  }
  file_pending.clear();
}

LoadStatus IndicatorSetBuilder::add_list_file(const std::string& path, std::optional<IndicatorType> kind,
                                              const ListOptions& options) {
  return list(path, kind, options, [&](const std::function<void(std::uint64_t, std::string_view, bool)>& on_line) {
    return lists::read_list_file(path, on_line);
  });
}

LoadStatus IndicatorSetBuilder::add_list_memory(std::string_view name, std::string_view text,
                                                std::optional<IndicatorType> kind, const ListOptions& options) {
  return list(name, kind, options, [&](const std::function<void(std::uint64_t, std::string_view, bool)>& on_line) {
    lists::read_list_memory(text, on_line);
    return std::string();
  });
}

LoadStatus IndicatorSetBuilder::list(
    std::string_view name, std::optional<IndicatorType> kind, const ListOptions& options,
    const std::function<std::string(const std::function<void(std::uint64_t, std::string_view, bool)>&)>& read) {
  if (!set_) return LoadStatus{false, "IndicatorSetBuilder used after build()"};
  IndicatorSet& set = *set_;
  const auto source = static_cast<std::uint32_t>(set.sources_.size());
  auto src = std::make_unique<IndicatorSource>();
  src->kind = IndicatorSource::Kind::list;
  src->name.assign(name);
  src->version = options.version;
  set.sources_.push_back(std::move(src));
  IndicatorSet::ListSource ls;
  ls.source = source;
  ls.domain_match = options.domain_match;
  ls.confidence = static_cast<std::int16_t>(options.confidence >= 0 && options.confidence <= 100 ? options.confidence : -1);
  ls.markings = set.intern_markings(options.marking_refs);
  const EntryOwner owner = kListOwner | static_cast<EntryOwner>(set.lists_.size());
  set.lists_.push_back(ls);
  set.stats_.sources.emplace_back();
  const std::size_t stats_index = set.stats_.sources.size() - 1;
  {
    SourceStats& st = set.stats_.sources.back();
    st.name.assign(name);
    st.kind = IndicatorSource::Kind::list;
    st.format = kind ? "list:" + std::string(indicator_type_name(*kind)) : "list";
  }

  std::string canonical;
  const std::string err = read([&](std::uint64_t line_no, std::string_view line, bool too_long) {
    SourceStats& st = set.stats_.sources[stats_index];
    ++st.lines;
    auto refuse = [&](std::string_view reason, std::string_view value) {
      st.skipped.add(reason);
      warn(std::string(name) + ":" + std::to_string(line_no) + ": " + std::string(reason) +
           (value.empty() ? "" : ": " + clip(value, 60)));
    };
    if (too_long) return refuse("line too long", {});
    const lists::ListLine l = lists::split_list_line(line);
    if (l.kind == lists::LineKind::skip) return;
    if (l.kind == lists::LineKind::invalid) return refuse(l.reason, line);
    std::string_view value = l.value;
    // "*.evil.com" in a list means the names below evil.com: what suffix matching does.
    if (value.size() > 2 && value[0] == '*' && value[1] == '.' && (!kind || *kind == IndicatorType::domain))
      value.remove_prefix(2);
    IndicatorType type;
    if (kind) type = *kind;
    else if (!lists::classify_list_value(value, type)) return refuse("unrecognised value", value);
    bool cleared = false;
    const ValueError e = normalise_indicator_value(type, value, canonical, &cleared);
    if (e != ValueError::none) return refuse(value_error_name(e), value);
    TermSet* ts = set.set_for(type);
    switch (ts->add(canonical, owner)) {
      case AddResult::added:
        ++st.loaded;
        ++st.terms;
        ++st.per_type[static_cast<std::size_t>(type)];
        if (cleared) ++st.host_bits_cleared;
        break;
      case AddResult::duplicate: ++st.duplicates; break;
      case AddResult::invalid: refuse("not a canonical value", value); break;
      case AddResult::budget_exhausted: ++st.budget_dropped; break;
    }
  });
  if (!err.empty()) return LoadStatus{false, err};
  return {};
}

std::unique_ptr<IndicatorSet> IndicatorSetBuilder::build() {
  if (!set_) return nullptr;
  IndicatorSet& set = *set_;
  for (Pending& p : pending_) {
    SourceStats& st = set.stats_.sources[p.source];
    auto where = [&](std::string_view reason) {
      return st.name + ": object " + std::to_string(p.object_index) + " (" + p.id + "): " + std::string(reason);
    };
    if (p.revoked) {
      ++st.revoked;
      continue;
    }
    if (!p.unsupported_pattern_type.empty()) {
      const std::string reason = "pattern_type " + clip(p.unsupported_pattern_type, 40);
      st.unsupported.add(reason);
      warn(where("unsupported " + reason));
      continue;
    }
    switch (p.compiled.status) {
      case stix::CompileStatus::compiled: break;
      case stix::CompileStatus::syntax_error:
        st.skipped.add("pattern syntax error");
        warn(where(p.compiled.reason));
        continue;
      case stix::CompileStatus::invalid:
        st.skipped.add("invalid pattern value");
        warn(where(p.compiled.reason));
        continue;
      case stix::CompileStatus::unsupported:
        st.unsupported.add(p.compiled.reason);
        continue;
      case stix::CompileStatus::out_of_scope:
        ++st.out_of_scope;
        continue;
    }
    const stix::CompiledPattern& c = p.compiled;
    if (c.scan_kinds != 0) {
      std::size_t scanned = 0;
      for (const auto& list : set.scan_) scanned = std::max(scanned, list.size());
      if (scanned >= options_.max_scan_patterns) {
        // Every scanned pattern costs every observation of its kinds: the list is bounded.
        st.skipped.add("scan list full (LoadOptions::max_scan_patterns)");
        continue;
      }
    }
    if (options_.reference_time && p.valid_until != stix::kNoTime && p.valid_until <= *options_.reference_time) {
      ++st.expired_at_load;
      if (options_.drop_expired) continue;
    }
    if (set.records_.size() >= 0x7ffffff0u || !set.budget_.resize(0, kRecordCost)) {
      ++st.budget_dropped;
      continue;
    }
    const auto owner = static_cast<EntryOwner>(set.record_base_ + set.records_.size());
    IndicatorRecord r;
    Uuid u;
    if (p.id.size() > 11) parse_uuid(std::string_view(p.id).substr(p.id.find("--") + 2), u);
    std::memcpy(r.uuid, u.bytes, 16);
    r.valid_from = p.valid_from;
    r.valid_until = p.valid_until;
    r.version = p.version_time;
    r.confidence = static_cast<std::int16_t>(p.confidence);
    r.source = p.source;
    if (p.domains_below) r.flags |= IndicatorRecord::kDomainsBelow;
    r.markings = set.intern_markings(p.marking_refs);
    if (!c.residual.empty()) {
      r.residual = static_cast<std::int32_t>(set.residual_patterns_.size());
      set.residual_patterns_.push_back(c.residual);
    }
    set.records_.append(r);
    for (std::size_t k = 0; k < kObservationKindCount; ++k)
      if ((c.scan_kinds >> k & 1) != 0) set.scan_[k].push_back(owner);
    bool any = c.scan_kinds != 0;
    for (const stix::PatternTerm& t : p.compiled.terms) {
      switch (set.set_for(t.type)->add(t.value, owner)) {
        case AddResult::added:
          any = true;
          ++st.terms;
          ++st.per_type[static_cast<std::size_t>(t.type)];
          break;
        case AddResult::duplicate:
          any = true;
          ++st.duplicates;
          break;
        case AddResult::invalid: break;
        case AddResult::budget_exhausted: ++st.budget_dropped; break;
      }
    }
    if (any) {
      ++st.loaded;
      ++(c.residual.empty() ? st.exact : st.residual);
      st.scan += c.scan_kinds != 0;
      st.multi_observation += c.multi_observation;
      st.partly_out_of_scope += c.partly_out_of_scope;
    }
    if (c.host_bits_cleared) ++st.host_bits_cleared;
  }
  pending_.clear();
  pending_by_id_.clear();

  for (auto& s : set.sets_)
    if (s) s->compact();
  set.index_ids();
  set.compile_residuals();
  set.compute_wants();

  LoadStats& stats = set.stats_;
  for (std::size_t i = 0; i < kIndicatorTypeCount; ++i) {
    stats.types[i].entries = set.size(static_cast<IndicatorType>(i));
    stats.types[i].bytes = set.memory_bytes(static_cast<IndicatorType>(i));
  }
  stats.stix_indicators = set.records_.size();
  stats.memory_bytes = set.memory_bytes();
  stats.load_seconds = static_cast<double>(now_ns() - start_ns_) / 1e9;
  return std::move(set_);
}

}  // namespace outpost::rules
