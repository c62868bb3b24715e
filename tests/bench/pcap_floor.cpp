// The benchmark's floor: the cheapest possible pass over a capture with libpcap. It reads
// every packet and sums the captured lengths, so any tool that reads the same file cannot be
// faster than this. Built by tests/bench/run (g++ -O2 ... -lpcap); not part of the CMake build.
//
// usage: pcap_floor FILE   ->  prints "packets <n> captured_bytes <sum>" on stdout
#include <pcap/pcap.h>

#include <cstdint>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: pcap_floor FILE\n");
    return 2;
  }
  char error[PCAP_ERRBUF_SIZE] = {};
  pcap_t* capture = pcap_open_offline(argv[1], error);
  if (capture == nullptr) {
    std::fprintf(stderr, "pcap_floor: %s\n", error);
    return 2;
  }
  std::uint64_t packets = 0;
  std::uint64_t captured_bytes = 0;
  struct pcap_pkthdr* header = nullptr;
  const unsigned char* data = nullptr;
  int status = 0;
  while ((status = pcap_next_ex(capture, &header, &data)) == 1) {
    ++packets;
    captured_bytes += header->caplen;
  }
  const bool failed = status == PCAP_ERROR;
  if (failed) std::fprintf(stderr, "pcap_floor: %s\n", pcap_geterr(capture));
  pcap_close(capture);
  std::printf("packets %llu captured_bytes %llu\n", static_cast<unsigned long long>(packets),
              static_cast<unsigned long long>(captured_bytes));
  return failed ? 1 : 0;
}
