#include "support/decoded_capture.h"

#include <pcap/pcap.h>

#include <stdexcept>

#include "capture/packet_source.h"
#include "rules/observation.h"

namespace outpost::test {

namespace {

std::string endpoint(const rules::IpAddress& ip, std::uint16_t port) {
  char buf[64];
  const std::string addr(buf, rules::format_ip(ip, buf));
  return (ip.family == 6 ? "[" + addr + "]" : addr) + ":" + std::to_string(port);
}

}  // namespace

DecodedCapture::DecodedCapture(const std::string& path, const capture::DecoderConfig& config)
    : decoder_(config) {
  try {
    source_ = capture::PacketSource::open_offline(path);
  } catch (const std::runtime_error& e) {
    error_ = e.what();
  }
}

DecodedCapture::~DecodedCapture() = default;

bool DecodedCapture::next() {
  if (source_ == nullptr) return false;
  capture::Frame f;
  if (!source_->next(f)) {
    if (source_->state() == capture::PacketSource::State::truncated) error_ = source_->warning();
    return false;
  }
  ++frame_;
  status_ = decoder_.decode(source_->datalink(), f.data, f.caplen, f.wire_len, f.ts, view_);
  return true;
}

long for_each_packet(const std::string& path, const std::function<void(const capture::PacketView&)>& fn) {
  DecodedCapture capture(path);
  if (!capture.is_open()) return -1;
  while (capture.next())
    if (capture.status() == capture::DecodeStatus::ok) fn(capture.view());
  return static_cast<long>(capture.frame());
}

TransportPacket::TransportPacket(std::uint32_t frame, const capture::PacketView& view)
    : frame_(frame),
      view_(view),
      src_(endpoint(view.src, view.src_port)),
      dst_(endpoint(view.dst, view.dst_port)) {
  // From the IP header to the end of the transport payload (the payload lies inside the
  // datagram; without one, only the header fields are kept).
  const std::uint8_t* begin = view.l3 != nullptr && view.l3 <= view.payload ? view.l3 : view.payload;
  if (begin != nullptr) bytes_.assign(begin, view.payload + view.payload_len);
  point_into_bytes(view, begin);
}

TransportPacket::TransportPacket(const TransportPacket& other)
    : frame_(other.frame_), view_(other.view_), bytes_(other.bytes_), src_(other.src_), dst_(other.dst_) {
  point_into_bytes(other.view_, other.bytes_.data());
}

TransportPacket& TransportPacket::operator=(const TransportPacket& other) {
  if (this != &other) {
    frame_ = other.frame_;
    view_ = other.view_;
    bytes_ = other.bytes_;
    src_ = other.src_;
    dst_ = other.dst_;
    point_into_bytes(other.view_, other.bytes_.data());
  }
  return *this;
}

void TransportPacket::point_into_bytes(const capture::PacketView& from, const std::uint8_t* from_bytes) {
  auto rebase = [&](const std::uint8_t* p) -> const std::uint8_t* {
    if (p == nullptr || from_bytes == nullptr || p < from_bytes) return nullptr;
    return bytes_.data() + (p - from_bytes);
  };
  view_.l3 = rebase(from.l3);
  view_.payload = rebase(from.payload);
}

std::vector<TransportPacket> read_transport_packets(const std::string& path, std::string* error) {
  std::vector<TransportPacket> out;
  DecodedCapture capture(path);
  while (capture.next()) {
    const capture::PacketView& v = capture.view();
    if (capture.status() != capture::DecodeStatus::ok || v.payload == nullptr) continue;
    if (v.l4_proto != 6 && v.l4_proto != 17) continue;
    out.emplace_back(capture.frame(), v);
  }
  if (error != nullptr && !capture.is_open()) *error = capture.error();
  return out;
}

capture::DecodeStatus decode_ip_packet(const std::uint8_t* ip, std::size_t caplen, rules::TimeUs ts,
                                       capture::PacketView& out, std::uint32_t wire_len) {
  // A packet of its own needs no room for reassembly; the smallest bounds keep this cheap.
  capture::DecoderConfig config;
  config.max_fragment_datagrams = 1;
  config.max_fragment_bytes = 1;
  capture::PacketDecoder decoder(config);
  if (wire_len == 0) wire_len = static_cast<std::uint32_t>(caplen);
  const capture::DecodeStatus status = decoder.decode(DLT_RAW, ip, caplen, wire_len, ts, out);
  // One packet cannot complete a reassembly, so the view lies in `ip`; the decoder's own buffer
  // would not outlive this call.
  if (status == capture::DecodeStatus::ok && (out.l3 < ip || out.l3 >= ip + caplen)) {
    out.l3 = out.payload = nullptr;
    return capture::DecodeStatus::dropped;
  }
  return status;
}

}  // namespace outpost::test
