#include "capture/traffic_observer.h"

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "capture/proto/dns_message.h"
#include "capture/proto/dns_tcp_framer.h"
#include "capture/proto/dtls_handshake.h"
#include "capture/proto/http_request.h"
#include "capture/proto/quic_initial.h"
#include "capture/proto/tcp_sequence.h"
#include "capture/proto/tls_handshake.h"
#include "capture/reserved_array.h"
#include "capture/text.h"

namespace outpost::capture {

using rules::ObservationKind;
using K = rules::ObservationKind;

namespace {

constexpr std::uint32_t kNone = 0xFFFFFFFFu;
constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;
constexpr std::uint16_t kDnsPort = 53;
// Client payload packets we look at for a TLS ClientHello / an HTTP request before deciding
// the flow is neither (a flow picked up mid-stream, or another protocol).
constexpr std::uint8_t kProbePackets = 4;

// Fixed pool of parser states. The storage is reserved at construction and a slot is
// constructed the first time it is handed out, so memory becomes resident only for slots
// that have been busy at least once.
template <class T>
class StatePool {
 public:
  explicit StatePool(std::uint32_t n)
      : storage_(static_cast<T*>(::operator new(sizeof(T) * (n == 0 ? 1 : n)))), size_(n) {
    free_.reserve(n);
  }
  ~StatePool() {
    for (std::uint32_t i = 0; i < constructed_; ++i) storage_[i].~T();
    ::operator delete(storage_);
  }
  StatePool(const StatePool&) = delete;
  StatePool& operator=(const StatePool&) = delete;

  std::uint32_t acquire() noexcept {
    if (!free_.empty()) {
      const std::uint32_t i = free_.back();
      free_.pop_back();
      return i;
    }
    if (constructed_ == size_) return kNone;
    new (storage_ + constructed_) T();
    return constructed_++;
  }
  void release(std::uint32_t& i) noexcept {
    if (i == kNone) return;
    storage_[i].reset();
    free_.push_back(i);
    i = kNone;
  }
  T& operator[](std::uint32_t i) noexcept { return storage_[i]; }
  std::size_t bytes() const noexcept { return sizeof(T) * size_ + sizeof(std::uint32_t) * size_; }

 private:
  T* storage_;
  std::uint32_t size_;
  std::uint32_t constructed_ = 0;
  std::vector<std::uint32_t> free_;
};

struct HttpSlot {
  proto::TcpSequenceCursor cursor;
  proto::HttpRequestStream stream;
  void reset() noexcept {
    cursor.reset();
    stream.reset();
  }
};

struct DnsTcpSlot {
  proto::TcpSequenceCursor cursor[2];
  proto::DnsTcpFramer framer[2];
  void reset() noexcept {
    for (int d = 0; d < 2; ++d) {
      cursor[d].reset();
      framer[d].reset();
    }
  }
};

struct DtlsSlot {
  proto::DtlsConnection connection;
  void reset() noexcept { connection.reset(proto::DtlsCarrier::udp); }
};

// 64-bit fingerprint of (kind, value): FNV-1a then a murmur3 finaliser for better spread.
std::uint64_t fingerprint(ObservationKind kind, std::string_view value) noexcept {
  std::uint64_t h = 1469598103934665603ULL ^ static_cast<std::uint8_t>(kind);
  h *= 1099511628211ULL;
  for (const char c : value) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 1099511628211ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

std::uint32_t ips_signature(const PacketView& p) noexcept {
  std::uint32_t h = 2166136261u ^ p.ip_count;
  for (std::size_t i = 0; i < p.ip_count; ++i) {
    for (const auto* a : {&p.ips[i].src, &p.ips[i].dst}) {
      const std::size_t n = a->family == 4 ? 4 : 16;
      for (std::size_t j = 0; j < n; ++j) h = (h ^ a->bytes[j]) * 16777619u;
    }
  }
  return h;
}

bool looks_like_client_hello(const std::uint8_t* p, std::size_t n) noexcept {
  // RFC 8446 §5.1: handshake record (22), legacy version 3.x, then §4: ClientHello (1).
  return n >= 6 && p[0] == 0x16 && p[1] == 0x03 && p[5] == 0x01;
}

}  // namespace

struct FlowState {
  static constexpr std::uint8_t kIpsDone0 = 0x01;  // single-header packets seen per direction
  static constexpr std::uint8_t kIpsDone1 = 0x02;
  static constexpr std::uint8_t kTlsOff = 0x04;    // not TLS, or handshake finished
  static constexpr std::uint8_t kHttpOff = 0x08;
  static constexpr std::uint8_t kDnsTcpOff = 0x10;
  static constexpr std::uint8_t kQuicOff = 0x20;   // not QUIC (v1/v2/drafts), or hellos done
  static constexpr std::uint8_t kDtlsOff = 0x40;
  static constexpr std::uint8_t kQuicOurs = 0x80;  // our Initial reader handles this flow

