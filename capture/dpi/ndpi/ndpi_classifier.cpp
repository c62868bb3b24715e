// DpiClassifier over nDPI 4.2. The only translation unit (with ndpi_heap.cpp) that includes
// nDPI headers: porting to another nDPI release means changing this folder only.
//
// How nDPI is driven (cf. ntop's own example/reader_util.c in 4.2):
//   - a flow gets an ndpi_flow_struct on its first packet with a TCP/UDP payload, taken from a
//     pool preallocated here (so a SYN flood costs nDPI nothing, and the number of flows under
//     inspection is bounded);
//   - each payload packet goes to ndpi_detection_process_packet() as the IP packet from its
//     header, cut to the bytes actually captured and to 65535;
//   - once a protocol is known, feeding goes on while ndpi_extra_dissection_possible() says
//     metadata is still to come; after max_packets_per_flow payload packets nDPI must decide
//     (ndpi_detection_giveup);
//   - then ndpi_free_flow_data() frees what the flow allocated, the struct returns to the pool
//     and the rest of the flow skips DPI.

#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include <ndpi_api.h>

#include "capture/dpi/dpi_classifier.h"
#include "capture/dpi/ndpi/ndpi_heap.h"

namespace outpost::capture {

namespace {

constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
constexpr std::size_t kMaxIpPacket = 65535;  // ndpi_detection_process_packet takes an unsigned short

AppFamily family_of_id(std::uint16_t id, std::uint8_t l4_proto) noexcept {
  switch (id) {
    case NDPI_PROTOCOL_DNS:
      return AppFamily::dns;
    case NDPI_PROTOCOL_TLS:
    case NDPI_PROTOCOL_MAIL_SMTPS:
    case NDPI_PROTOCOL_MAIL_POPS:
    case NDPI_PROTOCOL_MAIL_IMAPS:
      return l4_proto == kProtoTcp ? AppFamily::tls : AppFamily::unknown;
    case NDPI_PROTOCOL_HTTP:
    case NDPI_PROTOCOL_HTTP_CONNECT:
    case NDPI_PROTOCOL_HTTP_PROXY:
      return AppFamily::http;
    case NDPI_PROTOCOL_QUIC:
      return AppFamily::quic;
    case NDPI_PROTOCOL_DOH_DOT:  // DoT and DoH on TCP are TLS; DoQ on UDP is QUIC
      return l4_proto == kProtoTcp ? AppFamily::tls
                                   : (l4_proto == kProtoUdp ? AppFamily::quic : AppFamily::unknown);
    default:
      return AppFamily::unknown;
  }
}

std::uint32_t ipv4_host_order(const IpAddress& a) noexcept {
  if (a.family != 4) return 0;
  return (std::uint32_t{a.bytes[0]} << 24) | (std::uint32_t{a.bytes[1]} << 16) |
         (std::uint32_t{a.bytes[2]} << 8) | a.bytes[3];
}

// Bytes of the IP packet we may hand to nDPI: never past the captured bytes (the payload view
// ends at caplen), never past 65535.
std::size_t feedable_length(const PacketView& p) noexcept {
  std::size_t len = p.l3_len;
  if (p.payload != nullptr && p.payload >= p.l3) {
    const std::size_t captured_end = static_cast<std::size_t>(p.payload - p.l3) + p.payload_len;
    if (captured_end < len) len = captured_end;
  }
  return len < kMaxIpPacket ? len : kMaxIpPacket;
}

// "master.app" names, interned once per pair in a table sized at construction.
class NameTable {
 public:
  static constexpr std::size_t kSlots = 512;
  static constexpr std::size_t kTextBytes = 64;

  NameTable() : entries_(new Entry[kSlots]) {
    for (std::size_t i = 0; i < kSlots; ++i) entries_[i].used = false;
  }

