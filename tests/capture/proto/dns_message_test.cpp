// DnsMessage: hand-built edge cases (RFC 1035 §4) and real captures compared with tshark.

#include "capture/proto/dns_message.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "capture/proto/dns_tcp_framer.h"
#include "capture/proto/tcp_sequence.h"
#include "support/corpus.h"
#include "support/decoded_capture.h"
#include "support/truth.h"

namespace outpost::capture::proto {
namespace {

using test::truth_values;

using Bytes = std::vector<std::uint8_t>;

// Records everything the parser reports.
struct Collected : DnsVisitor {
  int headers = 0;
  DnsHeader header;
  std::vector<std::string> questions;
  std::vector<std::uint16_t> qtypes;
  struct Answer {
    std::string owner, target, address, question;
    std::uint16_t type;
    int question_index;
    int hops;
  };
  std::vector<Answer> answers;

  void on_header(const DnsHeader& h) override {
    ++headers;
    header = h;
  }
  void on_question(const DnsQuestion& q) override {
    questions.emplace_back(q.name.view());
    qtypes.push_back(q.qtype);
  }
  void on_answer(const DnsAnswer& a) override {
    char ip[64] = {};
    if (!a.address.empty()) rules::format_ip(a.address, ip);
    answers.push_back(Answer{std::string(a.owner.view()), std::string(a.target.view()), ip,
                             std::string(a.question.view()), a.type, a.question_index,
                             a.cname_hops});
  }
};

// Small builder for DNS messages.
struct MessageBuilder {
  Bytes b;
  MessageBuilder(std::uint16_t flags, std::uint16_t qd, std::uint16_t an) {
    b = {0x12, 0x34, static_cast<std::uint8_t>(flags >> 8), static_cast<std::uint8_t>(flags),
         0, static_cast<std::uint8_t>(qd), 0, static_cast<std::uint8_t>(an), 0, 0, 0, 0};
  }
  std::size_t name(const std::string& dotted) {  // uncompressed; returns its offset
    const std::size_t off = b.size();
    std::size_t start = 0;
    while (start < dotted.size()) {
      std::size_t dot = dotted.find('.', start);
      if (dot == std::string::npos) dot = dotted.size();
      b.push_back(static_cast<std::uint8_t>(dot - start));
      b.insert(b.end(), dotted.begin() + static_cast<long>(start), dotted.begin() + static_cast<long>(dot));
      start = dot + 1;
    }
    b.push_back(0);
    return off;
  }
  void pointer(std::size_t off) {
    b.push_back(static_cast<std::uint8_t>(0xc0 | (off >> 8)));
    b.push_back(static_cast<std::uint8_t>(off));
  }
  void u16(std::uint16_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
  }
  void question_tail(std::uint16_t qtype = 1) {
    u16(qtype);
    u16(1);
  }
  void rr_tail(std::uint16_t type, std::uint16_t rdlength) {
    u16(type);
    u16(1);
    u16(0);
    u16(300);
    u16(rdlength);
  }
  void a_record_at(std::size_t owner_off, std::uint8_t last_octet) {
    pointer(owner_off);
    rr_tail(kDnsTypeA, 4);
    b.insert(b.end(), {192, 0, 2, last_octet});
  }
};

DnsStatus parse(const Bytes& m, Collected& c) { return parse_dns_message(m.data(), m.size(), c); }

TEST(DnsMessage, ReportsHeaderFieldsAndQuestion) {
  MessageBuilder m(0x8183, 1, 0);  // response, RD, RA, NXDOMAIN
  m.name("Example.COM");
  m.question_tail(28);
  Collected c;
  EXPECT_EQ(parse(m.b, c), DnsStatus::ok);
  ASSERT_EQ(c.headers, 1);
  EXPECT_TRUE(c.header.qr);
  EXPECT_EQ(c.header.opcode, 0);
  EXPECT_EQ(c.header.rcode, 3);
  EXPECT_TRUE(c.header.rd);
  EXPECT_TRUE(c.header.ra);
  EXPECT_EQ(c.header.id, 0x1234);
  ASSERT_EQ(c.questions.size(), 1u);
  EXPECT_EQ(c.questions[0], "Example.COM");  // case kept as on the wire
  EXPECT_EQ(c.qtypes[0], 28);
}

TEST(DnsMessage, FollowsCnameChainToAddresses) {
  MessageBuilder m(0x8180, 1, 4);
  const std::size_t q = m.name("www.example.com");
  m.question_tail();
  // www.example.com CNAME a.cdn.example.net ; a.cdn.example.net CNAME b.cdn.example.net ;
  // b.cdn.example.net A x2 — the A records first, the chain after them (any order is legal).
  const std::size_t b_owner = m.b.size();
  m.name("B.cdn.example.net");  // owner of the first A record, uncompressed, other case
  m.rr_tail(kDnsTypeA, 4);
  m.b.insert(m.b.end(), {192, 0, 2, 1});
  m.a_record_at(b_owner, 2);
  m.pointer(q);
  const std::size_t target1_len_pos = m.b.size() + 8;
  m.rr_tail(kDnsTypeCname, 0);
  const std::size_t target1 = m.name("a.cdn.example.net");
  m.b[target1_len_pos + 1] = static_cast<std::uint8_t>(m.b.size() - target1);
  m.name("A.CDN.Example.NET");  // the same name as target1, other case (RFC 4343)
  m.rr_tail(kDnsTypeCname, 2);
  m.pointer(b_owner);

  Collected c;
  ASSERT_EQ(parse(m.b, c), DnsStatus::ok);
  ASSERT_EQ(c.answers.size(), 4u);
  EXPECT_EQ(c.answers[0].address, "192.0.2.1");
  EXPECT_EQ(c.answers[0].owner, "B.cdn.example.net");
  EXPECT_EQ(c.answers[0].question, "www.example.com");
  EXPECT_EQ(c.answers[0].question_index, 0);
  EXPECT_EQ(c.answers[0].hops, 2);
  EXPECT_EQ(c.answers[1].address, "192.0.2.2");
  EXPECT_EQ(c.answers[1].question, "www.example.com");
  EXPECT_EQ(c.answers[2].type, kDnsTypeCname);
  EXPECT_EQ(c.answers[2].owner, "www.example.com");
  EXPECT_EQ(c.answers[2].target, "a.cdn.example.net");
  EXPECT_EQ(c.answers[2].hops, 0);
  EXPECT_EQ(c.answers[3].target, "B.cdn.example.net");
  EXPECT_EQ(c.answers[3].question, "www.example.com");
  EXPECT_EQ(c.answers[3].hops, 1);
}

TEST(DnsMessage, LeavesUnrelatedAnswersWithoutQuestion) {
  MessageBuilder m(0x8180, 1, 2);
  m.name("a.example");
  m.question_tail();
  const std::size_t other = m.b.size();
  m.name("other.example");
  m.rr_tail(kDnsTypeA, 4);
  m.b.insert(m.b.end(), {10, 0, 0, 1});
  // A CNAME loop that never reaches the question: other CNAME other.
  m.pointer(other);
  m.rr_tail(kDnsTypeCname, 2);
  m.pointer(other);
  Collected c;
  ASSERT_EQ(parse(m.b, c), DnsStatus::ok);
  ASSERT_EQ(c.answers.size(), 2u);
  EXPECT_EQ(c.answers[0].question_index, -1);
  EXPECT_EQ(c.answers[0].question, "");
  EXPECT_EQ(c.answers[1].question_index, -1);
}

TEST(DnsMessage, ReportsAaaaRecords) {
  MessageBuilder m(0x8180, 1, 1);
  const std::size_t q = m.name("v6.example");
  m.question_tail(28);
  m.pointer(q);
  m.rr_tail(kDnsTypeAaaa, 16);
  m.b.insert(m.b.end(), {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  Collected c;
  ASSERT_EQ(parse(m.b, c), DnsStatus::ok);
  ASSERT_EQ(c.answers.size(), 1u);
  EXPECT_EQ(c.answers[0].address, "2001:db8::1");
  EXPECT_EQ(c.answers[0].question, "v6.example");
}

TEST(DnsMessage, RejectsCompressionPointerLoop) {
  // Question 1 is fine; question 2 is a pointer to itself; question 3 would follow.
  MessageBuilder m(0x0100, 3, 0);
  m.name("ok.example");
  m.question_tail();
  m.pointer(m.b.size());
  m.question_tail();
  Collected c;
  EXPECT_EQ(parse(m.b, c), DnsStatus::bad_pointer);
  ASSERT_EQ(c.questions.size(), 1u);
  EXPECT_EQ(c.questions[0], "ok.example");
}

TEST(DnsMessage, RejectsTwoPointersThatPointAtEachOther) {
  MessageBuilder m(0x0100, 1, 0);
  // offset 12: label "a", then pointer to 16; offset 16: pointer back to 12.
  m.b.insert(m.b.end(), {1, 'a', 0xc0, 16, 0xc0, 12});
  m.question_tail();
  Collected c;
  EXPECT_EQ(parse(m.b, c), DnsStatus::bad_pointer);
  EXPECT_TRUE(c.questions.empty());
}

TEST(DnsMessage, RejectsForwardPointer) {
  MessageBuilder m(0x0100, 1, 0);
  m.pointer(20);  // points past itself into the question tail / later data
  m.question_tail();
  m.name("later.example");
  Collected c;
  EXPECT_EQ(parse(m.b, c), DnsStatus::bad_pointer);
}

TEST(DnsMessage, RejectsExtendedLabelType) {
  MessageBuilder m(0x0100, 1, 0);
  m.b.insert(m.b.end(), {0x41, 0x00});
  m.question_tail();
  Collected c;
  EXPECT_EQ(parse(m.b, c), DnsStatus::bad_label_type);
}

// A name of exactly `wire` octets: labels of 63 and a last label to fill.
std::string name_of_wire_length(std::size_t wire) {
  std::string name;
  std::size_t left = wire - 1;  // minus the root label
  char fill = 'a';
  while (left > 0) {
    std::size_t label = left - 1 > 63 ? 63 : left - 1;
    if (left - (label + 1) == 1) --label;  // never leave a 1-octet remainder (a 0-length label)
    if (!name.empty()) name += '.';
    name += std::string(label, fill++);
    left -= label + 1;
  }
  return name;
}

TEST(DnsMessage, AcceptsNameOfExactly255Octets) {
  const std::string name = name_of_wire_length(255);
  MessageBuilder m(0x0100, 1, 0);
  m.name(name);
  ASSERT_EQ(m.b.size() - 12, 255u);
  m.question_tail();
  Collected c;
  EXPECT_EQ(parse(m.b, c), DnsStatus::ok);
  ASSERT_EQ(c.questions.size(), 1u);
  EXPECT_EQ(c.questions[0], name);
  EXPECT_EQ(c.questions[0].size(), 253u);
}

TEST(DnsMessage, RejectsNameOf256Octets) {
  MessageBuilder m(0x0100, 2, 0);
  m.name("first.example");
  m.question_tail();
  m.name(name_of_wire_length(256));
  m.question_tail();
  Collected c;
  EXPECT_EQ(parse(m.b, c), DnsStatus::name_too_long);
  EXPECT_EQ(c.questions.size(), 1u);
}

TEST(DnsMessage, CountsTheLengthOfCompressedNamesAfterExpansion) {
  // 200 octets of labels, then a second name adding 60 more in front via a pointer: 261 > 255.
  MessageBuilder m(0x0100, 2, 0);
  const std::size_t first = m.name(name_of_wire_length(200));
  m.question_tail();
  m.b.push_back(59);
  m.b.insert(m.b.end(), 59, 'x');
  m.pointer(first);
  m.question_tail();
  Collected c;
  EXPECT_EQ(parse(m.b, c), DnsStatus::name_too_long);
  EXPECT_EQ(c.questions.size(), 1u);
}

TEST(DnsMessage, EscapesDotsBackslashesAndNonPrintableBytes) {
  MessageBuilder m(0x0100, 1, 0);
  m.b.insert(m.b.end(), {5, 'a', '.', 'b', '\\', ' ', 3, 0x00, 0xe4, 0x7f, 3, 'c', 'o', 'm', 0});
  m.question_tail();
  Collected c;
  ASSERT_EQ(parse(m.b, c), DnsStatus::ok);
  ASSERT_EQ(c.questions.size(), 1u);
  EXPECT_EQ(c.questions[0], "a\\.b\\\\\\032.\\000\\228\\127.com");
}

TEST(DnsMessage, ReportsQuestionsParsedBeforeATruncatedRecord) {
  MessageBuilder m(0x8180, 1, 3);  // claims 3 answers, carries 1 and a half
  const std::size_t q = m.name("cut.example");
  m.question_tail();
  m.a_record_at(q, 7);
  m.pointer(q);
  m.rr_tail(kDnsTypeA, 4);
  m.b.push_back(192);  // RDATA cut short
  Collected c;
  EXPECT_EQ(parse(m.b, c), DnsStatus::truncated_record);
  ASSERT_EQ(c.questions.size(), 1u);
  ASSERT_EQ(c.answers.size(), 1u);
  EXPECT_EQ(c.answers[0].address, "192.0.2.7");
}

TEST(DnsMessage, ReportsQuestionCountLargerThanTheData) {
  MessageBuilder m(0x0100, 5, 0);
  m.name("one.example");
  m.question_tail();
  m.name("two.example");
  m.b.push_back(0);  // question tail cut
  Collected c;
  EXPECT_EQ(parse(m.b, c), DnsStatus::truncated_question);
  ASSERT_EQ(c.questions.size(), 1u);
  EXPECT_EQ(c.questions[0], "one.example");
}

TEST(DnsMessage, RejectsShortHeader) {
  const Bytes m = {0x12, 0x34, 0x01};
  Collected c;
  EXPECT_EQ(parse(m, c), DnsStatus::truncated_header);
  EXPECT_EQ(c.headers, 0);
}

TEST(DnsMessage, SkipsAddressRecordWithWrongLengthButKeepsOthers) {
  MessageBuilder m(0x8180, 1, 2);
  const std::size_t q = m.name("x.example");
  m.question_tail();
  m.pointer(q);
  m.rr_tail(kDnsTypeA, 5);
  m.b.insert(m.b.end(), {1, 2, 3, 4, 5});
  m.a_record_at(q, 9);
  Collected c;
  EXPECT_EQ(parse(m.b, c), DnsStatus::bad_rdata);
  ASSERT_EQ(c.answers.size(), 1u);
  EXPECT_EQ(c.answers[0].address, "192.0.2.9");
}

TEST(DnsMessage, ReportsRootNameAsEmptyText) {
  MessageBuilder m(0x0100, 1, 0);
  m.b.push_back(0);
  m.question_tail(2);
  Collected c;
  ASSERT_EQ(parse(m.b, c), DnsStatus::ok);
  ASSERT_EQ(c.questions.size(), 1u);
  EXPECT_EQ(c.questions[0], "");
}

TEST(DnsNameNormalization, LowercasesAsciiAndDropsTrailingDot) {
  char out[64];
  std::size_t n = normalize_dns_name("WwW.Example.COM.", out, sizeof out);
  EXPECT_EQ(std::string(out, n), "www.example.com");
  n = normalize_dns_name("A\\.B\\228.", out, sizeof out);  // escapes survive untouched
  EXPECT_EQ(std::string(out, n), "a\\.b\\228");
  n = normalize_dns_name("x\\.", out, sizeof out);  // an escaped final dot is part of the label
  EXPECT_EQ(std::string(out, n), "x\\.");
  EXPECT_EQ(normalize_dns_name("toolong.example", out, 4), 0u);
}

// ---- real captures -------------------------------------------------------------------------

using test::TransportPacket;

bool is_dns_port(const std::string& endpoint) {
  return endpoint.size() > 3 && endpoint.compare(endpoint.size() - 3, 3, ":53") == 0;
}

struct CaptureDns {
  std::set<std::string> names;       // as tshark shows them (raw bytes, UTF-8 sanitized)
  std::vector<DnsStatus> statuses;   // one per message
  std::size_t answers = 0;
};

struct NameSink : DnsVisitor {
  CaptureDns* out;
  explicit NameSink(CaptureDns* o) : out(o) {}
  void on_question(const DnsQuestion& q) override {
    if (q.name.length == 0) return;  // tshark's <Root> is skipped by the truth
    out->names.insert(test::utf8_sanitize(
        test::unescape_dns_text(std::string(q.name.view()))));
  }
  void on_answer(const DnsAnswer&) override { ++out->answers; }
};

CaptureDns dns_of_capture(const std::string& capture) {
  CaptureDns out;
  NameSink sink(&out);
  const auto packets = test::read_transport_packets(test::corpus_path("pcap/" + capture));
  std::map<std::string, std::vector<const TransportPacket*>> tcp_directions;  // "src>dst"
  for (const TransportPacket& s : packets) {
    if (s.tcp()) tcp_directions[s.direction()].push_back(&s);
    if (!s.udp() || !(is_dns_port(s.src()) || is_dns_port(s.dst()))) continue;
    out.statuses.push_back(parse_dns_message(s.payload(), s.payload_len(), sink));
  }
  for (const auto& [dir, segs] : tcp_directions) {
    if (!(is_dns_port(segs[0]->src()) || is_dns_port(segs[0]->dst()))) continue;
    TcpSequenceCursor cursor;
    DnsTcpFramer framer;
    for (const TransportPacket* s : segs) {
      if (s->syn()) cursor.start(s->view().tcp_seq + 1);
      const auto span = cursor.accept(s->view().tcp_seq, s->payload(), s->payload_len());
      framer.feed(span.data, span.len);
      DnsTcpFramer::Message m;
      while (framer.next(m)) out.statuses.push_back(parse_dns_message(m.data, m.len, sink));
    }
  }
  return out;
}

// Lists the differences readably instead of dumping both sets.
void expect_same_names(const std::set<std::string>& got, const std::set<std::string>& want) {
  std::size_t shown = 0;
  for (const auto& n : want)
    if (!got.count(n) && shown++ < 10) ADD_FAILURE() << "missing: " << n;
  for (const auto& n : got)
    if (!want.count(n) && shown++ < 20) ADD_FAILURE() << "unexpected: " << n;
  EXPECT_EQ(got.size(), want.size());
}

TEST(DnsMessageCorpus, FindsAllIodineTunnelNames) {
  OUTPOST_REQUIRE_CORPUS();
  const auto got = dns_of_capture("ndpi__dns-tunnel-iodine.pcap");
  const auto want = truth_values("ndpi__dns-tunnel-iodine.pcap", "dns_query");
  ASSERT_EQ(want.size(), 222u);
  expect_same_names(got.names, want);
}

TEST(DnsMessageCorpus, FindsTheLongDomainName) {
  OUTPOST_REQUIRE_CORPUS();
  const auto got = dns_of_capture("ndpi__dns_long_domainname.pcap");
  expect_same_names(got.names, truth_values("ndpi__dns_long_domainname.pcap", "dns_query"));
  for (DnsStatus s : got.statuses) EXPECT_EQ(s, DnsStatus::ok);
}

TEST(DnsMessageCorpus, FindsPunycodeNames) {
  OUTPOST_REQUIRE_CORPUS();
  const auto got = dns_of_capture("ndpi__punycode-idn.pcap");
  expect_same_names(got.names, truth_values("ndpi__punycode-idn.pcap", "dns_query"));
  EXPECT_GT(got.answers, 0u);
}

TEST(DnsMessageCorpus, KeepsQuestionsOfTruncatedBadPackets) {
  OUTPOST_REQUIRE_CORPUS();
  const auto got = dns_of_capture("ndpi__badpackets.pcap");
  const auto want = truth_values("ndpi__badpackets.pcap", "dns_query");
  EXPECT_EQ(want.size(), 76u);
  expect_same_names(got.names, want);
  std::size_t bad = 0;
  for (DnsStatus s : got.statuses) bad += s != DnsStatus::ok;
  EXPECT_GT(bad, 0u) << "the capture holds responses truncated mid-record";
}

TEST(DnsMessageCorpus, ReportsOverlongNameInMalformedResponse) {
  OUTPOST_REQUIRE_CORPUS();
  const auto got = dns_of_capture("ndpi__malformed_dns.pcap");
  // tshark shows the second question as "<Name too long>"; we report the status instead.
  std::set<std::string> want = truth_values("ndpi__malformed_dns.pcap", "dns_query");
  want.erase("<Name too long>");
  expect_same_names(got.names, want);
  std::size_t too_long = 0;
  for (DnsStatus s : got.statuses) too_long += s == DnsStatus::name_too_long;
  EXPECT_EQ(too_long, 4u);  // frames 2, 3, 5, 6 (tshark: 4 packets with <Name too long>)
}

TEST(DnsMessageCorpus, SplitsSeveralMessagesOfOneTcpStream) {
  OUTPOST_REQUIRE_CORPUS();
  const auto got = dns_of_capture("zeek__dns-edns-tcp-keepalive.pcap");
  expect_same_names(got.names, truth_values("zeek__dns-edns-tcp-keepalive.pcap", "dns_query"));
  for (DnsStatus s : got.statuses) EXPECT_EQ(s, DnsStatus::ok);
  EXPECT_GE(got.statuses.size(), 4u);  // tshark counts the name in 4 frames
}

TEST(DnsMessageCorpus, ReadsDnsOverTcpInFragmentedCapture) {
  OUTPOST_REQUIRE_CORPUS();
  const auto got = dns_of_capture("ndpi__dns_fragmented.pcap");
  // The large UDP responses come in IPv4 and IPv6 fragments, reassembled by the decoder; the
  // TCP ones through the framer.
  const auto want = truth_values("ndpi__dns_fragmented.pcap", "dns_query");
  for (const auto& n : got.names) EXPECT_TRUE(want.count(n)) << n;
  expect_same_names(got.names, want);
  EXPECT_EQ(got.statuses.size(), 43u);  // the DNS messages tshark dissects (-Y dns), all whole
  for (DnsStatus s : got.statuses) EXPECT_EQ(s, DnsStatus::ok);
}

}  // namespace
}  // namespace outpost::capture::proto

namespace outpost::capture::proto {
namespace {

TEST(DnsMessageCorpus, AgreesWithTsharkOnEveryCapture) {
  OUTPOST_REQUIRE_CORPUS();
  std::size_t names = 0;
  for (const std::string& cap : test::corpus_captures()) {
    const auto got = dns_of_capture(cap);
    auto want = truth_values(cap, "dns_query");
    want.erase("<Name too long>");  // tshark's placeholder; we report name_too_long instead
    for (const auto& n : got.names) EXPECT_TRUE(want.count(n)) << cap << " unexpected " << n;
    for (const auto& n : want) EXPECT_TRUE(got.names.count(n)) << cap << " missing " << n;
    names += got.names.size();
  }
  EXPECT_GT(names, 300u);
}

}  // namespace
}  // namespace outpost::capture::proto