  DpiFlowSlot dpi;
  rules::Device device;
  rules::IpAddress local, remote;
  std::uint16_t local_port = 0, remote_port = 0;
  rules::Direction direction = rules::Direction::external;
  std::uint8_t flags = 0;
  std::uint8_t tls_probes = 0, http_probes = 0, udp_probes = 0;
  std::uint32_t tls = kNone, http = kNone, dns_tcp = kNone, quic = kNone, dtls = kNone;
  std::uint32_t fp_head = kNone;
  std::uint16_t fp_chunks = 0;
  std::uint32_t ips_sig[2] = {0, 0};
};

struct TrafficObserver::Impl : proto::DnsVisitor, proto::TlsVisitor, proto::HttpVisitor {
  struct FingerprintChunk {
    static constexpr std::size_t kSlots = 7;
    std::uint64_t fp[kSlots];
    std::uint32_t next;
    std::uint32_t count;
  };
  struct DnsCacheEntry {  // all zero: empty
    rules::IpAddress address;
    std::uint32_t stamp;
    std::uint8_t length;
    char name[proto::kDnsMaxNameWire - 1];  // 253 characters: the longest name without escapes
  };
  static constexpr std::size_t kDnsCacheWays = 4;

  Impl(const TrafficObserverConfig& c, ObservationSink& s, FlowEndListener& listener)
      : config(c),
        sink(s),
        decoder(c.decoder),
        flows(flow_config(c)),
        states(flows.capacity()),
        tls_pool(c.max_tls_handshakes),
        http_pool(c.max_http_streams),
        dns_tcp_pool(c.max_dns_tcp_streams),
        quic_pool(c.max_quic_handshakes),
        dtls_pool(c.max_dtls_handshakes),
        chunks(c.fingerprint_chunks),
        dns_cache((c.dns_cache_entries + kDnsCacheWays - 1) / kDnsCacheWays * kDnsCacheWays),
        lan(c.lan.empty() ? LanPrefixes::defaults().prefixes() : c.lan) {
    flows.set_end_listener(&listener);
    dpi = DpiClassifier::create(c.dpi);
    if (!dpi) throw std::runtime_error("DPI engine could not be initialised");
    const auto& w = c.wanted;
    want_dns = w[idx(K::dns_query)] || w[idx(K::dns_answer)] || w[idx(K::dst_ip)];
    want_tls = w[idx(K::tls_sni)] || w[idx(K::ja3)] || w[idx(K::ja3s)] || w[idx(K::ja4)] ||
               w[idx(K::x509_sha1)];
    want_http = w[idx(K::http_host)] || w[idx(K::http_url)] || w[idx(K::http_user_agent)];
    want_ips = w[idx(K::src_ip)] || w[idx(K::dst_ip)];
    // JA4 costs two SHA-256 a ClientHello: only when something consumes it.
    want_ja4 = w[idx(K::ja4)];
  }

  static std::size_t idx(ObservationKind k) { return static_cast<std::size_t>(k); }
  static FlowTableConfig flow_config(const TrafficObserverConfig& c) {
    FlowTableConfig f = c.flows;
    f.caller_bytes_per_flow = sizeof(FlowState);
    return f;
  }

  bool lan_contains(const rules::IpAddress& a) const noexcept {
    for (const auto& p : lan)
      if (prefix_contains(p, a)) return true;
    return false;
  }

  // ---- fingerprints (once per (kind, value, flow)) ----