  // Returns the stored name for key, storing `text` the first time; empty when full.
  std::string_view intern(std::uint32_t key, const char* text, bool& inserted) noexcept {
    inserted = false;
    std::size_t i = (key * 2654435761u) % kSlots;
    for (std::size_t probes = 0; probes < kSlots; ++probes, i = (i + 1) % kSlots) {
      Entry& e = entries_[i];
      if (e.used && e.key == key) return {e.text, e.len};
      if (!e.used) {
        const std::size_t n = std::strlen(text);
        e.len = static_cast<std::uint8_t>(n < kTextBytes - 1 ? n : kTextBytes - 1);
        std::memcpy(e.text, text, e.len);
        e.text[e.len] = '\0';
        e.key = key;
        e.used = true;
        inserted = true;
        return {e.text, e.len};
      }
    }
    return {};
  }

 private:
  struct Entry {
    std::uint32_t key;
    bool used;
    std::uint8_t len;
    char text[kTextBytes];
  };
  std::unique_ptr<Entry[]> entries_;
};

class NdpiClassifier final : public DpiClassifier {
 public:
  explicit NdpiClassifier(const DpiConfig& config) : config_(config) {}
  ~NdpiClassifier() override;

  bool init() noexcept;

  DpiVerdict process(DpiFlowSlot& slot, const PacketView& packet, bool from_initiator,
                     PayloadHint hint) noexcept override;
  DpiVerdict finish(DpiFlowSlot& slot) noexcept override;
  void release(DpiFlowSlot& slot) noexcept override;
  DpiStats stats() const noexcept override;

 private:
  ndpi_flow_struct* flow_of(const DpiFlowSlot& slot) const noexcept {
    return static_cast<ndpi_flow_struct*>(slot.state);
  }
  std::size_t pool_index(const ndpi_flow_struct* f) const noexcept {
    return static_cast<std::size_t>(reinterpret_cast<const unsigned char*>(f) - pool_base()) / stride_;
  }
  unsigned char* pool_base() const noexcept { return reinterpret_cast<unsigned char*>(pool_.get()); }

  bool acquire_state(DpiFlowSlot& slot) noexcept;
  void free_state(DpiFlowSlot& slot) noexcept;
  void charge(const ndpi_flow_struct* f, std::size_t heap_before) noexcept;
  void set_protocol(DpiFlowSlot& slot, ndpi_protocol p, std::uint8_t l4_proto, bool guessed) noexcept;
  std::string_view name_of(ndpi_protocol p) noexcept;
  std::string_view proto_name(std::uint16_t id) const noexcept;
  void take_quic_sni(DpiFlowSlot& slot, const ndpi_flow_struct* f, DpiVerdict& v) noexcept;
  void give_up(DpiFlowSlot& slot) noexcept;

