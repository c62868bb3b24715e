// DpiClassifier without nDPI (-DOUTPOST_WITH_NDPI=OFF, e.g. the s390x build): names flows from
// well-known server ports (IANA service names registry) and from what our own parsers
// recognised in a payload (PayloadHint). Holds no per-flow state beyond the slot.


#include "capture/dpi/dpi_classifier.h"

namespace outpost::capture {

namespace {

constexpr std::uint8_t kProtoIcmp = 1;
constexpr std::uint8_t kProtoIgmp = 2;
constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
constexpr std::uint8_t kProtoGre = 47;
constexpr std::uint8_t kProtoEsp = 50;
constexpr std::uint8_t kProtoIcmpv6 = 58;

// Ids in DpiFlowSlot::app_id for this build (the names follow nDPI's spelling so reports read
// the same with either build).
enum class PortProto : std::uint16_t {
  unknown = 0, dns, http, tls, quic, dot, imaps, smtps, pops, mdns, ntp, dhcp, ssh,
  icmp, icmpv6, igmp, gre, ipsec, count_
};
constexpr std::string_view kPortProtoNames[static_cast<std::size_t>(PortProto::count_)] = {
    "Unknown", "DNS", "HTTP", "TLS", "QUIC", "DoH_DoT", "IMAPS", "SMTPS", "POPS", "MDNS", "NTP",
    "DHCP", "SSH", "ICMP", "ICMPV6", "IGMP", "GRE", "IPsec",
};

struct PortEntry {
  std::uint8_t l4_proto;
  std::uint16_t port;
  PortProto proto;
};

constexpr PortEntry kPorts[] = {
    {kProtoTcp, 53, PortProto::dns},     {kProtoUdp, 53, PortProto::dns},
    {kProtoTcp, 80, PortProto::http},    {kProtoTcp, 8080, PortProto::http},
    {kProtoTcp, 8000, PortProto::http},  {kProtoTcp, 3128, PortProto::http},
    {kProtoTcp, 443, PortProto::tls},    {kProtoTcp, 8443, PortProto::tls},
    {kProtoUdp, 443, PortProto::quic},   {kProtoTcp, 853, PortProto::dot},
    {kProtoUdp, 853, PortProto::dot},    {kProtoTcp, 993, PortProto::imaps},
    {kProtoTcp, 465, PortProto::smtps},  {kProtoTcp, 995, PortProto::pops},
    {kProtoUdp, 5353, PortProto::mdns},  {kProtoUdp, 123, PortProto::ntp},
    {kProtoUdp, 67, PortProto::dhcp},    {kProtoUdp, 68, PortProto::dhcp},
    {kProtoTcp, 22, PortProto::ssh},
};

PortProto proto_of_port(std::uint8_t l4_proto, std::uint16_t port) noexcept {
  for (const PortEntry& e : kPorts) {
    if (e.l4_proto == l4_proto && e.port == port) return e.proto;
  }
  return PortProto::unknown;
}

PortProto proto_of_ip_protocol(std::uint8_t l4_proto) noexcept {
  switch (l4_proto) {
    case kProtoIcmp: return PortProto::icmp;
    case kProtoIcmpv6: return PortProto::icmpv6;
    case kProtoIgmp: return PortProto::igmp;
    case kProtoGre: return PortProto::gre;
    case kProtoEsp: return PortProto::ipsec;
    default: return PortProto::unknown;
  }
}

PortProto proto_of_hint(PayloadHint h) noexcept {
  switch (h) {
    case PayloadHint::tls_client_hello: return PortProto::tls;
    case PayloadHint::http_request: return PortProto::http;
    case PayloadHint::dns_message: return PortProto::dns;
    case PayloadHint::quic_initial: return PortProto::quic;
    case PayloadHint::none:
    case PayloadHint::count_: break;
  }
  return PortProto::unknown;
}

AppFamily family_of(PortProto p, std::uint8_t l4_proto) noexcept {
  switch (p) {
    case PortProto::dns: return AppFamily::dns;
    case PortProto::http: return AppFamily::http;
    case PortProto::tls:
    case PortProto::imaps:
    case PortProto::smtps:
    case PortProto::pops: return AppFamily::tls;
    case PortProto::quic: return AppFamily::quic;
    case PortProto::dot: return l4_proto == kProtoTcp ? AppFamily::tls : AppFamily::quic;
    default: return AppFamily::unknown;
  }
}

class PortClassifier final : public DpiClassifier {
 public:
  explicit PortClassifier(const DpiConfig& config) : config_(config) { stats_.engine = "ports"; }

