#pragma once
// DpiClassifier: names the application protocol of a flow ("TLS.Google", "DNS", "QUIC.YouTube")
// and tells the pipeline which of our parsers apply (AppFamily). One interface, two
// implementations chosen at build time, each defining DpiClassifier::create():
//   dpi/ndpi/      nDPI 4.2 (the only folder that includes nDPI headers)
//   dpi/portonly/  -DOUTPOST_WITH_NDPI=OFF: well-known ports plus hints from our own parsers
//
// Contract for the caller (the pipeline), per flow:
//   - keep one DpiFlowSlot in the flow's per-flow state, value-initialised when the flow starts;
//   - call process() for the flow's packets until a verdict says done (cheap after that);
//   - when the flow ends call finish() (final name, frees state) or release() (frees state only).
//     A slot that is overwritten while it holds state leaks that state until the classifier is
//     destroyed (the classifier frees everything it handed out when it is destroyed).
// A classifier is single-threaded: one per packet thread. Nothing here reads a clock; time is
// the packet's (PacketView::ts).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "capture/decode/packet.h"

namespace outpost::capture {

// The protocol families our own parsers handle. Fixed width, one name table (app_family_name).
enum class AppFamily : std::uint8_t {
  unknown = 0,
  dns,   // DNS over UDP or TCP (port 53 or identified as DNS)
  tls,   // TLS over TCP (HTTPS, DoT, IMAPS, ...): ClientHello SNI, JA3, certificates
  http,  // cleartext HTTP/1.x
  quic,  // QUIC (IETF and Google): SNI from nDPI only
  count_
};
inline constexpr std::size_t kAppFamilyCount = static_cast<std::size_t>(AppFamily::count_);
std::string_view app_family_name(AppFamily f) noexcept;

// What one of our own parsers recognised in this packet's payload. The port-only classifier
// names flows from these; nDPI ignores them (it looks at the payload itself).
enum class PayloadHint : std::uint8_t {
  none = 0,
  tls_client_hello,
  http_request,
  dns_message,
  quic_initial,
  count_
};
inline constexpr std::size_t kPayloadHintCount = static_cast<std::size_t>(PayloadHint::count_);
std::string_view payload_hint_name(PayloadHint h) noexcept;

// Per-flow classification state, kept by the caller inside its per-flow state. Small and
// trivially copyable; `state` is owned by the classifier.
struct DpiFlowSlot {
  static constexpr std::uint8_t kSeen = 0x01;             // process() saw the flow
  static constexpr std::uint8_t kDone = 0x02;             // no more packets needed
  static constexpr std::uint8_t kGuessed = 0x04;          // app_proto from ports/addresses only
  static constexpr std::uint8_t kQuicSniReported = 0x08;  // quic_sni was handed out

  void* state = nullptr;          // implementation's per-flow state; null unless DPI is running
  std::string_view app_proto;     // best name so far (stable for the classifier's lifetime)
  std::uint16_t master_id = 0;    // implementation's protocol ids (nDPI ids in the nDPI build)
  std::uint16_t app_id = 0;
  std::uint16_t packets_fed = 0;  // payload packets given to the engine
  AppFamily family = AppFamily::unknown;
  std::uint8_t flags = 0;
  std::uint8_t l4_proto = 0;      // of the flow's first packet; later packets must match
  std::uint8_t ip_version = 0;

