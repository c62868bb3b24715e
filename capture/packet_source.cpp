#include "capture/packet_source.h"

#include <cstdio>
#include <stdexcept>

namespace outpost::capture {

PacketSource::PacketSource(pcap_t* handle, std::string name, bool live)
    : handle_(handle), name_(std::move(name)), live_(live) {}

PacketSource::~PacketSource() {
  if (handle_ != nullptr) pcap_close(handle_);
}

std::unique_ptr<PacketSource> PacketSource::open_offline(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  // Microsecond precision: libpcap scales nanosecond files for us, and TimeUs is in us.
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, err);
  if (p == nullptr) throw std::runtime_error(path + ": cannot read capture: " + err);
  return std::unique_ptr<PacketSource>(new PacketSource(p, path, false));
}

std::unique_ptr<PacketSource> PacketSource::open_live(const LiveOptions& o) {
  char err[PCAP_ERRBUF_SIZE] = {};
  const std::string who = "interface " + o.interface;
  pcap_t* p = pcap_create(o.interface.c_str(), err);
  if (p == nullptr) throw std::runtime_error(who + ": " + err);
  auto fail = [&](const std::string& what) {
    std::string msg = who + ": " + what + ": " + pcap_geterr(p);
    pcap_close(p);
    throw std::runtime_error(msg);
  };
  if (pcap_set_snaplen(p, o.snaplen) != 0) fail("bad snaplen");
  if (pcap_set_buffer_size(p, o.buffer_bytes) != 0) fail("bad buffer size");
  if (pcap_set_promisc(p, o.promiscuous ? 1 : 0) != 0) fail("cannot set promiscuous mode");
  if (pcap_set_timeout(p, o.timeout_ms) != 0) fail("bad timeout");
  if (pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO) != 0) { /* default is micro */ }
  const int rc = pcap_activate(p);
  if (rc < 0) fail("cannot activate capture");
  if (!o.bpf_filter.empty()) {
    bpf_program prog{};
    if (pcap_compile(p, &prog, o.bpf_filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
      fail("bad BPF filter '" + o.bpf_filter + "'");
    const int set = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (set != 0) fail("cannot set BPF filter");
  }
  if (pcap_setnonblock(p, 1, err) != 0) fail(std::string("cannot set non-blocking: ") + err);
  return std::unique_ptr<PacketSource>(new PacketSource(p, o.interface, true));
}

int PacketSource::datalink() const noexcept { return pcap_datalink(handle_); }

int PacketSource::selectable_fd() const noexcept { return live_ ? pcap_get_selectable_fd(handle_) : -1; }

long PacketSource::position() const noexcept {
  if (live_) return -1;
  FILE* f = pcap_file(handle_);
  return f != nullptr ? std::ftell(f) : -1;
}

std::uint64_t PacketSource::dropped_by_kernel() const noexcept {
  if (!live_) return 0;
  pcap_stat st{};
  if (pcap_stats(handle_, &st) != 0) return 0;
  return static_cast<std::uint64_t>(st.ps_drop) + st.ps_ifdrop;
}

bool PacketSource::next(Frame& frame) noexcept {
  if (state_ != State::ok) return false;
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(handle_, &hdr, &data);
  if (rc == 1) {
    ++frames_;
    frame.data = data;
    frame.caplen = hdr->caplen;
    frame.wire_len = hdr->len;
    frame.ts = static_cast<rules::TimeUs>(hdr->ts.tv_sec) * 1000000 + hdr->ts.tv_usec;
    return true;
  }
  if (rc == 0) return false;  // live: nothing right now
  if (rc == PCAP_ERROR_BREAK) {
    state_ = State::end;
    return false;
  }
  // A corrupt or cut-short record: everything before it was delivered. Name the offset of
  // the record libpcap could not read (its reader stops at the damaged record).
  state_ = live_ ? State::error : State::truncated;
  long offset = -1;
  if (!live_) {
    if (FILE* f = pcap_file(handle_)) offset = std::ftell(f);
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "after %llu frames, near byte offset %ld",
                static_cast<unsigned long long>(frames_), offset);
  warning_ = name_ + ": capture cut short or corrupt " + buf + ": " + pcap_geterr(handle_);
  return false;
}

}  // namespace outpost::capture