  // Returns true if (kind, value) is new for the chain (and remembers it when it can).
  bool remember(std::uint32_t& head, std::uint16_t& used, std::uint32_t max_chunks, std::uint64_t fp) noexcept {
    FingerprintChunk* last = nullptr;
    for (std::uint32_t i = head; i != kNone; i = chunks[i].next) {
      FingerprintChunk& c = chunks[i];
      for (std::uint32_t j = 0; j < c.count; ++j)
        if (c.fp[j] == fp) return false;
      last = &c;
    }
    if (last != nullptr && last->count < FingerprintChunk::kSlots) {
      last->fp[last->count++] = fp;
      return true;
    }
    if ((free_chunk == kNone && chunks_used == chunks.size()) || used >= max_chunks) {
      ++stats.fingerprints_untracked;
      return true;
    }
    std::uint32_t n;
    if (free_chunk != kNone) {
      n = free_chunk;
      free_chunk = chunks[n].next;
    } else {
      n = chunks_used++;
    }
    chunks[n].next = kNone;
    chunks[n].count = 1;
    chunks[n].fp[0] = fp;
    if (last != nullptr) last->next = n;
    else head = n;
    ++used;
    return true;
  }

  void forget(std::uint32_t& head, std::uint16_t& used) noexcept {
    while (head != kNone) {
      const std::uint32_t next = chunks[head].next;
      chunks[head].next = free_chunk;
      free_chunk = head;
      head = next;
    }
    used = 0;
  }

  // ---- DNS cache: address -> the name it was resolved from ----

  std::size_t cache_set(const rules::IpAddress& a) const noexcept {
    std::uint64_t h = 1469598103934665603ULL ^ a.family;
    const std::size_t n = a.family == 4 ? 4 : 16;
    for (std::size_t i = 0; i < n; ++i) h = (h ^ a.bytes[i]) * 1099511628211ULL;
    return static_cast<std::size_t>((h ^ (h >> 29)) % (dns_cache.size() / kDnsCacheWays)) * kDnsCacheWays;
  }

  void cache_put(const rules::IpAddress& a, std::string_view name) noexcept {
    if (dns_cache.size() == 0 || name.empty() || name.size() > sizeof(DnsCacheEntry::name)) return;
    const std::size_t base = cache_set(a);
    DnsCacheEntry* victim = &dns_cache[base];
    for (std::size_t w = 0; w < kDnsCacheWays; ++w) {
      DnsCacheEntry& e = dns_cache[base + w];
      if (e.length != 0 && e.address == a) {
        victim = &e;
        break;
      }
      if (e.length == 0 || e.stamp < victim->stamp) victim = &e;
    }
    if (victim->length != 0 && !(victim->address == a)) ++stats.dns_cache_evictions;
    victim->address = a;
    victim->stamp = ++cache_clock;
    std::memcpy(victim->name, name.data(), name.size());
    victim->length = static_cast<std::uint8_t>(name.size());
  }

  std::string_view cache_get(const rules::IpAddress& a) const noexcept {
    if (dns_cache.size() == 0) return {};
    const std::size_t base = cache_set(a);
    for (std::size_t w = 0; w < kDnsCacheWays; ++w) {
      const DnsCacheEntry& e = dns_cache[base + w];
      if (e.length != 0 && e.address == a) return {e.name, e.length};
    }
    return {};
  }

  // ---- emitting observations ----

  // `address`: the value as an address, when it is one (matching then skips parsing the text);
  // `certificate`: the facts of an x509_sha1's certificate.
  void emit(ObservationKind kind, std::string_view value, std::string_view context = {},
            const rules::IpAddress* address = nullptr, const rules::CertificateFacts* certificate = nullptr) noexcept {
    if (!config.wanted[idx(kind)] || value.empty()) return;
    std::uint32_t* head = &flowless_head;
    std::uint16_t* used = &flowless_chunks;
    std::uint32_t max_chunks = config.max_fingerprint_chunks_per_flow;
    if (cur != nullptr) {
      head = &cur->fp_head;
      used = &cur->fp_chunks;
    }
    if (!remember(*head, *used, max_chunks, fingerprint(kind, value))) return;
    rules::Observation o;
    o.kind = kind;
    o.value = value;
    o.context = context;
    o.ts = ts;
    if (address != nullptr) o.address = *address;
    o.l4_proto = pkt.l4_proto;
    o.certificate = certificate;
    if (cur != nullptr) {
      o.flow = cur_id;
      o.app_proto = cur->dpi.app_proto.empty() ? parser_proto : cur->dpi.app_proto;
      o.direction = cur->direction;
      o.local = cur->local;
      o.remote = cur->remote;
      o.local_port = cur->local_port;
      o.remote_port = cur->remote_port;
      o.device = cur->device;
    } else {
      o.app_proto = parser_proto;
      o.local = pkt.src;
      o.remote = pkt.dst;
      o.direction = lan_contains(pkt.src) ? rules::Direction::outbound : rules::Direction::external;
      if (pkt.has_mac) {
        o.device.kind = rules::Device::Kind::mac;
        std::memcpy(o.device.mac, pkt.src_mac, 6);
      } else if (pkt.src.family != 0) {
        o.device.kind = rules::Device::Kind::ip;
        o.device.ip = pkt.src;
      }
    }
    ++stats.observations[idx(kind)];
    sink.on_observation(o);
  }

