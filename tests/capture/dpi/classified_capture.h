#pragma once
// Test-only: the flow table and a DpiClassifier wired the way the pipeline wires them (slots in
// a parallel array, state released when a flow ends), run over a real capture.

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "capture/dpi/dpi_classifier.h"
#include "capture/flow/flow_table.h"
#include "support/corpus.h"
#include "support/decoded_capture.h"
#include "support/truth.h"

namespace outpost::test {

using capture::AppFamily;
using capture::DpiClassifier;
using capture::DpiFlowSlot;
using capture::DpiVerdict;

struct ClassifiedFlow {
  std::uint64_t id = 0;
  std::uint8_t l4_proto = 0;
  std::uint16_t server_port = 0;
  std::string app_proto;
  AppFamily family = AppFamily::unknown;
  bool done = false;
  bool guessed = false;
  std::vector<std::string> quic_snis;
  int packets = 0;
  int verdicts_after_done = 0;  // process() calls made although a verdict said done
};

class ClassifiedCapture : public capture::FlowEndListener {
 public:
  explicit ClassifiedCapture(DpiClassifier& dpi, std::uint32_t max_flows = 4096)
      : table_(config(max_flows)), slots_(table_.capacity()), dpi_(dpi) {
    table_.set_end_listener(this);
  }

  // Feeds one packet the way the pipeline does: flow first, then DPI until done.
  void feed(const capture::PacketView& v) {
    const capture::FlowUpdate u = table_.track(v);
    if (u.flow == nullptr) return;
    DpiFlowSlot& slot = slots_[u.index];
    if (u.created) slot = DpiFlowSlot{};
    ClassifiedFlow& f = flows_[u.flow->id];
    if (u.created) {
      f.id = u.flow->id;
      f.l4_proto = u.flow->key.l4_proto;
      f.server_port = u.flow->responder_endpoint().port;
    }
    ++f.packets;
    if (slot.done()) return;
    const DpiVerdict verdict = dpi_.process(slot, v, u.from_initiator);
    record(f, verdict, true);
  }

  long run(const std::string& corpus_file) {
    return for_each_packet(corpus_path(corpus_file), [this](const capture::PacketView& v) { feed(v); });
  }

  // End of capture: every flow ends, the classifier decides and frees what is left.
  void flush() { table_.flush(); }

  void on_flow_end(const capture::FlowRecord& flow, capture::FlowIndex index,
                   capture::FlowEndReason) override {
    DpiFlowSlot& slot = slots_[index];
    record(flows_[flow.id], dpi_.finish(slot), false);
  }

  const std::map<std::uint64_t, ClassifiedFlow>& flows() const { return flows_; }
  std::set<std::string> quic_snis() const {
    std::set<std::string> out;
    for (const auto& [id, f] : flows_) out.insert(f.quic_snis.begin(), f.quic_snis.end());
    return out;
  }
  std::size_t count_family(AppFamily family) const {
    std::size_t n = 0;
    for (const auto& [id, f] : flows_) n += f.family == family ? 1 : 0;
    return n;
  }
  capture::FlowTable& table() { return table_; }

 private:
  static capture::FlowTableConfig config(std::uint32_t max_flows) {
    capture::FlowTableConfig c;
    c.max_flows = max_flows;
    return c;
  }
  static void record(ClassifiedFlow& f, const DpiVerdict& v, bool from_process) {
    if (from_process && f.done) ++f.verdicts_after_done;
    f.app_proto = std::string(v.app_proto);
    f.family = v.family;
    f.done = v.done;
    f.guessed = v.guessed;
    if (!v.quic_sni.empty()) f.quic_snis.emplace_back(v.quic_sni);
  }

  capture::FlowTable table_;
  std::vector<DpiFlowSlot> slots_;
  DpiClassifier& dpi_;
  std::map<std::uint64_t, ClassifiedFlow> flows_;
};

}  // namespace outpost::test