  DpiConfig config_;
  ndpi_detection_module_struct* module_ = nullptr;
  std::size_t struct_bytes_ = 0;
  std::size_t stride_ = 0;
  std::unique_ptr<std::max_align_t[]> pool_;
  std::vector<std::uint32_t> free_;      // indices of unused pool entries
  std::vector<std::uint8_t> in_use_;
  std::vector<std::size_t> flow_heap_;   // heap bytes charged to each live entry
  NameTable names_;
  char engine_[32] = {};
  char sni_[sizeof(ndpi_flow_struct::host_server_name)] = {};
  DpiStats stats_;
};

NdpiClassifier::~NdpiClassifier() {
  if (module_ == nullptr) return;
  for (std::size_t i = 0; i < in_use_.size(); ++i) {
    if (in_use_[i] != 0)
      ndpi_free_flow_data(reinterpret_cast<ndpi_flow_struct*>(pool_base() + i * stride_));
  }
  ndpi_exit_detection_module(module_);
}

bool NdpiClassifier::init() noexcept {
  // The headers we compiled against must describe the library we run with: this file reads
  // fields of ndpi_flow_struct and sizes the pool from it.
  if (ndpi_get_api_version() != NDPI_API_VERSION) return false;
  struct_bytes_ = ndpi_detection_get_sizeof_ndpi_flow_struct();
  if (struct_bytes_ != sizeof(ndpi_flow_struct)) return false;

  ndpi::install_heap_hooks();
  const std::size_t before = ndpi::heap_in_use();
  module_ = ndpi_init_detection_module(ndpi_no_prefs);
  if (module_ == nullptr) return false;
  NDPI_PROTOCOL_BITMASK all;
  NDPI_BITMASK_SET_ALL(all);
  ndpi_set_protocol_detection_bitmask2(module_, &all);
  ndpi_finalize_initialization(module_);
  const std::size_t after = ndpi::heap_in_use();
  stats_.engine_module_bytes = after > before ? after - before : 0;

  const std::size_t align = alignof(std::max_align_t);
  stride_ = (struct_bytes_ + align - 1) / align * align;
  const std::size_t n = config_.max_flow_states;
  pool_.reset(new (std::nothrow) std::max_align_t[n * stride_ / sizeof(std::max_align_t) + 1]);
  if (pool_ == nullptr) return false;
  free_.reserve(n);
  for (std::size_t i = n; i-- > 0;) free_.push_back(static_cast<std::uint32_t>(i));
  in_use_.assign(n, 0);
  flow_heap_.assign(n, 0);

  std::snprintf(engine_, sizeof engine_, "nDPI %s", ndpi_revision());
  stats_.engine = engine_;
  stats_.flow_struct_bytes = struct_bytes_;
  stats_.flow_state_pool_bytes = n * stride_;
  return true;
}

std::string_view NdpiClassifier::proto_name(std::uint16_t id) const noexcept {
  // Points into the module's protocol table: stable for the module's lifetime.
  const char* name = ndpi_get_proto_name(module_, id);
  return name != nullptr ? std::string_view(name) : std::string_view("Unknown");
}

std::string_view NdpiClassifier::name_of(ndpi_protocol p) noexcept {
  // Same shape as ndpi_protocol2name(): "master.app", or the one that is known.
  const bool two = p.master_protocol != NDPI_PROTOCOL_UNKNOWN &&
                   p.app_protocol != NDPI_PROTOCOL_UNKNOWN && p.master_protocol != p.app_protocol;
  if (!two) {
    const bool master_only = p.master_protocol != NDPI_PROTOCOL_UNKNOWN && p.master_protocol != p.app_protocol;
    return proto_name(master_only ? p.master_protocol : p.app_protocol);
  }
  char buf[NameTable::kTextBytes];
  ndpi_protocol2name(module_, p, buf, sizeof buf);
  bool inserted = false;
  const std::uint32_t key = (std::uint32_t{p.master_protocol} << 16) | p.app_protocol;
  const std::string_view name = names_.intern(key, buf, inserted);
  if (inserted) ++stats_.names_interned;
  if (name.empty()) {
    ++stats_.name_table_full;
    return proto_name(p.app_protocol);
  }
  return name;
}

void NdpiClassifier::set_protocol(DpiFlowSlot& slot, ndpi_protocol p, std::uint8_t l4_proto,
                                  bool guessed) noexcept {
  if (slot.app_proto.empty() || slot.master_id != p.master_protocol || slot.app_id != p.app_protocol)
    slot.app_proto = name_of(p);
  slot.master_id = p.master_protocol;
  slot.app_id = p.app_protocol;
  AppFamily f = family_of_id(p.master_protocol, l4_proto);
  if (f == AppFamily::unknown) f = family_of_id(p.app_protocol, l4_proto);
  slot.family = f;
  if (guessed) slot.flags |= DpiFlowSlot::kGuessed;
  else slot.flags &= static_cast<std::uint8_t>(~DpiFlowSlot::kGuessed);
}

bool NdpiClassifier::acquire_state(DpiFlowSlot& slot) noexcept {
  if (free_.empty()) return false;
  const std::uint32_t i = free_.back();
  free_.pop_back();
  unsigned char* mem = pool_base() + std::size_t{i} * stride_;
  std::memset(mem, 0, struct_bytes_);
  in_use_[i] = 1;
  flow_heap_[i] = 0;
  slot.state = mem;
  ++stats_.states_created;
  if (++stats_.states_live > stats_.states_peak) stats_.states_peak = stats_.states_live;
  return true;
}

void NdpiClassifier::charge(const ndpi_flow_struct* f, std::size_t heap_before) noexcept {
  const std::size_t now = ndpi::heap_in_use();
  if (now <= heap_before) return;
  const std::size_t grown = now - heap_before;
  flow_heap_[pool_index(f)] += grown;
  stats_.flow_heap_in_use += grown;
  if (stats_.flow_heap_in_use > stats_.flow_heap_peak) stats_.flow_heap_peak = stats_.flow_heap_in_use;
}

void NdpiClassifier::free_state(DpiFlowSlot& slot) noexcept {
  ndpi_flow_struct* f = flow_of(slot);
  if (f == nullptr) return;
  const std::size_t i = pool_index(f);
  const std::size_t before = ndpi::heap_in_use();
  ndpi_free_flow_data(f);
  const std::size_t after = ndpi::heap_in_use();
  const std::size_t freed = before > after ? before - after : 0;
  // What the flow's calls allocated but its free did not return are module caches nDPI
  // created lazily while this flow ran (LRU caches, ...): they belong to the module now.
  const std::size_t charged = flow_heap_[i];
  if (charged > freed) stats_.engine_module_growth += charged - freed;
  stats_.flow_heap_in_use -= charged < stats_.flow_heap_in_use ? charged : stats_.flow_heap_in_use;
  flow_heap_[i] = 0;
  in_use_[i] = 0;
  free_.push_back(static_cast<std::uint32_t>(i));
  --stats_.states_live;
  slot.state = nullptr;
}

void NdpiClassifier::take_quic_sni(DpiFlowSlot& slot, const ndpi_flow_struct* f, DpiVerdict& v) noexcept {
  if (slot.family != AppFamily::quic || (slot.flags & DpiFlowSlot::kQuicSniReported) != 0) return;
  const std::size_t n = strnlen(f->host_server_name, sizeof f->host_server_name);
  if (n == 0 || n >= sizeof sni_) return;
  std::memcpy(sni_, f->host_server_name, n);
  sni_[n] = '\0';
  slot.flags |= DpiFlowSlot::kQuicSniReported;
  ++stats_.quic_sni_reported;
  v.quic_sni = std::string_view(sni_, n);
  v.quic_sni_may_be_cut = n == sizeof f->host_server_name - 1;
}

void NdpiClassifier::give_up(DpiFlowSlot& slot) noexcept {
  ndpi_flow_struct* f = flow_of(slot);
  const std::size_t before = ndpi::heap_in_use();
  std::uint8_t was_guessed = 0;
  const ndpi_protocol p =
      ndpi_detection_giveup(module_, f, config_.guess_on_giveup ? 1 : 0, &was_guessed);
  charge(f, before);
  const bool known = p.master_protocol != NDPI_PROTOCOL_UNKNOWN || p.app_protocol != NDPI_PROTOCOL_UNKNOWN;
  if (known || slot.app_proto.empty()) set_protocol(slot, p, slot.l4_proto, was_guessed != 0);
  ++stats_.flows_given_up;
}

DpiVerdict NdpiClassifier::process(DpiFlowSlot& slot, const PacketView& packet, bool /*from_initiator*/,
                                   PayloadHint /*hint*/) noexcept {
  if (slot.done()) return verdict_of(slot);
  const std::string_view name_before = slot.app_proto;
  const AppFamily family_before = slot.family;
  DpiVerdict v;

  if ((slot.flags & DpiFlowSlot::kSeen) == 0) {
    slot.flags |= DpiFlowSlot::kSeen;
    slot.l4_proto = packet.l4_proto;
    slot.ip_version = packet.ip_version;
    ++stats_.flows_seen;
    // A first name from ports and addresses, so even flows that never carry a payload have one.
    const ndpi_protocol guess = ndpi_guess_undetected_protocol(
        module_, nullptr, packet.l4_proto, ipv4_host_order(packet.src), packet.src_port,
        ipv4_host_order(packet.dst), packet.dst_port);
    set_protocol(slot, guess, packet.l4_proto, true);
  }

  const bool transport = packet.l4_proto == kProtoTcp || packet.l4_proto == kProtoUdp;
  if (!transport || packet.l3 == nullptr) {
    // nDPI's dissectors work on TCP/UDP payloads; other protocols are named by number.
    slot.flags |= DpiFlowSlot::kDone;
    ++stats_.flows_guessed_only;
  } else if (packet.l4_proto != slot.l4_proto || packet.ip_version != slot.ip_version) {
    // nDPI 4.2 frees TCP reassembly buffers only while flow->l4_proto says TCP, and its TCP and
    // UDP state share a union: a flow whose packets change transport leaks or corrupts it.
    ++stats_.packets_mismatched;
  } else if (packet.payload == nullptr || packet.payload_len == 0) {
    ++stats_.packets_without_payload;
  } else if (slot.state == nullptr && !acquire_state(slot)) {
    ++stats_.state_cap_hits;
    ++stats_.flows_guessed_only;
    slot.flags |= DpiFlowSlot::kDone;
  } else {
    ndpi_flow_struct* f = flow_of(slot);
    const std::size_t len = feedable_length(packet);
    if (len < packet.l3_len) ++stats_.packets_cut;
    const std::uint64_t ms = packet.ts > 0 ? static_cast<std::uint64_t>(packet.ts) / 1000 : 0;
    const std::size_t before = ndpi::heap_in_use();
    const ndpi_protocol p = ndpi_detection_process_packet(
        module_, f, packet.l3, static_cast<unsigned short>(len), ms);
    charge(f, before);
    ++stats_.packets_fed;
    if (slot.packets_fed != 0xFFFF) ++slot.packets_fed;

    const bool detected = p.master_protocol != NDPI_PROTOCOL_UNKNOWN || p.app_protocol != NDPI_PROTOCOL_UNKNOWN;
    if (detected) set_protocol(slot, p, packet.l4_proto, false);
    take_quic_sni(slot, f, v);

    const bool enough = slot.packets_fed >= config_.max_packets_per_flow;
    if (detected && !enough && ndpi_extra_dissection_possible(module_, f) != 0) {
      // Metadata still to come (certificate, HTTP response, DNS answer, QUIC CH fragments).
    } else if (detected) {
      ++stats_.flows_detected;
      free_state(slot);
      slot.flags |= DpiFlowSlot::kDone;
    } else if (enough) {
      give_up(slot);
      free_state(slot);
      slot.flags |= DpiFlowSlot::kDone;
    }
  }

  v.done = slot.done();
  v.guessed = slot.guessed();
  v.family = slot.family;
  v.app_proto = slot.app_proto;
  v.changed = slot.family != family_before || slot.app_proto.data() != name_before.data() ||
              slot.app_proto.size() != name_before.size();
  return v;
}

DpiVerdict NdpiClassifier::finish(DpiFlowSlot& slot) noexcept {
  if (slot.state != nullptr) {
    give_up(slot);
    free_state(slot);
  } else if (!slot.done() && (slot.flags & DpiFlowSlot::kSeen) != 0) {
    ++stats_.flows_guessed_only;  // ended before any payload: keeps its port name
  }
  slot.flags |= DpiFlowSlot::kDone;
  return verdict_of(slot);
}

void NdpiClassifier::release(DpiFlowSlot& slot) noexcept {
  if (slot.state != nullptr) {
    if (!slot.done()) ++stats_.flows_released_early;
    free_state(slot);
  }
  slot.flags |= DpiFlowSlot::kDone;
}

DpiStats NdpiClassifier::stats() const noexcept {
  DpiStats s = stats_;
  s.engine_heap_in_use = ndpi::heap_in_use();
  s.engine_heap_peak = ndpi::heap_peak();
  return s;
}

}  // namespace

std::unique_ptr<DpiClassifier> DpiClassifier::create(const DpiConfig& config) {
  DpiConfig c = config;
  if (c.max_packets_per_flow == 0) c.max_packets_per_flow = 1;
  if (c.max_flow_states == 0) c.max_flow_states = 1;
  auto classifier = std::make_unique<NdpiClassifier>(c);
  if (!classifier->init()) return nullptr;
  return classifier;
}

}  // namespace outpost::capture