  // Text escaped for JSON-safe, unambiguous output (see capture/text.h).
  void emit_text(ObservationKind kind, std::string_view raw, std::string_view context = {}) noexcept {
    const std::size_t n = escape_text(raw, text_buf, sizeof text_buf);
    emit(kind, {text_buf, n}, context);
  }

  void emit_name(ObservationKind kind, std::string_view raw, std::string_view context = {}) noexcept {
    const std::size_t n = normalize_name(raw, text_buf, sizeof text_buf);
    emit(kind, {text_buf, n}, context);
  }

  void emit_address(ObservationKind kind, const rules::IpAddress& a, bool with_dns_context) noexcept {
    char buf[48];
    const std::size_t n = rules::format_ip(a, buf);
    emit(kind, {buf, n}, with_dns_context ? cache_get(a) : std::string_view{}, &a);
  }

  void emit_ips() noexcept {
    if (!want_ips) return;
    for (std::size_t i = 0; i < pkt.ip_count; ++i) {
      emit_address(K::src_ip, pkt.ips[i].src, false);
      emit_address(K::dst_ip, pkt.ips[i].dst, true);
    }
  }

  // ---- flows ----

  void init_flow(FlowState& fs, const FlowRecord& rec, bool from_initiator) noexcept {
    fs = FlowState{};
    const FlowEndpoint a = rec.initiator_endpoint();
    const FlowEndpoint b = rec.responder_endpoint();
    const bool a_lan = lan_contains(a.ip), b_lan = lan_contains(b.ip);
    const bool local_is_initiator = a_lan || !b_lan;
    fs.direction = a_lan ? (b_lan ? rules::Direction::internal : rules::Direction::outbound)
                         : (b_lan ? rules::Direction::inbound : rules::Direction::external);
    const FlowEndpoint& local = local_is_initiator ? a : b;
    const FlowEndpoint& remote = local_is_initiator ? b : a;
    fs.local = local.ip;
    fs.remote = remote.ip;
    fs.local_port = local.port;
    fs.remote_port = remote.port;
    if (pkt.has_mac) {
      // The packet's source is the initiator when from_initiator.
      const bool local_is_src = from_initiator == local_is_initiator;
      fs.device.kind = rules::Device::Kind::mac;
      std::memcpy(fs.device.mac, local_is_src ? pkt.src_mac : pkt.dst_mac, 6);
    } else {
      fs.device.kind = rules::Device::Kind::ip;
      fs.device.ip = local.ip;
    }
  }

  void ip_port_observation() noexcept {
    if (!config.wanted[idx(K::ip_port)] || (pkt.l4_proto != kTcp && pkt.l4_proto != kUdp)) return;
    char buf[64];
    std::size_t n = 0;
    if (cur->remote.family == 6) buf[n++] = '[';
    n += rules::format_ip(cur->remote, buf + n);
    if (cur->remote.family == 6) buf[n++] = ']';
    n += static_cast<std::size_t>(std::snprintf(buf + n, sizeof buf - n, ":%u", cur->remote_port));
    emit(K::ip_port, {buf, n});
  }

  PayloadHint hint_of(bool from_initiator) const noexcept {
    if (pkt.payload_len == 0) return PayloadHint::none;
    if (pkt.src_port == kDnsPort || pkt.dst_port == kDnsPort) return PayloadHint::dns_message;
    if (from_initiator && pkt.l4_proto == kTcp && looks_like_client_hello(pkt.payload, pkt.payload_len))
      return PayloadHint::tls_client_hello;
    if (from_initiator && proto::looks_like_http_request(pkt.payload, pkt.payload_len))
      return PayloadHint::http_request;
    return PayloadHint::none;
  }