  DpiVerdict process(DpiFlowSlot& slot, const PacketView& packet, bool from_initiator,
                     PayloadHint hint) noexcept override {
    if (slot.done()) return verdict_of(slot);
    const std::string_view name_before = slot.app_proto;
    const AppFamily family_before = slot.family;

    if ((slot.flags & DpiFlowSlot::kSeen) == 0) {
      slot.flags |= DpiFlowSlot::kSeen;
      ++stats_.flows_seen;
      slot.l4_proto = packet.l4_proto;
      slot.ip_version = packet.ip_version;
      const bool transport = packet.l4_proto == kProtoTcp || packet.l4_proto == kProtoUdp;
      if (!transport) {
        set(slot, proto_of_ip_protocol(packet.l4_proto), true);
        slot.flags |= DpiFlowSlot::kDone;
        ++stats_.flows_guessed_only;
      } else {
        // The responder's port names the service; fall back to the other side's.
        const std::uint16_t server = from_initiator ? packet.dst_port : packet.src_port;
        const std::uint16_t client = from_initiator ? packet.src_port : packet.dst_port;
        PortProto p = proto_of_port(packet.l4_proto, server);
        if (p == PortProto::unknown) p = proto_of_port(packet.l4_proto, client);
        set(slot, p, true);
      }
    }

    if (!slot.done()) {
      const PortProto from_hint = proto_of_hint(hint);
      if (from_hint != PortProto::unknown) {
        set(slot, from_hint, false);
        slot.flags |= DpiFlowSlot::kDone;
        ++stats_.flows_detected;
      } else if (packet.payload == nullptr || packet.payload_len == 0) {
        ++stats_.packets_without_payload;
      } else {
        ++stats_.packets_fed;
        if (slot.packets_fed != 0xFFFF) ++slot.packets_fed;
        if (slot.packets_fed >= config_.max_packets_per_flow) {
          slot.flags |= DpiFlowSlot::kDone;
          ++stats_.flows_given_up;
        }
      }
    }

    DpiVerdict v = verdict_of(slot);
    v.changed = slot.family != family_before || slot.app_proto.data() != name_before.data();
    return v;
  }

  DpiVerdict finish(DpiFlowSlot& slot) noexcept override {
    if (!slot.done() && (slot.flags & DpiFlowSlot::kSeen) != 0) ++stats_.flows_given_up;
    slot.flags |= DpiFlowSlot::kDone;
    if (slot.app_proto.empty()) set(slot, PortProto::unknown, true);
    return verdict_of(slot);
  }

  void release(DpiFlowSlot& slot) noexcept override { slot.flags |= DpiFlowSlot::kDone; }

  DpiStats stats() const noexcept override { return stats_; }

 private:
  static void set(DpiFlowSlot& slot, PortProto p, bool guessed) noexcept {
    slot.app_id = static_cast<std::uint16_t>(p);
    slot.app_proto = kPortProtoNames[static_cast<std::size_t>(p)];
    slot.family = family_of(p, slot.l4_proto);
    if (guessed) slot.flags |= DpiFlowSlot::kGuessed;
    else slot.flags &= static_cast<std::uint8_t>(~DpiFlowSlot::kGuessed);
  }

  DpiConfig config_;
  DpiStats stats_;
};

}  // namespace

std::unique_ptr<DpiClassifier> DpiClassifier::create(const DpiConfig& config) {
  DpiConfig c = config;
  if (c.max_packets_per_flow == 0) c.max_packets_per_flow = 1;
  return std::make_unique<PortClassifier>(c);
}

}  // namespace outpost::capture
