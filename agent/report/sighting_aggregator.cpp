#include "agent/report/sighting_aggregator.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <stdexcept>
#include <utility>

#include "agent/report/url_redaction.h"
#include "agent/report/utf8.h"

namespace outpost::agent {

namespace {

using rules::Device;
using rules::IpAddress;
using rules::Observation;
using rules::ObservationKind;

// Longest domain name / URL kept as an observable. Longer values are counted as omitted, not
// truncated: a cut URL would name a different resource.
constexpr std::size_t kMaxObservableBytes = 1024;
constexpr std::size_t kMaxCandidates = 4;
// Times are clamped to +-2^62 us (about 146,000 years) so window arithmetic cannot overflow
// whatever a capture file claims.
constexpr rules::TimeUs kTimeLimit = rules::TimeUs{1} << 62;

rules::TimeUs clamp_time(rules::TimeUs t) noexcept { return std::clamp(t, -kTimeLimit, kTimeLimit); }

std::size_t ip_length(const IpAddress& ip) noexcept {
  return ip.family == 4 ? 4 : ip.family == 6 ? 16 : 0;
}

bool same_device(const Device& a, const Device& b) noexcept {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Device::Kind::none: return true;
    case Device::Kind::mac: return std::memcmp(a.mac, b.mac, sizeof a.mac) == 0;
    case Device::Kind::ip: return a.ip == b.ip;
  }
  return false;
}

// Orders devices for a deterministic sighting order within a bundle.
bool device_less(const Device& a, const Device& b) noexcept {
  if (a.kind != b.kind) return a.kind < b.kind;
  if (a.kind == Device::Kind::mac) return std::memcmp(a.mac, b.mac, sizeof a.mac) < 0;
  if (a.kind == Device::Kind::ip) {
    if (a.ip.family != b.ip.family) return a.ip.family < b.ip.family;
    return std::memcmp(a.ip.bytes, b.ip.bytes, ip_length(a.ip)) < 0;
  }
  return false;
}

// Word-at-a-time multiplicative hash: cheap, no allocation, good enough for a table whose
// entries are also compared exactly. Words are assembled with memcpy (no unaligned loads);
// the value differs between endiannesses, which is harmless for an in-memory table.
struct KeyHash {
  std::uint64_t h = 0x9E3779B97F4A7C15ULL;
  void mix(std::uint64_t w) noexcept {
    h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 31;
  }
  void add(const void* p, std::size_t n) noexcept {
    const auto* b = static_cast<const std::uint8_t*>(p);
    for (; n >= 8; n -= 8, b += 8) {
      std::uint64_t w;
      std::memcpy(&w, b, 8);
      mix(w);
    }
    std::uint64_t tail = n;  // length of the tail keeps "a" and "a\0" apart
    for (std::size_t i = 0; i < n; ++i) tail = tail << 8 | b[i];
    mix(tail);
  }
  void add_u64(std::uint64_t v) noexcept { mix(v); }
};

std::uint64_t key_hash(std::string_view id, const Device& device, std::int64_t window) noexcept {
  KeyHash f;
  f.add(id.data(), id.size());
  const auto kind = static_cast<std::uint8_t>(device.kind);
  f.add(&kind, 1);
  if (device.kind == Device::Kind::mac) f.add(device.mac, sizeof device.mac);
  if (device.kind == Device::Kind::ip) {
    f.add(&device.ip.family, 1);
    f.add(device.ip.bytes, ip_length(device.ip));
  }
  f.add_u64(static_cast<std::uint64_t>(window));
  return f.h;
}

// True when `label` (after "xn--") is a Punycode string (RFC 3492 §6.2) that decodes to at
// least one non-ASCII code point and none that IDNA could never allow (C1 controls,
// surrogates, noncharacters U+FFFE/U+FFFF, U+FFFD). Bounded: labels are at most 63 bytes.
bool is_punycode_label(std::string_view label) noexcept {
  constexpr std::uint32_t base = 36, tmin = 1, tmax = 26, skew = 38, damp = 700;
  const std::size_t delim = label.rfind('-');
  std::size_t in = 0, out = 0;
  if (delim != std::string_view::npos) {
    out = delim;  // basic code points (already checked to be LDH)
    in = delim + 1;
  }
  if (in >= label.size()) return false;  // nothing encoded: not an A-label
  std::uint32_t n = 128, i = 0, bias = 72;
  while (in < label.size()) {
    const std::uint32_t old_i = i;
    std::uint32_t w = 1;
    for (std::uint32_t k = base;; k += base) {
      if (in >= label.size()) return false;
      const char c = label[in++];
      std::uint32_t digit;
      if (c >= 'a' && c <= 'z') digit = static_cast<std::uint32_t>(c - 'a');
      else if (c >= '0' && c <= '9') digit = static_cast<std::uint32_t>(c - '0') + 26;
      else return false;
      if (digit > (0x10FFFFu * 64 - i) / w) return false;  // keeps i far below overflow
      i += digit * w;
      const std::uint32_t t = k <= bias ? tmin : k >= bias + tmax ? tmax : k - bias;
      if (digit < t) break;
      if (w > 0xFFFFFFFFu / (base - t)) return false;
      w *= base - t;
    }
    ++out;
    // bias adaptation, RFC 3492 §6.1
    std::uint32_t delta = old_i == 0 ? (i - old_i) / damp : (i - old_i) / 2;
    delta += delta / static_cast<std::uint32_t>(out);
    std::uint32_t k = 0;
    while (delta > ((base - tmin) * tmax) / 2) {
      delta /= base - tmin;
      k += base;
    }
    bias = k + (base - tmin + 1) * delta / (delta + skew);
    n += i / static_cast<std::uint32_t>(out);
    i %= static_cast<std::uint32_t>(out);
    if (n > 0x10FFFF || n < 0xA0 || (n >= 0xD800 && n <= 0xDFFF) || n == 0xFFFD || n == 0xFFFE ||
        n == 0xFFFF)
      return false;
    ++i;
  }
  return true;
}

// A domain name the STIX domain-name object can carry (its schema checks the idn-hostname
// format): RFC 1034 §3.5 preferred syntax in lowercase (letters, digits, hyphens; labels of
// 1-63 bytes, no hyphen at either end; at most 253 bytes), IDNs as A-labels ("xn--" + valid
// Punycode, RFC 5890 §2.3.2.1). DNS, SNI (RFC 6066 §3) and Host carry IDNs as A-labels, so raw
// non-ASCII names are not hostnames here, nor are service labels with '_'. Omitted names stay
// visible as the sighting's matched term.
bool is_hostname(std::string_view name) noexcept {
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('.', start);
    if (end == std::string_view::npos) end = name.size();
    const std::string_view label = name.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (const char c : label) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return false;
    }
    // Labels with "--" in positions 3-4 are reserved for ACE prefixes (RFC 5891 §4.2.3.1).
    if (label.size() >= 4 && label[2] == '-' && label[3] == '-') {
      if (label.substr(0, 4) != "xn--" || !is_punycode_label(label.substr(4))) return false;
    }
    start = end + 1;
  }
  return true;
}

