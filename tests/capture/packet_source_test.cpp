#include "capture/packet_source.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>

#include "support/corpus.h"

namespace outpost::capture {
namespace {

std::size_t count_frames(PacketSource& s) {
  std::size_t n = 0;
  Frame f;
  while (s.next(f)) ++n;
  return n;
}

TEST(PacketSource, ReadsEveryFrameOfPcapAndPcapngFiles) {
  OUTPOST_REQUIRE_CORPUS();
  auto a = PacketSource::open_offline(test::corpus_path("pcap/zeek__pppoe-over-qinq.pcap"));
  EXPECT_EQ(count_frames(*a), 86u);
  EXPECT_EQ(a->state(), PacketSource::State::end);
  auto b = PacketSource::open_offline(test::corpus_path("pcap/ndpi__sites.pcapng"));
  EXPECT_EQ(count_frames(*b), 699u);
  EXPECT_TRUE(b->warning().empty());
}

TEST(PacketSource, NanosecondCapturesGiveMicrosecondTimes) {
  OUTPOST_REQUIRE_CORPUS();
  auto s = PacketSource::open_offline(test::corpus_path("pcap/ndpi__someip_sd_sample.pcap"));
  Frame f;
  ASSERT_TRUE(s->next(f));
  EXPECT_GT(f.ts, 1000000000LL * 1000000);  // a plausible epoch time in microseconds
  EXPECT_LT(f.ts, 4000000000LL * 1000000);
}

TEST(PacketSource, CaptureCutShortStopsWithAWarningNamingFileAndOffset) {
  OUTPOST_REQUIRE_CORPUS();
  const std::string path = test::corpus_path("pcap/ndpi__fuzz-2021-10-13.pcap");
  auto s = PacketSource::open_offline(path);
  count_frames(*s);
  EXPECT_EQ(s->state(), PacketSource::State::truncated);
  EXPECT_NE(s->warning().find(path), std::string::npos) << s->warning();
  EXPECT_NE(s->warning().find("offset"), std::string::npos) << s->warning();
}

TEST(PacketSource, AFileThatIsNotACaptureThrowsNamingIt) {
  const std::string path = test::source_dir() + "/README.md";
  try {
    PacketSource::open_offline(path);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(PacketSource, ABadFilterIsRefusedNamingTheFilter) {
  if (::geteuid() != 0) GTEST_SKIP() << "live capture needs root (CI runs as root)";
#ifdef OUTPOST_TEST_EMULATOR
  GTEST_SKIP() << "under qemu-user: it does not emulate the SIOCETHTOOL ioctl libpcap opens a live interface with";
#endif
  LiveOptions o;
  o.interface = "lo";
  o.bpf_filter = "udp prt 53";
  try {
    PacketSource::open_live(o);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("udp prt 53"), std::string::npos) << e.what();
  }
}

TEST(PacketSource, LiveCaptureOnLoopbackSeesADatagramThroughItsFilter) {
  if (::geteuid() != 0) GTEST_SKIP() << "live capture needs root (CI runs as root)";
#ifdef OUTPOST_TEST_EMULATOR
  GTEST_SKIP() << "under qemu-user: it does not emulate the SIOCETHTOOL ioctl libpcap opens a live interface with";
#endif
  LiveOptions o;
  o.interface = "lo";
  o.bpf_filter = "udp dst port 53535";
  o.timeout_ms = 10;
  auto src = PacketSource::open_live(o);
  ASSERT_GE(src->selectable_fd(), 0);

  const int sock = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(53535);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const char msg[] = "outpost live capture test";
  Frame f;
  bool seen = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    ::sendto(sock, msg, sizeof msg, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    pollfd p{src->selectable_fd(), POLLIN, 0};
    ::poll(&p, 1, 100);
    while (src->next(f))
      if (f.caplen >= sizeof msg) seen = true;
  }
  ::close(sock);
  EXPECT_TRUE(seen);
  EXPECT_EQ(src->state(), PacketSource::State::ok);
}

}  // namespace
}  // namespace outpost::capture
