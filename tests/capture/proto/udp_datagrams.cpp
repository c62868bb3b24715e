#include "udp_datagrams.h"

#include <pcap/pcap.h>

#include "capture/decode/packet_decoder.h"
#include "rules/observation.h"

namespace outpost::test::proto_support {

namespace {

std::string endpoint(const rules::IpAddress& ip, std::uint16_t port) {
  char buf[64];
  const std::size_t n = rules::format_ip(ip, buf);
  const std::string addr(buf, n);
  return (addr.find(':') != std::string::npos ? "[" + addr + "]" : addr) + ":" + std::to_string(port);
}

}  // namespace

std::vector<UdpDatagram> read_udp_datagrams(const std::string& path, std::string* error) {
  std::vector<UdpDatagram> out;
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (p == nullptr) {
    if (error != nullptr) *error = err;
    return out;
  }
  const int dlt = pcap_datalink(p);
  capture::PacketDecoder decoder;
  capture::PacketView view;
  pcap_pkthdr* h = nullptr;
  const u_char* d = nullptr;
  std::uint32_t frame = 0;
  while (pcap_next_ex(p, &h, &d) == 1) {
    ++frame;
    const rules::TimeUs ts = static_cast<rules::TimeUs>(h->ts.tv_sec) * 1000000 + h->ts.tv_usec;
    if (decoder.decode(dlt, d, h->caplen, h->len, ts, view) != capture::DecodeStatus::ok) continue;
    if (view.l4_proto != 17 || view.payload == nullptr) continue;
    UdpDatagram u;
    u.frame = frame;
    u.src = endpoint(view.src, view.src_port);
    u.dst = endpoint(view.dst, view.dst_port);
    u.src_port = view.src_port;
    u.dst_port = view.dst_port;
    u.payload.assign(view.payload, view.payload + view.payload_len);
    out.push_back(std::move(u));
  }
  pcap_close(p);
  return out;
}

}  // namespace outpost::test::proto_support