bool is_hex(std::string_view s) noexcept {
  for (const char c : s) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!ok) return false;
  }
  return true;
}

std::size_t digest_hex_length(HashAlgorithm h) noexcept {
  switch (h) {
    case HashAlgorithm::md5: return 32;
    case HashAlgorithm::sha1: return 40;
    case HashAlgorithm::sha256: return 64;
    case HashAlgorithm::none: return 0;
  }
  return 0;
}

HashAlgorithm body_hash_algorithm(ObservationKind k) noexcept {
  switch (k) {
    case ObservationKind::http_file_sha256:
    case ObservationKind::http_upload_sha256: return HashAlgorithm::sha256;
    case ObservationKind::http_file_md5:
    case ObservationKind::http_upload_md5: return HashAlgorithm::md5;
    case ObservationKind::http_file_sha1:
    case ObservationKind::http_upload_sha1: return HashAlgorithm::sha1;
    default: return HashAlgorithm::none;
  }
}

}  // namespace

struct SightingAggregator::Open {
  Sighting sighting;
  std::int64_t window = 0;
};

// A would-be observable of one observation; views point into the observation, into
// `digest` or into the aggregator's scratch strings.
struct SightingAggregator::Candidate {
  ObservableType type = ObservableType::domain_name;
  std::string_view value;
  HashAlgorithm hash = HashAlgorithm::none;
  IpAddress ip;
  std::uint16_t port = 0;
  std::uint8_t l4_proto = 0;
  bool remote_is_source = false;
  char digest[64];  // left uninitialised: only the bytes a view covers are written