  void on_packet(int dlt, const std::uint8_t* frame, std::size_t caplen, std::uint32_t wire_len, rules::TimeUs t) noexcept {
    ++stats.frames;
    stats.bytes += caplen;
    ts = t;
    const DecodeStatus st = decoder.decode(dlt, frame, caplen, wire_len, t, pkt);
    if (t - last_sweep >= 1000000 || t < last_sweep) {
      flows.sweep(t, 256);
      last_sweep = t;
    }
    cur = nullptr;
    cur_id = 0;
    parser_proto = {};
    if (st != DecodeStatus::ok) {
      emit_ips();
      return;
    }
    const FlowUpdate up = flows.track(pkt);
    if (up.flow == nullptr) {
      emit_ips();
      return;
    }
    FlowState& fs = states[up.index];
    if (up.created) init_flow(fs, *up.flow, up.from_initiator);
    cur = &fs;
    cur_id = up.flow->id;
    const bool from_init = up.from_initiator;

    // nDPI's QUIC server name is used only where our own Initial reader does not run
    // (Google QUIC), and only after it had its chance on this packet.
    std::string_view dpi_quic_sni;
    if (!fs.dpi.done()) dpi_quic_sni = dpi->process(fs.dpi, pkt, from_init, hint_of(from_init)).quic_sni;

    // Addresses of every IP header: once per direction for plain packets, again when the
    // set of headers changes (tunnels, ICMP quotes).
    const std::size_t dir = from_init ? 0 : 1;
    const std::uint8_t done_bit = dir == 0 ? FlowState::kIpsDone0 : FlowState::kIpsDone1;
    if (pkt.ip_count > 1) {
      const std::uint32_t sig = ips_signature(pkt);
      if (sig != fs.ips_sig[dir] || !(fs.flags & done_bit)) {
        fs.ips_sig[dir] = sig;
        fs.flags |= done_bit;
        emit_ips();
      }
    } else if (!(fs.flags & done_bit)) {
      fs.flags |= done_bit;
      emit_ips();
    }
    if (up.created) ip_port_observation();

    if (pkt.payload_len != 0 || (pkt.tcp_flags & 0x02)) {
      if (pkt.l4_proto == kUdp) udp_payload(fs, from_init);
      else if (pkt.l4_proto == kTcp) tcp_segment(fs, from_init);
    }
    if (!dpi_quic_sni.empty() && !(fs.flags & FlowState::kQuicOurs)) {
      parser_proto = "QUIC";
      emit_name(K::quic_sni, dpi_quic_sni);
    }
  }

  bool dns_flow(const FlowState& fs) const noexcept {
    return pkt.src_port == kDnsPort || pkt.dst_port == kDnsPort || fs.dpi.family == AppFamily::dns;
  }

  void udp_payload(FlowState& fs, bool from_init) noexcept {
    if (pkt.payload_len == 0) return;
    if (want_dns && dns_flow(fs)) {
      parser_proto = "DNS";
      parse_dns(pkt.payload, pkt.payload_len);
      return;
    }
    if (want_tls && quic_datagram(fs, from_init)) return;
    if (want_tls && dtls_datagram(fs, from_init)) return;
    if (want_http && proto::looks_like_http_request(pkt.payload, pkt.payload_len)) {
      // HTTP over UDP: SSDP / GENA discovery requests (one head per datagram).
      if (proto::parse_http_request_head(pkt.payload, pkt.payload_len, http_head) == proto::HttpStatus::ok) {
        parser_proto = "HTTP";
        on_request(http_head);
      }
    }
  }

  // QUIC Initials (RFC 9001 §5: their keys derive from public values), any port.
  bool quic_datagram(FlowState& fs, bool from_init) noexcept {
    if (fs.quic == kNone) {
      if (fs.flags & FlowState::kQuicOff) return false;
      if (!proto::looks_like_quic_initial(pkt.payload, pkt.payload_len)) {
        if (++fs.udp_probes >= kProbePackets) fs.flags |= FlowState::kQuicOff | FlowState::kDtlsOff;
        return false;
      }
      fs.quic = quic_pool.acquire();
      fs.flags |= FlowState::kQuicOurs;
      if (fs.quic == kNone) {
        ++stats.quic_pool_exhausted;
        fs.flags |= FlowState::kQuicOff;
        fs.flags &= static_cast<std::uint8_t>(~FlowState::kQuicOurs);
        return false;
      }
      ++stats.quic_handshakes;
      quic_pool[fs.quic].set_ja4(want_ja4);
    }
    proto::QuicInitialReader& r = quic_pool[fs.quic];
    parser_proto = "QUIC";
    quic_transport = true;
    r.on_datagram(from_init, pkt.payload, pkt.payload_len, *this);
    quic_transport = false;
    if (r.done()) {
      quic_pool.release(fs.quic);
      fs.flags |= FlowState::kQuicOff;
    }
    return true;
  }

