#pragma once
// PacketSource: the libpcap adapter at the edge. Offline files (pcap and pcapng, micro- or
// nanosecond) and live interfaces. Everything behind it (decoder, flows, parsers) takes bytes
// and packet times only, so it is testable without a capture device.

#include <pcap/pcap.h>

#include <cstdint>
#include <memory>
#include <string>

#include "rules/observation.h"

namespace outpost::capture {

struct Frame {
  const std::uint8_t* data = nullptr;
  std::uint32_t caplen = 0;
  std::uint32_t wire_len = 0;
  rules::TimeUs ts = 0;
};

struct LiveOptions {
  std::string interface;
  std::string bpf_filter;      // empty: everything
  int snaplen = 2048;          // enough for handshakes and heads; full payload not needed
  int buffer_bytes = 4 << 20;  // kernel ring buffer
  bool promiscuous = false;
  int timeout_ms = 100;
};

class PacketSource {
 public:
  enum class State : std::uint8_t { ok, end, truncated, error };

  // Opens a capture file. Throws std::runtime_error("FILE: reason") when the file cannot be
  // opened or is not a capture.
  static std::unique_ptr<PacketSource> open_offline(const std::string& path);
  // Opens and activates a live capture. Throws std::runtime_error naming the interface.
  static std::unique_ptr<PacketSource> open_live(const LiveOptions& options);

  ~PacketSource();
  PacketSource(const PacketSource&) = delete;
  PacketSource& operator=(const PacketSource&) = delete;

  int datalink() const noexcept;
  const std::string& name() const noexcept { return name_; }

  // Reads the next frame. Returns false at the end of a file, on a corrupt or cut-short
  // record (state() says which; warning() names the file and byte offset), or when a live
  // capture has nothing more right now (state() stays ok).
  bool next(Frame& frame) noexcept;

  State state() const noexcept { return state_; }
  const std::string& warning() const noexcept { return warning_; }
  // Selectable fd of a live capture (non-blocking), -1 for files.
  int selectable_fd() const noexcept;
  // Byte offset reached in a capture file (for progress), -1 for live captures.
  long position() const noexcept;
  // Kernel/libpcap drop counters of a live capture (0 for files).
  std::uint64_t dropped_by_kernel() const noexcept;

 private:
  PacketSource(pcap_t* handle, std::string name, bool live);
  pcap_t* handle_;
  std::string name_;
  bool live_;
  State state_ = State::ok;
  std::string warning_;
  std::uint64_t frames_ = 0;
};

}  // namespace outpost::capture