  bool same_as(const Observable& o) const noexcept {
    if (o.type != type) return false;
    switch (type) {
      case ObservableType::ipv4_addr:
      case ObservableType::ipv6_addr: return o.ip == ip;
      case ObservableType::network_traffic:
        return o.ip == ip && o.port == port && o.l4_proto == l4_proto &&
               o.remote_is_source == remote_is_source;
      case ObservableType::x509_certificate:
      case ObservableType::file: return o.hash == hash && o.value == value;
      default: return o.value == value;
    }
  }
};

SightingAggregator::SightingAggregator(ReportOptions options, WindowSink sink)
    : options_(std::move(options)), sink_(std::move(sink)) {
  if (options_.window_us <= 0 || options_.window_us > ReportOptions::kMaxWindowUs)
    throw std::invalid_argument("sighting window must be between 1 microsecond and 366 days");
  if (options_.max_open_sightings == 0)
    throw std::invalid_argument("max open sightings must be at least 1");
  if (!sink_) throw std::invalid_argument("sighting aggregator needs an output callback");
  open_.reserve(options_.max_open_sightings);
  for (auto& s : scratch_) s.reserve(3 * kMaxObservableBytes);  // room for %XX escapes
}

SightingAggregator::~SightingAggregator() = default;

std::int64_t SightingAggregator::window_index(rules::TimeUs ts) const noexcept {
  // Floor division, so times before the epoch fall into the window that contains them.
  std::int64_t q = ts / options_.window_us;
  if (ts % options_.window_us != 0 && ts < 0) --q;
  return q;
}

SightingAggregator::Open* SightingAggregator::find(std::uint64_t hash, std::string_view id,
                                                   const Device& device,
                                                   std::int64_t window) const {
  auto range = open_.equal_range(hash);
  for (auto it = range.first; it != range.second; ++it) {
    Open& o = *it->second;
    if (o.window == window && o.sighting.indicator_id == id &&
        same_device(o.sighting.device, device))
      return &o;
  }
  return nullptr;
}

SightingAggregator::Open& SightingAggregator::open(std::uint64_t hash,
                                                   const rules::MatchedIndicator& ind,
                                                   const Observation& obs, std::int64_t window) {
  auto o = std::make_unique<Open>();
  o->window = window;
  Sighting& s = o->sighting;
  s.indicator_id.assign(ind.id().data(), ind.id().size());
  if (ind.source != nullptr) {
    s.source.kind = ind.source->kind;
    append_valid_utf8(s.source.name, ind.source->name);
    append_valid_utf8(s.source.version, ind.source->version);
  }
  s.confidence = ind.confidence >= 0 && ind.confidence <= 100 ? ind.confidence : -1;
  if (ind.marking_refs != nullptr) s.marking_refs = *ind.marking_refs;
  const std::string_view term = !options_.keep_query && looks_like_url(ind.matched_term)
                                    ? strip_url_query(ind.matched_term)
                                    : ind.matched_term;
  append_valid_utf8(s.matched_term, term);
  s.device = obs.device;
  s.window_start = window * options_.window_us;
  s.window_end = s.window_start + options_.window_us;
  s.observables.reserve(std::min<std::size_t>(options_.max_observables_per_sighting, 4));

  if (open_.empty() || window < earliest_window_) earliest_window_ = window;
  ++counters_.sightings_opened;
  Open& ref = *o;
  open_.emplace(hash, std::move(o));
  return ref;
}

void SightingAggregator::on_match(const rules::MatchedIndicator& indicator,
                                  const Observation& observation) {
  ++counters_.matches;
  const rules::TimeUs ts = clamp_time(observation.ts);
  advance(ts);
  const std::int64_t window = window_index(ts);
  const std::uint64_t hash = key_hash(indicator.id(), observation.device, window);
  Open* o = find(hash, indicator.id(), observation.device, window);
  if (o == nullptr) {
    if (open_.size() >= options_.max_open_sightings) {
      ++counters_.matches_dropped_open_cap;
      return;
    }
    o = &open(hash, indicator, observation, window);
    o->sighting.first_seen = o->sighting.last_seen = ts;
  }
  record(o->sighting, observation, ts);
}