  // DTLS handshakes (RFC 6347), also behind a CAPWAP preamble (RFC 5415 §4.1), any port.
  bool dtls_datagram(FlowState& fs, bool from_init) noexcept {
    if (fs.dtls == kNone) {
      proto::DtlsCarrier carrier = proto::DtlsCarrier::udp;
      if (fs.flags & FlowState::kDtlsOff) return false;
      if (!proto::looks_like_dtls_client_hello(pkt.payload, pkt.payload_len, carrier)) return false;
      fs.dtls = dtls_pool.acquire();
      if (fs.dtls == kNone) {
        ++stats.dtls_pool_exhausted;
        fs.flags |= FlowState::kDtlsOff;
        return false;
      }
      dtls_pool[fs.dtls].connection.reset(carrier);
      dtls_pool[fs.dtls].connection.set_certificate_facts(config.certificate_facts);
      dtls_pool[fs.dtls].connection.set_ja4(want_ja4);
      ++stats.dtls_handshakes;
    }
    proto::DtlsConnection& c = dtls_pool[fs.dtls].connection;
    parser_proto = "DTLS";
    c.on_datagram(from_init, pkt.payload, pkt.payload_len, *this);
    if (c.done()) {
      dtls_pool.release(fs.dtls);
      fs.flags |= FlowState::kDtlsOff;
    }
    return true;
  }

  void parse_dns(const std::uint8_t* msg, std::size_t len) noexcept {
    ++stats.dns_messages;
    dns_is_response = false;
    if (proto::parse_dns_message(msg, len, *this) != proto::DnsStatus::ok) ++stats.dns_errors;
  }

  void tcp_segment(FlowState& fs, bool from_init) noexcept {
    const std::uint8_t* p = pkt.payload;
    const std::size_t n = pkt.payload_len;
    const bool syn = (pkt.tcp_flags & 0x02) != 0;
    if (want_dns && !(fs.flags & FlowState::kDnsTcpOff) && dns_flow(fs)) {
      dns_over_tcp(fs, from_init, syn, p, n);
      return;
    }
    if (n == 0) return;
    if (want_tls && !(fs.flags & FlowState::kTlsOff)) tls_segment(fs, from_init, syn, p, n);
    if (want_http && !(fs.flags & FlowState::kHttpOff) && from_init) http_segment(fs, p, n);
  }

  void dns_over_tcp(FlowState& fs, bool from_init, bool syn, const std::uint8_t* p, std::size_t n) noexcept {
    if (fs.dns_tcp == kNone) {
      if (n == 0) return;
      fs.dns_tcp = dns_tcp_pool.acquire();
      if (fs.dns_tcp == kNone) {
        ++stats.dns_tcp_pool_exhausted;
        fs.flags |= FlowState::kDnsTcpOff;
        return;
      }
    }
    DnsTcpSlot& s = dns_tcp_pool[fs.dns_tcp];
    const std::size_t d = from_init ? 0 : 1;
    if (syn) s.cursor[d].start(pkt.tcp_seq + 1);
    const auto span = s.cursor[d].accept(pkt.tcp_seq, p, n);
    if (span.len == 0) return;
    parser_proto = "DNS";
    s.framer[d].feed(span.data, span.len);
    proto::DnsTcpFramer::Message m;
    while (s.framer[d].next(m)) parse_dns(m.data, m.len);
  }

  void tls_segment(FlowState& fs, bool from_init, bool syn, const std::uint8_t* p, std::size_t n) noexcept {
    if (fs.tls == kNone) {
      // A handshake starts with the client's ClientHello; anything else first is not ours.
      if (!from_init) return;
      if (!looks_like_client_hello(p, n)) {
        if (++fs.tls_probes >= kProbePackets) fs.flags |= FlowState::kTlsOff;
        return;
      }
      fs.tls = tls_pool.acquire();
      if (fs.tls == kNone) {
        ++stats.tls_pool_exhausted;
        fs.flags |= FlowState::kTlsOff;
        return;
      }
      ++stats.tls_handshakes;
      tls_pool[fs.tls].set_certificate_facts(config.certificate_facts);
      tls_pool[fs.tls].set_ja4(want_ja4);
    }
    proto::TlsConnection& c = tls_pool[fs.tls];
    parser_proto = "TLS";
    c.on_segment(from_init, pkt.tcp_seq, syn, p, n, *this);
    if (c.done()) {
      if (c.client_cursor().gave_up() || c.server_cursor().gave_up()) ++stats.tls_gaps;
      if (c.client().status() != proto::TlsStatus::ok && c.client().status() != proto::TlsStatus::hello_too_large)
        ++stats.tls_errors;
      tls_pool.release(fs.tls);
      fs.flags |= FlowState::kTlsOff;
    }
  }

