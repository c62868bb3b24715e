#include "capture/flow/flow_key.h"

#include <gtest/gtest.h>

#include <set>

#include "capture/flow/test_frames.h"

namespace outpost::capture {
namespace {

using test::ipv4_packet;

TEST(FlowKey, IsTheSameForBothDirectionsOfAConversation) {
  const PacketView out = ipv4_packet(6, "192.168.1.10", 51000, "93.184.216.34", 443, 0);
  const PacketView back = ipv4_packet(6, "93.184.216.34", 443, "192.168.1.10", 51000, 0);
  FlowKey a, b;
  bool a_src0 = false, b_src0 = false;
  ASSERT_TRUE(flow_key_of(out, a, a_src0));
  ASSERT_TRUE(flow_key_of(back, b, b_src0));
  EXPECT_EQ(a, b);
  EXPECT_NE(a_src0, b_src0);
  EXPECT_EQ(flow_key_hash(a, 7), flow_key_hash(b, 7));
}

TEST(FlowKey, OrdersEndpointsByAddressThenPort) {
  FlowKey k;
  bool src0 = false;
  ASSERT_TRUE(flow_key_of(ipv4_packet(17, "10.0.0.2", 53, "10.0.0.1", 40000, 0), k, src0));
  EXPECT_FALSE(src0);
  EXPECT_EQ(k.endpoint(0).port, 40000);
  EXPECT_EQ(k.endpoint(1).port, 53);
  ASSERT_TRUE(flow_key_of(ipv4_packet(17, "10.0.0.1", 9000, "10.0.0.1", 8000, 0), k, src0));
  EXPECT_FALSE(src0);  // same address: the lower port is endpoint 0
  EXPECT_EQ(k.endpoint(0).port, 8000);
}

TEST(FlowKey, SeparatesVlansProtocolsAndPorts) {
  FlowKey base, vlan, proto, port;
  bool s = false;
  ASSERT_TRUE(flow_key_of(ipv4_packet(17, "10.0.0.1", 1000, "10.0.0.2", 53, 0), base, s));
  ASSERT_TRUE(flow_key_of(ipv4_packet(17, "10.0.0.1", 1000, "10.0.0.2", 53, 0, 0, 100), vlan, s));
  ASSERT_TRUE(flow_key_of(ipv4_packet(6, "10.0.0.1", 1000, "10.0.0.2", 53, 0), proto, s));
  ASSERT_TRUE(flow_key_of(ipv4_packet(17, "10.0.0.1", 1001, "10.0.0.2", 53, 0), port, s));
  EXPECT_NE(base, vlan);
  EXPECT_NE(base, proto);
  EXPECT_NE(base, port);
  EXPECT_EQ(vlan.vlan, 100);
}

TEST(FlowKey, KeepsIpv6AddressesWhole) {
  PacketView v = ipv4_packet(6, "10.0.0.1", 1, "10.0.0.2", 2, 0);
  v.ip_version = 6;
  ASSERT_TRUE(rules::parse_ip("2001:db8::1", v.src));
  ASSERT_TRUE(rules::parse_ip("2001:db8::1:1", v.dst));
  FlowKey k;
  bool s = false;
  ASSERT_TRUE(flow_key_of(v, k, s));
  EXPECT_EQ(k.family, 6);
  EXPECT_TRUE(k.endpoint(0).ip == v.src);
  EXPECT_TRUE(k.endpoint(1).ip == v.dst);
}

TEST(FlowKey, RefusesPacketsWithoutAnIpLayer) {
  PacketView v;
  FlowKey k;
  bool s = false;
  EXPECT_FALSE(flow_key_of(v, k, s));
}

TEST(FlowKeyHash, DependsOnTheSeedAndSpreadsNearbyTuples) {
  FlowKey k;
  bool s = false;
  ASSERT_TRUE(flow_key_of(ipv4_packet(6, "10.0.0.1", 1000, "10.0.0.2", 80, 0), k, s));
  EXPECT_NE(flow_key_hash(k, 1), flow_key_hash(k, 2));
  // Sequential source ports (a scan, a flood) must not crowd into few of 1024 buckets.
  std::set<std::uint64_t> buckets;
  for (std::uint16_t port = 1000; port < 2024; ++port) {
    ASSERT_TRUE(flow_key_of(ipv4_packet(6, "10.0.0.1", port, "10.0.0.2", 80, 0), k, s));
    buckets.insert(flow_key_hash(k, 42) & 1023u);
  }
  EXPECT_GT(buckets.size(), 600u);  // a uniform hash fills about 647 of 1024
}

}  // namespace
}  // namespace outpost::capture