void SightingAggregator::record(Sighting& s, const Observation& obs, rules::TimeUs ts) {
  ++s.count;
  s.first_seen = std::min(s.first_seen, ts);
  s.last_seen = std::max(s.last_seen, ts);
  const auto kind = static_cast<unsigned>(obs.kind);
  if (kind < rules::kObservationKindCount) s.seen_in |= 1u << kind;
  const auto dir = static_cast<unsigned>(obs.direction);
  if (dir < 8) s.directions = static_cast<std::uint8_t>(s.directions | (1u << dir));
  if (!obs.app_proto.empty() && s.app_protos.size() < Sighting::kMaxAppProtos &&
      std::find(s.app_protos.begin(), s.app_protos.end(), obs.app_proto) == s.app_protos.end() &&
      obs.app_proto.size() <= 64 && is_valid_utf8(obs.app_proto))
    s.app_protos.emplace_back(obs.app_proto);
  record_observables(s, obs);
}

void SightingAggregator::record_observables(Sighting& s, const Observation& obs) {
  Candidate c[kMaxCandidates];
  std::size_t n = 0;

  const auto omit = [&] {
    ++s.observables_omitted;
    ++counters_.observables_omitted;
  };
  // Text observables are normalised into a scratch string only when needed (domain names
  // lowercased, RFC 4343; URLs percent-encoded, RFC 3986 §2.1); the usual value is used in
  // place. Names that are not hostnames, and values too long, are omitted.
  const auto text = [&](ObservableType type, std::string_view v) {
    if (n == kMaxCandidates) return;
    if (type == ObservableType::domain_name && !v.empty() && v.back() == '.') v.remove_suffix(1);
    if (v.empty()) return;
    // Usual case: the value was seen before in its normalised form; nothing to do.
    for (const Observable& o : s.observables)
      if (o.type == type && o.value == v) return;
    if (v.size() > kMaxObservableBytes) return omit();
    std::string& buf = scratch_[n];
    if (type == ObservableType::domain_name) {
      if (std::any_of(v.begin(), v.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; })) {
        buf.assign(v.data(), v.size());
        for (char& ch : buf)
          if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        v = buf;
      }
      if (!is_hostname(v)) return omit();
    } else if (url_needs_escaping(v)) {
      buf.clear();
      append_escaped_url(buf, v);
      if (buf.size() > kMaxObservableBytes) return omit();
      v = buf;
    }
    c[n].type = type;
    c[n].value = v;
    ++n;
  };
  // Addresses of the local side (the device itself) are never reported as observables, and
  // neither is anything of traffic between two LAN hosts.
  const bool internal = obs.direction == rules::Direction::internal;
  const auto address = [&](const IpAddress& ip) {
    if (n == kMaxCandidates || ip.empty() || internal || ip == obs.local) return;
    if (obs.device.kind == Device::Kind::ip && ip == obs.device.ip) return;
    c[n].type = ip.family == 4 ? ObservableType::ipv4_addr : ObservableType::ipv6_addr;
    c[n].ip = ip;
    ++n;
  };
  const auto address_or_name = [&](std::string_view v) {
    IpAddress ip;
    std::string_view bare = v;
    if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']')
      bare = bare.substr(1, bare.size() - 2);
    if (rules::parse_ip(bare, ip))
      address(ip);
    else
      text(ObservableType::domain_name, v);
  };
  const auto digest = [&](ObservableType type, HashAlgorithm h, std::string_view v) {
    if (n == kMaxCandidates || v.size() != digest_hex_length(h) || !is_hex(v)) return;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const char ch = v[i];
      c[n].digest[i] = ch >= 'A' && ch <= 'F' ? static_cast<char>(ch - 'A' + 'a') : ch;
    }
    c[n].type = type;
    c[n].hash = h;
    c[n].value = std::string_view(c[n].digest, v.size());
    ++n;
  };

  switch (obs.kind) {
    case ObservationKind::dns_query:
    case ObservationKind::tls_sni:
    case ObservationKind::quic_sni: text(ObservableType::domain_name, obs.value); break;
    case ObservationKind::dns_answer:
      address_or_name(obs.value);
      text(ObservableType::domain_name, obs.context);
      break;
    case ObservationKind::http_host: address_or_name(obs.value); break;
    case ObservationKind::http_url:
      text(ObservableType::url, options_.keep_query ? obs.value : strip_url_query(obs.value));
      break;
    case ObservationKind::x509_sha1:
      digest(ObservableType::x509_certificate, HashAlgorithm::sha1, obs.value);
      break;
    case ObservationKind::src_ip:
    case ObservationKind::dst_ip: {
      IpAddress ip;
      if (rules::parse_ip(obs.value, ip)) address(ip);
      if (obs.kind == ObservationKind::dst_ip) text(ObservableType::domain_name, obs.context);
      break;
    }
    default: {
      const HashAlgorithm h = body_hash_algorithm(obs.kind);
      if (h != HashAlgorithm::none) digest(ObservableType::file, h, obs.value);
      break;
    }
  }
  // The flow that carried the observation (STIX 2.1 §6.12): the remote end only, so the
  // device's own address never leaves the sensor outside the pseudonymised extension.
  std::size_t traffic = kMaxCandidates;
  if (!obs.remote.empty() && !internal && n + 2 <= kMaxCandidates) {
    address(obs.remote);
    traffic = n;
    c[n].type = ObservableType::network_traffic;
    c[n].ip = obs.remote;
    c[n].port = obs.remote_port;
    c[n].l4_proto = obs.l4_proto;
    c[n].remote_is_source = obs.direction == rules::Direction::inbound;
    ++n;
  }

  for (std::size_t i = 0; i < n; ++i) {
    if (i == traffic) {
      // network-traffic refers to its address object, so keep it only beside that object.
      const bool has_address = std::any_of(
          s.observables.begin(), s.observables.end(), [&](const Observable& o) {
            return (o.type == ObservableType::ipv4_addr || o.type == ObservableType::ipv6_addr) &&
                   o.ip == c[i].ip;
          });
      if (!has_address) {
        omit();
        continue;
      }
    }
    keep_observable(s, c[i]);
  }
}