  bool done() const noexcept { return (flags & kDone) != 0; }
  bool guessed() const noexcept { return (flags & kGuessed) != 0; }
};

struct DpiVerdict {
  bool done = false;       // later packets of this flow need not be passed to process()
  bool changed = false;    // app_proto or family changed with this packet
  bool guessed = false;    // app_proto comes from ports/addresses, not from the payload
  AppFamily family = AppFamily::unknown;
  std::string_view app_proto;  // e.g. "TLS.Google"; empty while nothing is known
  // QUIC server name extracted by the engine: non-empty on exactly one verdict per flow. Points
  // into the classifier and is valid until its next call. nDPI 4.2 keeps at most the LAST 79
  // bytes of a longer name (ndpi_flow_struct::host_server_name is char[80]).
  std::string_view quic_sni;
  bool quic_sni_may_be_cut = false;  // the name filled the engine's buffer
};

struct DpiConfig {
  // Payload packets of one flow given to the engine before it must decide (nDPI: giveup).
  std::uint16_t max_packets_per_flow = 32;
  // Flows whose engine state is alive at once (preallocated). A new flow finding all taken is
  // named from its ports and counted in DpiStats::state_cap_hits.
  std::uint32_t max_flow_states = 1024;
  // On giveup, let the engine fall back to port/address guessing.
  bool guess_on_giveup = true;
};

struct DpiStats {
  std::string_view engine;              // "nDPI 4.2.0", "ports"
  std::uint64_t flows_seen = 0;         // flows process() was called for
  std::uint64_t flows_detected = 0;     // named from payload by the engine
  std::uint64_t flows_given_up = 0;     // hit max_packets_per_flow, or finish() before done
  std::uint64_t flows_guessed_only = 0; // never got engine state (no payload, not TCP/UDP, cap)
  std::uint64_t flows_released_early = 0;  // release() before done
  std::uint64_t states_created = 0;
  std::uint32_t states_live = 0;
  std::uint32_t states_peak = 0;
  std::uint64_t state_cap_hits = 0;
  std::uint64_t packets_fed = 0;
  std::uint64_t packets_without_payload = 0;  // not fed: nothing for the engine to look at
  std::uint64_t packets_cut = 0;        // fed shorter than l3_len (captured bytes, 65535 cap)
  std::uint64_t packets_mismatched = 0; // not fed: IP version or transport differs from the
                                        // flow's first packet (a caller bug; nDPI 4.2 keeps TCP
                                        // and UDP state in one union and would corrupt it)
  std::uint64_t quic_sni_reported = 0;
  std::uint64_t names_interned = 0;     // distinct "master.app" names built
  std::uint64_t name_table_full = 0;    // names that fell back to the app name alone
  // Memory. engine_heap_* cover every allocation the engine made through its allocator hooks,
  // process-wide (the hooks are global); the rest is this classifier's share.
  std::size_t engine_heap_in_use = 0;
  std::size_t engine_heap_peak = 0;
  std::size_t engine_module_bytes = 0;      // fixed cost: the detection module after init
  std::size_t engine_module_growth = 0;     // caches the module grew later, while flows ran
  std::size_t flow_state_pool_bytes = 0;    // preallocated per-flow engine structs
  std::size_t flow_struct_bytes = 0;        // one per-flow engine struct
  std::size_t flow_heap_in_use = 0;         // heap the live flow states hold beyond their struct
  std::size_t flow_heap_peak = 0;
};

class DpiClassifier {
 public:
  // Builds the implementation selected at build time. Returns null when the engine cannot be
  // initialised (out of memory, unsupported engine version).
  static std::unique_ptr<DpiClassifier> create(const DpiConfig& config);

  virtual ~DpiClassifier() = default;

  // Classifies one decoded packet of the slot's flow. `from_initiator` as FlowTable reports it.
  // Engine state is created on the flow's first packet with a TCP/UDP payload, never before.
  virtual DpiVerdict process(DpiFlowSlot& slot, const PacketView& packet, bool from_initiator,
                             PayloadHint hint = PayloadHint::none) noexcept = 0;
  // The flow ended (or the caller stops classifying it): decides with what was seen, frees
  // the engine state and returns the final verdict. Idempotent.
  virtual DpiVerdict finish(DpiFlowSlot& slot) noexcept = 0;
  // Frees the engine state without deciding. Idempotent.
  virtual void release(DpiFlowSlot& slot) noexcept = 0;

  virtual DpiStats stats() const noexcept = 0;
};

// The verdict a slot stands for (no new SNI).
DpiVerdict verdict_of(const DpiFlowSlot& slot) noexcept;

}  // namespace outpost::capture
