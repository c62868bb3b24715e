#include "agent/report/stix_bundle_writer.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "rules/rapidjson.h"
#include "agent/report/utf8.h"
#include "rules/stix/stix_id.h"
#include "rules/time.h"

namespace outpost::agent {

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// created/modified of the fixed objects (identities, extension-definition): their content
// never changes, so neither does their version timestamp.
constexpr std::string_view kFixedObjectsTime = "2025-01-01T00:00:00.000Z";
constexpr std::string_view kExtensionVersion = "1.0.0";

// STIX 2.1 §5.7 count and §4.9 number_observed upper bound.
constexpr std::uint64_t kMaxCount = 999999999;

// The normative text of the property extension (STIX 2.1 §7.3 allows plain text in `schema`).
constexpr std::string_view kExtensionSchema =
    "Outpost sighting context, a property-extension of sighting. Properties: "
    "seen_in (list of string, required): Outpost observation kinds the matches came from "
    "(dns_query, dns_answer, tls_sni, quic_sni, http_host, http_url, http_user_agent, ja3, ja3s, "
    "ja4, x509_sha1, src_ip, dst_ip, ip_port, http_file_sha256, http_file_md5, http_file_sha1, "
    "http_upload_sha256, http_upload_md5, http_upload_sha1); "
    "app_protos (list of string): application protocols of the flows, as classified by the "
    "sensor; "
    "directions (list of string): outbound, inbound, internal or external, relative to the "
    "sensor's LAN prefixes; "
    "device (string): the LAN device, as dev- followed by 24 hex digits of a keyed HMAC-SHA256 "
    "pseudonym stable per sensor key, or its MAC or IP address when the sensor is configured "
    "to report raw devices; "
    "indicator_source (object: kind = bundle, list or collection; name; version): where the "
    "sighted indicator was loaded from; "
    "indicator_confidence (integer 0-100): the indicator's confidence; "
    "matched_term (string): the indicator value that matched; "
    "observables_omitted (integer): observable occurrences left out of the observed-data "
    "because of the per-sighting bound. URLs are reported without query and fragment unless "
    "the sensor is configured otherwise.";

std::string_view source_kind_name(rules::IndicatorSource::Kind k) noexcept {
  switch (k) {
    case rules::IndicatorSource::Kind::bundle: return "bundle";
    case rules::IndicatorSource::Kind::list: return "list";
    case rules::IndicatorSource::Kind::collection: return "collection";
  }
  return "bundle";
}

// Lowercase protocol names for network-traffic `protocols` (§6.12: IANA service names or
// protocol keywords, outermost first). Unknown IP protocols are left out.
std::string_view l4_protocol_name(std::uint8_t proto) noexcept {
  switch (proto) {
    case 1: return "icmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 33: return "dccp";
    case 47: return "gre";
    case 50: return "esp";
    case 51: return "ah";
    case 58: return "ipv6-icmp";
    case 132: return "sctp";
    case 136: return "udplite";
    default: return {};
  }
}

void str(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void key(JsonWriter& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
void member(JsonWriter& w, std::string_view k, std::string_view v) {
  key(w, k);
  str(w, v);
}

void common(JsonWriter& w, std::string_view type, std::string_view id) {
  member(w, "type", type);
  member(w, "spec_version", "2.1");
  member(w, "id", id);
}

// A JCS (RFC 8785) array of strings: an unambiguous name for UUIDv5.
std::string jcs_array(std::initializer_list<std::string_view> items) {
  std::string out = "[";
  bool first = true;
  for (const std::string_view s : items) {
    if (!first) out.push_back(',');
    first = false;
    rules::append_jcs_string(out, s);
  }
  out.push_back(']');
  return out;
}

std::string address_id(const rules::IpAddress& ip) {
  char buf[46];
  const std::size_t n = rules::format_ip(ip, buf);
  return rules::sco_id_for_value(ip.family == 6 ? "ipv6-addr" : "ipv4-addr",
                                 std::string_view(buf, n));
}

void protocols(JsonWriter& w, const Observable& o) {
  w.StartArray();
  str(w, o.ip.family == 6 ? "ipv6" : "ipv4");
  const std::string_view l4 = l4_protocol_name(o.l4_proto);
  if (!l4.empty()) str(w, l4);
  w.EndArray();
}

void write_observable(JsonWriter& w, const Observable& o, const std::string& id) {
  w.StartObject();
  common(w, observable_type_name(o.type), id);
  switch (o.type) {
    case ObservableType::domain_name:
    case ObservableType::url: member(w, "value", o.value); break;
    case ObservableType::ipv4_addr:
    case ObservableType::ipv6_addr: member(w, "value", observable_address(o)); break;
    case ObservableType::x509_certificate:
    case ObservableType::file:
      key(w, "hashes");
      w.StartObject();
      member(w, hash_algorithm_name(o.hash), o.value);
      w.EndObject();
      break;
    case ObservableType::network_traffic: {
      // Only the remote end: the LAN side is the device, which stays pseudonymous.
      const std::string_view side = o.remote_is_source ? "src" : "dst";
      member(w, std::string(side) + "_ref", address_id(o.ip));
      if (o.port != 0) {
        key(w, std::string(side) + "_port");
        w.Uint(o.port);
      }
      key(w, "protocols");
      protocols(w, o);
      break;
    }
  }
  w.EndObject();
}

// The Outpost project identity and the extension-definition it created (§7.3).
void write_producer_objects(JsonWriter& w) {
  w.StartObject();
  common(w, "identity", StixBundleWriter::producer_identity_id());
  member(w, "created", kFixedObjectsTime);
  member(w, "modified", kFixedObjectsTime);
  member(w, "name", "Outpost");
  member(w, "description", "The Outpost threat-intel sensor project");
  member(w, "identity_class", "organization");
  w.EndObject();

  w.StartObject();
  common(w, "extension-definition", StixBundleWriter::extension_definition_id());
  member(w, "created_by_ref", StixBundleWriter::producer_identity_id());
  member(w, "created", kFixedObjectsTime);
  member(w, "modified", kFixedObjectsTime);
  member(w, "name", "outpost-sighting-context");
  member(w, "description",
         "Where and how an Outpost sensor saw the sighted indicator: observation kinds, "
         "protocols, direction, pseudonymised device, indicator source.");
  member(w, "schema", kExtensionSchema);
  member(w, "version", kExtensionVersion);
  key(w, "extension_types");
  w.StartArray();
  str(w, "property-extension");
  w.EndArray();
  w.EndObject();
}

void write_static_objects(JsonWriter& w, const std::string& identity_id,
                          const std::string& sensor_name, bool with_extension_definition) {
  w.StartObject();
  common(w, "identity", identity_id);
  member(w, "created", kFixedObjectsTime);
  member(w, "modified", kFixedObjectsTime);
  member(w, "name", sensor_name);
  member(w, "identity_class", "system");
  w.EndObject();
  if (with_extension_definition) write_producer_objects(w);
}

void string_list(JsonWriter& w, const std::vector<std::string>& items) {
  w.StartArray();
  for (const std::string& s : items) str(w, s);
  w.EndArray();
}

}  // namespace

std::string observable_address(const Observable& o) {
  char buf[46];
  const std::size_t n = rules::format_ip(o.ip, buf);
  return std::string(buf, n);
}

std::string observable_id(const Observable& o) {
  const std::string_view type = observable_type_name(o.type);
  switch (o.type) {
    case ObservableType::domain_name:
    case ObservableType::url: return rules::sco_id_for_value(type, o.value);
    case ObservableType::ipv4_addr:
    case ObservableType::ipv6_addr: return address_id(o.ip);
    case ObservableType::x509_certificate:
    case ObservableType::file: {
      std::string json = "{\"hashes\":{";
      rules::append_jcs_string(json, hash_algorithm_name(o.hash));
      json.push_back(':');
      rules::append_jcs_string(json, o.value);
      json += "}}";
      return rules::sco_id(type, json);
    }
    case ObservableType::network_traffic: {
      // JCS orders members by key (RFC 8785 §3.2.3): dst_port < dst_ref < protocols, and
      // protocols < src_port < src_ref.
      std::string ports;
      if (o.port != 0) ports = std::to_string(o.port);
      std::string protos = "[\"";
      protos += o.ip.family == 6 ? "ipv6" : "ipv4";
      protos += '"';
      const std::string_view l4 = l4_protocol_name(o.l4_proto);
      if (!l4.empty()) {
        protos += ",\"";
        protos += l4;
        protos += '"';
      }
      protos += ']';
      std::string ref;
      rules::append_jcs_string(ref, address_id(o.ip));
      std::string json = "{";
      if (o.remote_is_source) {
        json += "\"protocols\":" + protos;
        if (!ports.empty()) json += ",\"src_port\":" + ports;
        json += ",\"src_ref\":" + ref;
      } else {
        if (!ports.empty()) json += "\"dst_port\":" + ports + ",";
        json += "\"dst_ref\":" + ref;
        json += ",\"protocols\":" + protos;
      }
      json += '}';
      return rules::sco_id(type, json);
    }
  }
  return {};
}

std::string StixBundleWriter::extension_definition_objects() {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartArray();
  write_producer_objects(w);
  w.EndArray();
  return std::string(sb.GetString(), sb.GetSize());
}

const std::string& StixBundleWriter::extension_definition_id() {
  static const std::string id =
      rules::outpost_id("extension-definition", jcs_array({"extension-definition",
                                                           "outpost-sighting-context"}));
  return id;
}

const std::string& StixBundleWriter::producer_identity_id() {
  static const std::string id =
      rules::outpost_id("identity", jcs_array({"identity", "outpost-project"}));
  return id;
}

StixBundleWriter::StixBundleWriter(const ReportOptions& options, const PseudonymKey* key)
    : options_(options), key_(key) {
  if (key_ == nullptr && !options_.raw_device)
    throw std::invalid_argument("sighting output needs a pseudonym key unless raw devices are on");
  append_valid_utf8(sensor_name_, options_.sensor_name);
  identity_id_ = rules::outpost_id("identity", jcs_array({"identity", sensor_name_}));
}

std::string StixBundleWriter::device_label(const rules::Device& device) const {
  return agent::device_label(device, key_, options_.raw_device);
}

std::string StixBundleWriter::object_name(std::string_view type, const Sighting& s) const {
  const std::string device = device_label(s.device);
  const std::string start = rules::format_timestamp(s.window_start);
  return jcs_array({type, sensor_name_, s.indicator_id, device, start});
}

std::string StixBundleWriter::sighting_id(const Sighting& s) const {
  return rules::outpost_id("sighting", object_name("sighting", s));
}

std::string StixBundleWriter::observed_data_id(const Sighting& s) const {
  return rules::outpost_id("observed-data", object_name("observed-data", s));
}

std::string StixBundleWriter::bundle(const ClosedWindow& window) const {
  const std::string created = rules::format_timestamp(window.closed_at);

  // The bundle id names the window and its content, so the same window written twice with
  // the same sightings gets the same id.
  std::string bundle_name = "[\"bundle\",";
  rules::append_jcs_string(bundle_name, sensor_name_);
  bundle_name += ',';
  rules::append_jcs_string(bundle_name, rules::format_timestamp(window.start));
  bundle_name += ',';
  rules::append_jcs_string(bundle_name, created);

  std::vector<std::string> sighting_ids;
  sighting_ids.reserve(window.sightings.size());
  for (const Sighting& s : window.sightings) {
    sighting_ids.push_back(sighting_id(s));
    bundle_name += ',';
    rules::append_jcs_string(bundle_name, sighting_ids.back());
    bundle_name += ',' + std::to_string(s.count);
  }
  bundle_name += ']';

  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  member(w, "type", "bundle");
  member(w, "id", rules::outpost_id("bundle", bundle_name));
  key(w, "objects");
  w.StartArray();
  write_static_objects(w, identity_id_, sensor_name_, options_.embed_extension_definition);

  std::set<std::string> written_scos;
  std::vector<std::string> sco_ids;
  for (std::size_t i = 0; i < window.sightings.size(); ++i) {
    const Sighting& s = window.sightings[i];
    const std::string device = device_label(s.device);
    const std::string od_id = observed_data_id(s);
    const bool has_observed_data = !s.observables.empty();
    const std::uint64_t count = std::min(s.count, kMaxCount);

    // STIX 2.1 §5.7 sighting.
    w.StartObject();
    common(w, "sighting", sighting_ids[i]);
    member(w, "created_by_ref", identity_id_);
    member(w, "created", created);
    member(w, "modified", created);
    member(w, "first_seen", rules::format_timestamp(s.first_seen));
    member(w, "last_seen", rules::format_timestamp(s.last_seen));
    key(w, "count");
    w.Uint64(count);
    member(w, "sighting_of_ref", s.indicator_id);
    if (has_observed_data) {
      key(w, "observed_data_refs");
      w.StartArray();
      str(w, od_id);
      w.EndArray();
    }
    key(w, "where_sighted_refs");
    w.StartArray();
    str(w, identity_id_);
    w.EndArray();
    if (!s.marking_refs.empty()) {
      key(w, "object_marking_refs");
      string_list(w, s.marking_refs);
    }
    key(w, "extensions");
    w.StartObject();
    key(w, extension_definition_id());
    w.StartObject();
    member(w, "extension_type", "property-extension");
    key(w, "seen_in");
    w.StartArray();
    for (std::size_t k = 0; k < rules::kObservationKindCount; ++k)
      if (s.seen_in & (1u << k)) str(w, rules::observation_kind_name(static_cast<rules::ObservationKind>(k)));
    w.EndArray();
    if (!s.app_protos.empty()) {
      key(w, "app_protos");
      string_list(w, s.app_protos);
    }
    if (s.directions != 0) {
      key(w, "directions");
      w.StartArray();
      for (unsigned d = 0; d < 4; ++d)
        if (s.directions & (1u << d)) str(w, rules::direction_name(static_cast<rules::Direction>(d)));
      w.EndArray();
    }
    if (!device.empty()) member(w, "device", device);
    key(w, "indicator_source");
    w.StartObject();
    member(w, "kind", source_kind_name(s.source.kind));
    if (!s.source.name.empty()) member(w, "name", s.source.name);
    if (!s.source.version.empty()) member(w, "version", s.source.version);
    w.EndObject();
    if (s.confidence >= 0) {
      key(w, "indicator_confidence");
      w.Int(s.confidence);
    }
    if (!s.matched_term.empty()) member(w, "matched_term", s.matched_term);
    if (s.observables_omitted != 0) {
      key(w, "observables_omitted");
      w.Uint(s.observables_omitted);
    }
    w.EndObject();
    w.EndObject();
    w.EndObject();

    if (!has_observed_data) continue;
    sco_ids.clear();
    for (const Observable& o : s.observables) sco_ids.push_back(observable_id(o));

    // STIX 2.1 §4.9 observed-data: the same window and count as the sighting.
    w.StartObject();
    common(w, "observed-data", od_id);
    member(w, "created_by_ref", identity_id_);
    member(w, "created", created);
    member(w, "modified", created);
    member(w, "first_observed", rules::format_timestamp(s.first_seen));
    member(w, "last_observed", rules::format_timestamp(s.last_seen));
    key(w, "number_observed");
    w.Uint64(std::max<std::uint64_t>(count, 1));
    key(w, "object_refs");
    string_list(w, sco_ids);
    if (!s.marking_refs.empty()) {
      key(w, "object_marking_refs");
      string_list(w, s.marking_refs);
    }
    w.EndObject();

    for (std::size_t k = 0; k < s.observables.size(); ++k)
      if (written_scos.insert(sco_ids[k]).second) write_observable(w, s.observables[k], sco_ids[k]);
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace outpost::agent