bool SightingAggregator::keep_observable(Sighting& s, const Candidate& c) {
  for (const Observable& o : s.observables)
    if (c.same_as(o)) return true;
  if (s.observables.size() >= options_.max_observables_per_sighting) {
    ++s.observables_omitted;
    ++counters_.observables_omitted;
    return false;
  }
  Observable& o = s.observables.emplace_back();
  o.type = c.type;
  o.value.assign(c.value.data(), c.value.size());
  o.hash = c.hash;
  o.ip = c.ip;
  o.port = c.port;
  o.l4_proto = c.l4_proto;
  o.remote_is_source = c.remote_is_source;
  return true;
}

void SightingAggregator::advance(rules::TimeUs now) {
  now = clamp_time(now);
  if (!clock_set_ || now > clock_) {
    clock_ = now;
    clock_set_ = true;
  }
  if (open_.empty()) return;
  const std::int64_t current = window_index(now);
  if (current <= earliest_window_) return;  // now < end of the earliest open window
  close_windows(current - 1, false);
}

void SightingAggregator::flush() {
  if (open_.empty()) return;
  close_windows(std::numeric_limits<std::int64_t>::max(), true);
}

void SightingAggregator::close_windows(std::int64_t last_window, bool at_flush) {
  std::map<std::int64_t, ClosedWindow> batches;
  std::int64_t earliest = std::numeric_limits<std::int64_t>::max();
  for (auto it = open_.begin(); it != open_.end();) {
    Open& o = *it->second;
    if (o.window <= last_window) {
      batches[o.window].sightings.push_back(std::move(o.sighting));
      it = open_.erase(it);
    } else {
      earliest = std::min(earliest, o.window);
      ++it;
    }
  }
  earliest_window_ = earliest;
  for (auto& [window, batch] : batches) {
    batch.start = window * options_.window_us;
    batch.end = batch.start + options_.window_us;
    batch.closed_at = at_flush && clock_set_ ? std::min(batch.end, clock_) : batch.end;
    for (const Sighting& s : batch.sightings)
      batch.closed_at = std::max(batch.closed_at, s.last_seen);
    std::sort(batch.sightings.begin(), batch.sightings.end(),
              [](const Sighting& a, const Sighting& b) {
                if (a.indicator_id != b.indicator_id) return a.indicator_id < b.indicator_id;
                return device_less(a.device, b.device);
              });
    ++counters_.windows_closed;
    counters_.sightings_closed += batch.sightings.size();
    sink_(std::move(batch));
  }
}

}  // namespace outpost::agent