  void http_segment(FlowState& fs, const std::uint8_t* p, std::size_t n) noexcept {
    if (fs.http == kNone) {
      if (!proto::looks_like_http_request(p, n)) {
        if (++fs.http_probes >= kProbePackets) fs.flags |= FlowState::kHttpOff;
        return;
      }
      fs.http = http_pool.acquire();
      if (fs.http == kNone) {
        ++stats.http_pool_exhausted;
        fs.flags |= FlowState::kHttpOff;
        return;
      }
      http_pool[fs.http].cursor.start(pkt.tcp_seq);
    }
    HttpSlot& s = http_pool[fs.http];
    const auto span = s.cursor.accept(pkt.tcp_seq, p, n);
    if (span.len == 0) {
      if (s.cursor.gave_up()) {
        http_pool.release(fs.http);
        fs.flags |= FlowState::kHttpOff;
      }
      return;
    }
    parser_proto = "HTTP";
    s.stream.feed(span.data, span.len, *this);
  }

  // ---- parser visitors ----

  void on_header(const proto::DnsHeader& h) override { dns_is_response = h.qr; }

  void on_question(const proto::DnsQuestion& q) override { emit_name(K::dns_query, q.name.view()); }

  void on_answer(const proto::DnsAnswer& a) override {
    // Context: the question this record answers (through CNAMEs), else its owner name.
    const std::size_t cn = normalize_name(a.question_index >= 0 ? a.question.view() : a.owner.view(),
                                          context_buf, sizeof context_buf);
    const std::string_view context{context_buf, cn};
    if (a.type == proto::kDnsTypeCname) {
      emit_name(K::dns_answer, a.target.view(), context);
      return;
    }
    if (dns_is_response) cache_put(a.address, context);
    char buf[48];
    const std::size_t n = rules::format_ip(a.address, buf);
    emit(K::dns_answer, {buf, n}, context, &a.address);
  }

  void on_client_hello(const proto::TlsClientHello& h) override {
    if (h.has_sni && !h.sni.empty()) emit_name(quic_transport ? K::quic_sni : K::tls_sni, h.sni);
    emit(K::ja3, h.ja3_md5);
    emit(K::ja4, h.ja4);
  }

  void on_server_hello(const proto::TlsServerHello& h) override { emit(K::ja3s, h.ja3s_md5); }

  void on_certificate(const proto::TlsCertificate& c) override {
    if (c.x509.status == proto::X509Status::malformed) ++stats.x509_malformed;
    if (c.x509.status == proto::X509Status::too_long) ++stats.x509_too_long;
    if (!config.wanted[idx(K::x509_sha1)]) return;
    if (!config.certificate_facts) return emit(K::x509_sha1, c.sha1_hex);
    // The texts go one after the other into cert_text, which holds the longest of each.
    rules::CertificateFacts facts;
    facts.sha256 = c.sha256_hex;
    char* out = cert_text;
    std::size_t room = sizeof cert_text;
    const std::size_t serial = proto::format_x509_serial(c.x509.serial, out, room);
    facts.serial_number = {out, serial};
    out += serial + 1;
    room -= serial + 1;
    const auto put_name = [&](proto::ByteView name, std::string_view& text) {
      const proto::X509NameText t = proto::format_x509_name(name, out, room);
      if (!t.ok || t.length >= room) return;
      text = {out, t.length};
      out += t.length + 1;
      room -= t.length + 1;
    };
    put_name(c.x509.subject, facts.subject);
    put_name(c.x509.issuer, facts.issuer);
    facts.not_before = c.x509.not_before;
    facts.not_after = c.x509.not_after;
    facts.self_signed = c.x509.self_signed;
    emit(K::x509_sha1, c.sha1_hex, {}, nullptr, &facts);
  }

