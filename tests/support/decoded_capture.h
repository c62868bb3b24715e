#pragma once
// A capture file read the way the pipeline reads it: frames from capture::PacketSource
// (libpcap), each decoded by the real capture::PacketDecoder (link layers, VLAN/MPLS/PPPoE,
// tunnels, IP reassembly). Shared by the flow, DPI and protocol tests so that no test carries a
// packet parser of its own.
//
// A PacketView points into the frame or the reassembler's buffer only until the next decode:
// stream views with DecodedCapture / for_each_packet, or keep TransportPacket copies.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "capture/decode/packet_decoder.h"

namespace outpost::capture {
class PacketSource;
}

namespace outpost::test {

class DecodedCapture {
 public:
  // Opens the file; when it cannot be read, is_open() is false and error() says why.
  explicit DecodedCapture(const std::string& path, const capture::DecoderConfig& config = {});
  ~DecodedCapture();
  DecodedCapture(const DecodedCapture&) = delete;
  DecodedCapture& operator=(const DecodedCapture&) = delete;

  bool is_open() const { return source_ != nullptr; }
  // Why the file could not be opened, or where it was cut short (frames before were read).
  const std::string& error() const { return error_; }

  // Reads and decodes the next frame; false at the end of the capture.
  bool next();
  // 1-based, as tshark numbers frames. A reassembled datagram comes with its last fragment.
  std::uint32_t frame() const { return frame_; }
  capture::DecodeStatus status() const { return status_; }
  // The frame just decoded; valid until the next call to next().
  const capture::PacketView& view() const { return view_; }
  const capture::DecoderCounters& counters() const { return decoder_.counters(); }

 private:
  std::unique_ptr<capture::PacketSource> source_;
  capture::PacketDecoder decoder_;
  capture::PacketView view_;
  capture::DecodeStatus status_ = capture::DecodeStatus::not_ip;
  std::uint32_t frame_ = 0;
  std::string error_;
};

// Calls fn for every frame decoded to an IP packet (status ok); the view is valid during the
// call only. Returns the number of frames read, or -1 when the file cannot be opened.
long for_each_packet(const std::string& path, const std::function<void(const capture::PacketView&)>& fn);

// One TCP segment or UDP datagram (the innermost packet of its frame) that outlives the decoder:
// its view's l3 and payload point into bytes the packet owns.
class TransportPacket {
 public:
  TransportPacket(std::uint32_t frame, const capture::PacketView& view);
  TransportPacket(const TransportPacket& other);
  TransportPacket& operator=(const TransportPacket& other);
  TransportPacket(TransportPacket&&) noexcept = default;  // a moved vector keeps its buffer
  TransportPacket& operator=(TransportPacket&&) noexcept = default;

  std::uint32_t frame() const { return frame_; }
  const capture::PacketView& view() const { return view_; }
  bool tcp() const { return view_.l4_proto == 6; }
  bool udp() const { return view_.l4_proto == 17; }
  bool syn() const { return (view_.tcp_flags & 0x02) != 0; }
  // A SYN without ACK: the first packet of a client.
  bool pure_syn() const { return (view_.tcp_flags & 0x12) == 0x02; }
  const std::uint8_t* payload() const { return view_.payload; }
  std::size_t payload_len() const { return view_.payload_len; }

  // "addr:port", "[v6addr]:port".
  const std::string& src() const { return src_; }
  const std::string& dst() const { return dst_; }
  std::string direction() const { return src_ + ">" + dst_; }
  // Both endpoints without direction, to group the two directions of one flow.
  std::string flow() const { return src_ < dst_ ? src_ + "|" + dst_ : dst_ + "|" + src_; }

 private:
  void point_into_bytes(const capture::PacketView& from, const std::uint8_t* from_bytes);

  std::uint32_t frame_ = 0;
  capture::PacketView view_;
  std::vector<std::uint8_t> bytes_;  // the captured bytes of the IP datagram, from its header
  std::string src_, dst_;
};

// Every TCP segment and UDP datagram of the capture, in the order the decoder completes them.
// Empty, with a message in `error`, when the file cannot be opened.
std::vector<TransportPacket> read_transport_packets(const std::string& path, std::string* error = nullptr);

// Decodes one IP packet that starts at `ip` (caplen bytes captured, wire_len on the wire; 0 means
// caplen) with a decoder of its own, as a raw-IP link delivers it. The view points into `ip`.
capture::DecodeStatus decode_ip_packet(const std::uint8_t* ip, std::size_t caplen, rules::TimeUs ts,
                                       capture::PacketView& out, std::uint32_t wire_len = 0);

}  // namespace outpost::test
