#include "capture/decode/packet_decoder.h"

#include "capture/decode/layer_walk.h"

namespace outpost::capture {

namespace {

FragmentConfig fragment_config(const DecoderConfig& c) noexcept {
  FragmentConfig f;
  f.max_datagrams = c.max_fragment_datagrams;
  f.max_bytes = c.max_fragment_bytes;
  f.timeout = c.fragment_timeout;
  return f;
}

// Resets what a frame may set, field by field: ips[] entries past ip_count and the MAC bytes
// when has_mac is false are left as they were.
void reset(PacketView& v, TimeUs ts, std::uint32_t wire_len) noexcept {
  v.ts = ts;
  v.wire_len = wire_len;
  v.drop = DropReason::none;
  v.has_mac = false;
  v.vlan = 0;
  v.ip_count = 0;
  v.l3 = nullptr;
  v.l3_len = 0;
  v.ip_version = 0;
  v.src.family = 0;
  v.dst.family = 0;
  v.l4_proto = 0;
  v.src_port = v.dst_port = 0;
  v.tcp_flags = 0;
  v.tcp_seq = v.tcp_ack = 0;
  v.payload = nullptr;
  v.payload_len = 0;
  v.payload_truncated = false;
}

}  // namespace

bool PacketDecoder::supports_link(int dlt) noexcept { return decode_detail::link_supported(dlt); }

PacketDecoder::PacketDecoder(const DecoderConfig& config) : fragments_(fragment_config(config)) {}

DecodeStatus PacketDecoder::decode(int dlt, const std::uint8_t* frame, std::size_t caplen,
                                   std::uint32_t wire_len, TimeUs ts, PacketView& out) noexcept {
  reset(out, ts, wire_len);
  ++counters_.frames;
  if (frame == nullptr) caplen = 0;
  decode_detail::LayerWalk walk(out, fragments_, counters_);
  walk.ts = ts;
  walk.frame_complete = caplen >= wire_len;
  DecodeStatus status = decode_detail::decode_link(walk, dlt, frame, caplen, false);
  if (status == DecodeStatus::ok && out.l3 == nullptr) status = DecodeStatus::not_ip;
  switch (status) {
    case DecodeStatus::ok:
      ++counters_.ok;
      if (walk.flow_index > 0) ++counters_.tunnelled;
      break;
    case DecodeStatus::not_ip: ++counters_.not_ip; break;
    case DecodeStatus::held: ++counters_.held; break;
    case DecodeStatus::dropped:
      ++counters_.dropped;
      ++counters_.dropped_by[static_cast<std::size_t>(out.drop)];
      break;
  }
  return status;
}

const DecoderCounters& PacketDecoder::counters() const noexcept {
  counters_.fragments = fragments_.counters();
  return counters_;
}

}  // namespace outpost::capture
