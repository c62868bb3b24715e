// libFuzzer target: raw IP packets through the DpiClassifier (nDPI 4.2 in the nDPI build, the
// port-only classifier otherwise), as the pipeline drives it.
//
// Input: a sequence of records
//   [control: 1 byte][length: 2 bytes, big-endian][length bytes: an IP packet from its header]
// control bits 0-2 pick one of 8 flows (slots), bit 3 says the packet comes from the responder,
// bit 4 finishes the flow after the packet, bit 5 releases it. A record longer than the rest of
// the input is cut: the packet then claims more bytes (IP total length) than it has, as a
// snaplen-truncated capture does. Every packet sits in its own heap block of exactly its
// length, so a read past it is an ASan report. Packets are decoded by the real PacketDecoder as
// a raw-IP link delivers them (tunnels followed; fragments reassembled within one input only).
//
// Seeds: IP packets of real captures (see capture/dpi/README.md, "Fuzzing").

#include <pcap/pcap.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "capture/decode/packet_decoder.h"
#include "capture/dpi/dpi_classifier.h"

namespace {

using outpost::capture::DecodeStatus;
using outpost::capture::DecoderConfig;
using outpost::capture::DpiClassifier;
using outpost::capture::DpiConfig;
using outpost::capture::DpiFlowSlot;
using outpost::capture::PacketDecoder;
using outpost::capture::PacketView;

constexpr std::size_t kSlots = 8;

DpiClassifier& classifier() {
  // The detection module costs megabytes and tens of milliseconds: build it once.
  static std::unique_ptr<DpiClassifier> dpi = [] {
    DpiConfig config;
    config.max_packets_per_flow = 32;
    config.max_flow_states = kSlots;
    return DpiClassifier::create(config);
  }();
  return *dpi;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  DpiClassifier& dpi = classifier();
  DpiFlowSlot slots[kSlots];
  std::int64_t ts = 1700000000000000;
  // A decoder per input, with small reassembly bounds: no state carries over between inputs.
  DecoderConfig decoder_config;
  decoder_config.max_fragment_datagrams = 4;
  decoder_config.max_fragment_bytes = 8 * 1024;
  PacketDecoder decoder(decoder_config);

  while (size >= 3) {
    const std::uint8_t control = data[0];
    std::size_t len = (std::size_t{data[1]} << 8) | data[2];
    data += 3;
    size -= 3;
    if (len > size) len = size;
    std::unique_ptr<std::uint8_t[]> packet(new std::uint8_t[len == 0 ? 1 : len]);
    if (len != 0) std::memcpy(packet.get(), data, len);
    data += len;
    size -= len;

    PacketView view;
    const DecodeStatus status =
        decoder.decode(DLT_RAW, packet.get(), len, static_cast<std::uint32_t>(len), ts, view);
    ts += 1000;
    if (status != DecodeStatus::ok) continue;
    DpiFlowSlot& slot = slots[control & 7u];
    dpi.process(slot, view, (control & 8u) == 0);
    if ((control & 16u) != 0) dpi.finish(slot);
    if ((control & 32u) != 0) dpi.release(slot);
  }
  for (DpiFlowSlot& slot : slots) dpi.release(slot);
  return 0;
}
