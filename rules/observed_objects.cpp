#include "rules/observed_objects.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "rules/time.h"

namespace outpost::rules {

namespace {

using K = ObservationKind;
constexpr std::uint32_t bits(std::initializer_list<K> kinds) {
  std::uint32_t b = 0;
  for (K k : kinds) b |= kind_bit(k);
  return b;
}
constexpr std::uint32_t kNames = bits({K::dns_query, K::tls_sni, K::quic_sni, K::http_host, K::dns_answer});
constexpr std::uint32_t kAddresses = bits({K::src_ip, K::dst_ip, K::dns_answer});
constexpr std::uint32_t kFiles = bits({K::http_file_sha256, K::http_file_md5, K::http_file_sha1, K::http_upload_sha256,
                                       K::http_upload_md5, K::http_upload_sha1});
// A flow's network-traffic object is in every observation of the flow; scanning it once per
// flow is enough, on the ip_port observation (one per flow and remote end).
constexpr std::uint32_t kFlow = bits({K::ip_port});

struct Property {
  std::string_view type;
  std::string_view path;  // keys joined by '.', any list index as [*]
  std::uint32_t kinds;
};

constexpr Property kProperties[] = {
    {"domain-name", "value", kNames},
    {"domain-name", "resolves_to_refs[*].value", bits({K::dns_answer})},
    {"domain-name", "resolves_to_refs[*].type", bits({K::dns_answer})},
    {"ipv4-addr", "value", kAddresses},
    {"ipv6-addr", "value", kAddresses},
    {"url", "value", bits({K::http_url})},
    {"network-traffic", "src_ref.value", kFlow},
    {"network-traffic", "dst_ref.value", kFlow},
    {"network-traffic", "src_ref.type", kFlow},
    {"network-traffic", "dst_ref.type", kFlow},
    {"network-traffic", "src_port", kFlow},
    {"network-traffic", "dst_port", kFlow},
    {"network-traffic", "protocols[*]", kFlow},
    {"network-traffic", "x_ja3", bits({K::ja3})},
    {"network-traffic", "x_ja3s", bits({K::ja3s})},
    {"network-traffic", "x_ja4", bits({K::ja4})},
    {"network-traffic", "extensions.http-request-ext.request_header.User-Agent", bits({K::http_user_agent})},
    {"network-traffic", "extensions.http-request-ext.request_header.Host", bits({K::http_host})},
    {"network-traffic", "extensions.http-request-ext.request_value", bits({K::http_url})},
    {"file", "hashes.MD5", kFiles},
    {"file", "hashes.SHA-1", kFiles},
    {"file", "hashes.SHA-256", kFiles},
    {"file", "name", kFiles},
    {"file", "size", kFiles},
    {"file", "mime_type", kFiles},
    {"x509-certificate", "hashes.SHA-1", bits({K::x509_sha1})},
    {"x509-certificate", "hashes.SHA-256", bits({K::x509_sha1})},
    {"x509-certificate", "serial_number", bits({K::x509_sha1})},
    {"x509-certificate", "subject", bits({K::x509_sha1})},
    {"x509-certificate", "issuer", bits({K::x509_sha1})},
    {"x509-certificate", "validity_not_before", bits({K::x509_sha1})},
    {"x509-certificate", "validity_not_after", bits({K::x509_sha1})},
    {"x509-certificate", "is_self_signed", bits({K::x509_sha1})},
};

std::string_view protocol_name(std::uint8_t l4) {
  switch (l4) {
    case 1: return "icmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 58: return "ipv6-icmp";
    case 132: return "sctp";
    default: return {};
  }
}

std::string_view address_type(const IpAddress& a) { return a.family == 6 ? "ipv6-addr" : "ipv4-addr"; }

}  // namespace

std::uint32_t observable_kinds(const stix::ObjectPath& path) noexcept {
  char buf[256];
  std::size_t n = 0;
  for (const stix::PathStep& s : path.steps) {
    std::string_view piece = s.kind == stix::PathStep::Kind::key ? std::string_view(s.key) : std::string_view("[*]");
    const bool dot = n > 0 && s.kind == stix::PathStep::Kind::key;
    if (n + piece.size() + 1 > sizeof buf) return 0;
    if (dot) buf[n++] = '.';
    std::memcpy(buf + n, piece.data(), piece.size());
    n += piece.size();
  }
  const std::string_view p(buf, n);
  for (const Property& prop : kProperties)
    if (prop.type == path.object_type && prop.path == p) return prop.kinds;
  return 0;
}

void ObservedObjects::build(const Observation& o) {
  tree_.clear();
  std::size_t count = 0;
  auto add_root = [&](std::string_view id, std::string_view type) {
    const stix::NodeId node = tree_.add_object(stix::kNone, {});
    tree_.add_string(node, "type", type);
    if (count < kMaxObjects) pool_[count++] = stix::PoolObject{node, id};
    return node;
  };
  auto address_object = [&](std::string_view id, const IpAddress& a) {
    char text[48];
    const std::size_t len = format_ip(a, text);
    const stix::NodeId node = add_root(id, address_type(a));
    tree_.add_string(node, "value", tree_.own(std::string_view(text, len)));
  };
  auto timestamp = [&](TimeUs t) {
    // Whole seconds as feeds write them ("2021-04-12T19:00:00Z"), else with microseconds.
    const std::int64_t secs = t >= 0 ? t / 1000000 : -((-t + 999999) / 1000000);
    const std::int64_t us = t - secs * 1000000;
    std::int64_t y;
    unsigned m, d;
    civil_from_days(secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400), y, m, d);
    const std::int64_t day_s = secs - (secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400)) * 86400;
    char text[40];
    int n = std::snprintf(text, sizeof text, "%04lld-%02u-%02uT%02d:%02d:%02d", static_cast<long long>(y), m, d,
                          static_cast<int>(day_s / 3600), static_cast<int>(day_s / 60 % 60), static_cast<int>(day_s % 60));
    n += us != 0 ? std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n), ".%06lldZ", static_cast<long long>(us))
                 : std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n), "Z");
    return tree_.own(std::string_view(text, static_cast<std::size_t>(n)));
  };

  // The flow: who initiated it is src (STIX 2.1 §6.12); `local` is the initiator unless the
  // flow came in from outside.
  stix::NodeId flow = stix::kNone, http = stix::kNone;
  if (o.remote.family != 0 && o.local.family != 0) {
    const bool inbound = o.direction == Direction::inbound;
    const IpAddress& src = inbound ? o.remote : o.local;
    const IpAddress& dst = inbound ? o.local : o.remote;
    flow = add_root("flow", "network-traffic");
    tree_.add_string(flow, "src_ref", "src");
    tree_.add_string(flow, "dst_ref", "dst");
    const std::uint16_t sport = inbound ? o.remote_port : o.local_port;
    const std::uint16_t dport = inbound ? o.local_port : o.remote_port;
    if (sport != 0) tree_.add_integer(flow, "src_port", sport);
    if (dport != 0) tree_.add_integer(flow, "dst_port", dport);
    const stix::NodeId protocols = tree_.add_list(flow, "protocols");
    tree_.add_string(protocols, {}, src.family == 6 ? "ipv6" : "ipv4");
    if (!protocol_name(o.l4_proto).empty()) tree_.add_string(protocols, {}, protocol_name(o.l4_proto));
    if (!o.app_proto.empty()) {
      // nDPI writes "TLS.Google": the protocol is the part before the dot, in lowercase.
      const std::string_view master = o.app_proto.substr(0, std::min<std::size_t>(o.app_proto.find('.'), 31));
      char app[32];
      for (std::size_t i = 0; i < master.size(); ++i)
        app[i] = (master[i] >= 'A' && master[i] <= 'Z') ? static_cast<char>(master[i] + 32) : master[i];
      const std::string_view name(app, master.size());
      if (!name.empty() && name != "unknown") tree_.add_string(protocols, {}, tree_.own(name));
    }
    address_object("src", src);
    address_object("dst", dst);
  }
  auto http_request = [&]() {
    if (flow == stix::kNone) return stix::kNone;
    if (http == stix::kNone) {
      const stix::NodeId ext = tree_.add_object(flow, "extensions");
      http = tree_.add_object(ext, "http-request-ext");
    }
    return http;
  };

  switch (o.kind) {
    case K::dns_query:
    case K::tls_sni:
    case K::quic_sni:
    case K::http_host: {
      const stix::NodeId name = add_root("name", "domain-name");
      tree_.add_string(name, "value", o.value);
      if (o.kind == K::http_host) {
        const stix::NodeId h = http_request();
        if (h != stix::kNone) tree_.add_string(tree_.add_object(h, "request_header"), "Host", o.value);
      }
      break;
    }
    case K::dns_answer: {
      const stix::NodeId name = add_root("name", "domain-name");
      tree_.add_string(name, "value", o.context);
      tree_.add_string(tree_.add_list(name, "resolves_to_refs"), {}, "answer");
      if (o.address.family != 0) {
        address_object("answer", o.address);
      } else {
        IpAddress a;
        if (parse_ip(o.value, a)) {
          address_object("answer", a);
        } else {
          const stix::NodeId target = add_root("answer", "domain-name");
          tree_.add_string(target, "value", o.value);
        }
      }
      break;
    }
    case K::src_ip:
    case K::dst_ip: {
      IpAddress a = o.address;
      if (a.family != 0 || parse_ip(o.value, a)) address_object("address", a);
      break;
    }
    case K::http_url: {
      const stix::NodeId url = add_root("url", "url");
      tree_.add_string(url, "value", o.value);
      const std::size_t scheme = o.value.find("://");
      const std::size_t path = scheme == std::string_view::npos ? std::string_view::npos : o.value.find('/', scheme + 3);
      const stix::NodeId h = http_request();
      if (h != stix::kNone && path != std::string_view::npos) tree_.add_string(h, "request_value", o.value.substr(path));
      break;
    }
    case K::http_user_agent: {
      const stix::NodeId h = http_request();
      if (h != stix::kNone) tree_.add_string(tree_.add_object(h, "request_header"), "User-Agent", o.value);
      break;
    }
    case K::ja3:
    case K::ja3s:
    case K::ja4:
      if (flow != stix::kNone)
        tree_.add_string(flow, o.kind == K::ja3 ? "x_ja3" : o.kind == K::ja3s ? "x_ja3s" : "x_ja4", o.value);
      break;
    case K::x509_sha1: {
      const stix::NodeId cert = add_root("certificate", "x509-certificate");
      const stix::NodeId hashes = tree_.add_object(cert, "hashes");
      tree_.add_string(hashes, "SHA-1", o.value);
      if (const CertificateFacts* c = o.certificate) {
        if (!c->sha256.empty()) tree_.add_string(hashes, "SHA-256", c->sha256);
        if (!c->serial_number.empty()) tree_.add_string(cert, "serial_number", c->serial_number);
        if (!c->subject.empty()) tree_.add_string(cert, "subject", c->subject);
        if (!c->issuer.empty()) tree_.add_string(cert, "issuer", c->issuer);
        if (c->not_before != kNoFactTime) tree_.add_string(cert, "validity_not_before", timestamp(c->not_before));
        if (c->not_after != kNoFactTime) tree_.add_string(cert, "validity_not_after", timestamp(c->not_after));
        if (c->self_signed >= 0) tree_.add_bool(cert, "is_self_signed", c->self_signed == 1);
      }
      break;
    }
    case K::http_file_sha256:
    case K::http_file_md5:
    case K::http_file_sha1:
    case K::http_upload_sha256:
    case K::http_upload_md5:
    case K::http_upload_sha1: {
      const stix::NodeId file = add_root("file", "file");
      const stix::NodeId hashes = tree_.add_object(file, "hashes");
      const FileFacts* f = o.file;
      const bool md5 = o.kind == K::http_file_md5 || o.kind == K::http_upload_md5;
      const bool sha1 = o.kind == K::http_file_sha1 || o.kind == K::http_upload_sha1;
      const std::string_view v_md5 = f != nullptr && !f->md5.empty() ? f->md5 : md5 ? o.value : std::string_view();
      const std::string_view v_sha1 = f != nullptr && !f->sha1.empty() ? f->sha1 : sha1 ? o.value : std::string_view();
      const std::string_view v_sha256 =
          f != nullptr && !f->sha256.empty() ? f->sha256 : !md5 && !sha1 ? o.value : std::string_view();
      if (!v_md5.empty()) tree_.add_string(hashes, "MD5", v_md5);
      if (!v_sha1.empty()) tree_.add_string(hashes, "SHA-1", v_sha1);
      if (!v_sha256.empty()) tree_.add_string(hashes, "SHA-256", v_sha256);
      if (f != nullptr) {
        if (!f->name.empty()) tree_.add_string(file, "name", f->name);
        if (f->size >= 0) tree_.add_integer(file, "size", f->size);
        if (!f->mime_type.empty()) tree_.add_string(file, "mime_type", f->mime_type);
      }
      break;
    }
    default: break;
  }
  data_.first_observed = data_.last_observed = o.ts;
  data_.number_observed = 1;
  data_.objects = pool_;
  data_.object_count = count;
}

}  // namespace outpost::rules