  void on_request(const proto::HttpRequestHead& h) override {
    ++stats.http_requests;
    if (h.has_host && !h.host.empty()) {
      char port[8] = {};
      std::size_t pn = 0;
      if (h.has_port) pn = static_cast<std::size_t>(std::snprintf(port, sizeof port, "%u", h.port));
      emit_text(K::http_host, h.host, {port, pn});
    }
    if (!h.url.empty()) emit_text(K::http_url, h.url);
    if (h.has_user_agent && !h.user_agent.empty()) emit_text(K::http_user_agent, h.user_agent);
  }

  void end_flow(FlowIndex index) noexcept {
    FlowState& fs = states[index];
    dpi->finish(fs.dpi);
    tls_pool.release(fs.tls);
    http_pool.release(fs.http);
    dns_tcp_pool.release(fs.dns_tcp);
    quic_pool.release(fs.quic);
    dtls_pool.release(fs.dtls);
    forget(fs.fp_head, fs.fp_chunks);
  }

  const TrafficObserverConfig config;
  ObservationSink& sink;
  PacketDecoder decoder;
  FlowTable flows;
  ReservedArray<FlowState> states;
  std::unique_ptr<DpiClassifier> dpi;
  StatePool<proto::TlsConnection> tls_pool;
  StatePool<HttpSlot> http_pool;
  StatePool<DnsTcpSlot> dns_tcp_pool;
  StatePool<proto::QuicInitialReader> quic_pool;
  StatePool<DtlsSlot> dtls_pool;
  ReservedArray<FingerprintChunk> chunks;
  std::uint32_t chunks_used = 0;  // chunks [chunks_used, size) never handed out
  std::uint32_t free_chunk = kNone;
  std::uint32_t flowless_head = kNone;  // values seen outside any flow (flow id 0)
  std::uint16_t flowless_chunks = 0;
  ReservedArray<DnsCacheEntry> dns_cache;
  std::uint32_t cache_clock = 0;
  std::vector<Prefix> lan;
  bool want_dns = true, want_tls = true, want_http = true, want_ips = true, want_ja4 = true;

  // Per-packet context.
  PacketView pkt;
  rules::TimeUs ts = 0;
  rules::TimeUs last_sweep = 0;
  FlowState* cur = nullptr;
  std::uint64_t cur_id = 0;
  std::string_view parser_proto;
  bool dns_is_response = false;
  bool quic_transport = false;  // hellos now come from a QUIC Initial (SNI -> quic_sni)
  proto::HttpRequestHead http_head;
  char text_buf[kMaxObservationText];
  char context_buf[proto::kDnsMaxNameText + 1];
  // Serial, subject and issuer of the certificate being reported. Both Names come from one
  // CertificateReader store, so together they need at most kMaxX509NameText.
  char cert_text[proto::kMaxX509SerialText + 1 + proto::kMaxX509NameText + 2];
  TrafficStats stats;
};

TrafficObserver::TrafficObserver(const TrafficObserverConfig& config, ObservationSink& sink)
    : impl_(std::make_unique<Impl>(config, sink, static_cast<FlowEndListener&>(*this))) {}

TrafficObserver::~TrafficObserver() {
  if (impl_) impl_->flows.set_end_listener(nullptr);
}

void TrafficObserver::process(int dlt, const std::uint8_t* frame, std::size_t caplen, std::uint32_t wire_len,
                              rules::TimeUs ts) noexcept {
  impl_->on_packet(dlt, frame, caplen, wire_len, ts);
}

void TrafficObserver::flush() noexcept { impl_->flows.flush(); }

void TrafficObserver::on_flow_end(const FlowRecord&, FlowIndex index, FlowEndReason) { impl_->end_flow(index); }

TrafficStats TrafficObserver::stats() const {
  TrafficStats s = impl_->stats;
  s.decoder = impl_->decoder.counters();
  s.flows = impl_->flows.stats();
  s.dpi = impl_->dpi->stats();
  s.memory_reserved_bytes = s.flows.memory_reserved_bytes + impl_->states.bytes() +
                            impl_->decoder.memory_bytes() + impl_->tls_pool.bytes() + impl_->http_pool.bytes() +
                            impl_->dns_tcp_pool.bytes() + impl_->quic_pool.bytes() + impl_->dtls_pool.bytes() +
                            impl_->chunks.bytes() + impl_->dns_cache.bytes();
  return s;
}

}  // namespace outpost::capture
