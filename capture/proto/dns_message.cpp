#include "capture/proto/dns_message.h"

#include <cstring>

namespace outpost::capture::proto {

namespace {

constexpr std::string_view kDnsStatusNames[kDnsStatusCount] = {
    "ok",          "truncated_header", "truncated_question", "truncated_record",
    "bad_pointer", "bad_label_type",   "name_too_long",      "bad_rdata",
};

constexpr std::size_t kHeaderBytes = 12;
constexpr std::size_t kRecordFixedBytes = 10;  // TYPE, CLASS, TTL, RDLENGTH (RFC 1035 §4.1.3)

std::uint16_t be16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t be32(const std::uint8_t* p) noexcept {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) | p[3];
}

// Internal outcome of walking a name; `truncated` is mapped to the section's status.
enum class NameResult : std::uint8_t { ok, truncated, bad_pointer, bad_label_type, too_long };

DnsStatus to_status(NameResult r, DnsStatus truncated) noexcept {
  switch (r) {
    case NameResult::ok: return DnsStatus::ok;
    case NameResult::truncated: return truncated;
    case NameResult::bad_pointer: return DnsStatus::bad_pointer;
    case NameResult::bad_label_type: return DnsStatus::bad_label_type;
    case NameResult::too_long: return DnsStatus::name_too_long;
  }
  return truncated;
}

void append_label(DnsName& out, const std::uint8_t* label, std::size_t n) noexcept {
  // Capacity is guaranteed by kDnsMaxNameText and the 255-octet wire limit checked first.
  char* p = out.text + out.length;
  if (out.labels != 0) *p++ = '.';
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t c = label[i];
    if (c == '.' || c == '\\') {
      *p++ = '\\';
      *p++ = static_cast<char>(c);
    } else if (c < 0x21 || c > 0x7e) {
      *p++ = '\\';
      *p++ = static_cast<char>('0' + c / 100);
      *p++ = static_cast<char>('0' + (c / 10) % 10);
      *p++ = static_cast<char>('0' + c % 10);
    } else {
      *p++ = static_cast<char>(c);
    }
  }
  out.length = static_cast<std::uint16_t>(p - out.text);
  *p = '\0';
}

// Walks the name at `off`. `end` receives the offset just after the name where it appears
// (after the first pointer if compressed). `out` may be null (validation / skipping only).
// Terminates: each pointer must target an offset strictly below the start of the run of labels
// it ends, so run starts strictly decrease.
NameResult read_name(const std::uint8_t* msg, std::size_t len, std::size_t off, DnsName* out,
                     std::size_t& end) noexcept {
  if (out != nullptr) {
    out->length = 0;
    out->labels = 0;
    out->wire_length = 0;
    out->text[0] = '\0';
  }
  std::size_t pos = off;
  std::size_t run_start = off;
  bool jumped = false;
  std::size_t wire = 0;
  for (;;) {
    if (pos >= len) return NameResult::truncated;
    const std::uint8_t b = msg[pos];
    const std::uint8_t kind = b & 0xc0;
    if (kind == 0x00) {
      if (b == 0) {
        wire += 1;
        if (!jumped) end = pos + 1;
        if (out != nullptr) out->wire_length = static_cast<std::uint8_t>(wire);
        return NameResult::ok;
      }
      if (len - pos - 1 < b) return NameResult::truncated;
      wire += 1u + b;
      if (wire + 1 > kDnsMaxNameWire) return NameResult::too_long;  // + the root label
      if (out != nullptr) {
        append_label(*out, msg + pos + 1, b);
        ++out->labels;
      }
      pos += 1u + b;
    } else if (kind == 0xc0) {
      if (len - pos < 2) return NameResult::truncated;
      const std::size_t target = static_cast<std::size_t>(((b & 0x3f) << 8) | msg[pos + 1]);
      if (target >= run_start) return NameResult::bad_pointer;
      if (!jumped) end = pos + 2;
      jumped = true;
      run_start = target;
      pos = target;
    } else {
      return NameResult::bad_label_type;
    }
  }
}

// Label-by-label cursor over an already validated name (bounds still checked defensively).
struct LabelCursor {
  const std::uint8_t* msg;
  std::size_t len;
  std::size_t pos;
  std::size_t run_start;

  // Returns the next label (length in n, 0 at the root); false on anything unexpected.
  bool next(const std::uint8_t*& label, std::size_t& n) noexcept {
    for (;;) {
      if (pos >= len) return false;
      const std::uint8_t b = msg[pos];
      if ((b & 0xc0) == 0xc0) {
        if (len - pos < 2) return false;
        const std::size_t target = static_cast<std::size_t>(((b & 0x3f) << 8) | msg[pos + 1]);
        if (target >= run_start) return false;
        run_start = target;
        pos = target;
        continue;
      }
      if ((b & 0xc0) != 0 || len - pos - 1 < b) return false;
      label = msg + pos + 1;
      n = b;
      pos += 1u + b;
      return true;
    }
  }
};

std::uint8_t ascii_lower(std::uint8_t c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c + 32) : c;
}

// Where the labels of a validated name start: a name that is just a pointer (the usual
// compressed owner) is the name it points to. Lets equal offsets stand for equal names.
std::size_t canonical_offset(const std::uint8_t* msg, std::size_t len, std::size_t off) noexcept {
  for (std::size_t guard = 0; guard < 64 && off + 1 < len && (msg[off] & 0xc0) == 0xc0; ++guard) {
    const std::size_t target = static_cast<std::size_t>(((msg[off] & 0x3f) << 8) | msg[off + 1]);
    if (target >= off) break;
    off = target;
  }
  return off;
}

// RFC 4343: names compare case-insensitively in ASCII only.
bool names_equal(const std::uint8_t* msg, std::size_t len, std::size_t a, std::size_t b) noexcept {
  if (a == b) return true;
  LabelCursor ca{msg, len, a, a};
  LabelCursor cb{msg, len, b, b};
  for (std::size_t guard = 0; guard < kDnsMaxNameWire; ++guard) {
    const std::uint8_t* la = nullptr;
    const std::uint8_t* lb = nullptr;
    std::size_t na = 0, nb = 0;
    if (!ca.next(la, na) || !cb.next(lb, nb)) return false;
    if (na != nb) return false;
    if (na == 0) return true;
    for (std::size_t i = 0; i < na; ++i)
      if (ascii_lower(la[i]) != ascii_lower(lb[i])) return false;
  }
  return false;
}

// FNV-1a over the lowercased labels (with their lengths), so most unequal names are told apart
// without a second walk: chain resolution compares hashes first.
std::uint32_t name_hash(const std::uint8_t* msg, std::size_t len, std::size_t off) noexcept {
  std::uint32_t h = 2166136261u;
  LabelCursor c{msg, len, off, off};
  for (std::size_t guard = 0; guard < kDnsMaxNameWire; ++guard) {
    const std::uint8_t* label = nullptr;
    std::size_t n = 0;
    if (!c.next(label, n)) break;
    h = (h ^ static_cast<std::uint32_t>(n)) * 16777619u;
    if (n == 0) break;
    for (std::size_t i = 0; i < n; ++i) h = (h ^ ascii_lower(label[i])) * 16777619u;
  }
  return h;
}

// One resource record of the answer section, located but not decoded.
struct RecordRef {
  std::size_t owner = 0;   // offset of the owner name
  std::uint16_t type = 0;
  std::uint16_t rclass = 0;
  std::uint32_t ttl = 0;
  std::size_t rdata = 0;   // offset of RDATA
  std::uint16_t rdlength = 0;
};

// Locates the record at `off`; on success `off` moves past it.
DnsStatus next_record(const std::uint8_t* msg, std::size_t len, std::size_t& off,
                      RecordRef& rec) noexcept {
  std::size_t after_name = 0;
  const NameResult r = read_name(msg, len, off, nullptr, after_name);
  if (r != NameResult::ok) return to_status(r, DnsStatus::truncated_record);
  if (len - after_name < kRecordFixedBytes) return DnsStatus::truncated_record;
  const std::uint8_t* p = msg + after_name;
  rec.owner = off;
  rec.type = be16(p);
  rec.rclass = be16(p + 2);
  rec.ttl = be32(p + 4);
  rec.rdlength = be16(p + 8);
  rec.rdata = after_name + kRecordFixedBytes;
  if (len - rec.rdata < rec.rdlength) return DnsStatus::truncated_record;
  off = rec.rdata + rec.rdlength;
  return DnsStatus::ok;
}

bool is_in_class(std::uint16_t rclass) noexcept {
  // mDNS (RFC 6762 §10.2) uses the top bit as "cache flush"; it is not part of the class.
  return (rclass & 0x7fff) == kDnsClassIn;
}

bool is_reported_type(std::uint16_t type) noexcept {
  return type == kDnsTypeA || type == kDnsTypeAaaa || type == kDnsTypeCname;
}

// CNAME-chain resolution over the answer section: which question each owner name answers.
class ChainResolver {
 public:
  ChainResolver(const std::uint8_t* msg, std::size_t len) noexcept : msg_(msg), len_(len) {}

  void add_question(std::size_t name_off) noexcept {
    if (questions_ >= kDnsTrackedQuestions) return;
    question_[questions_++] = make(name_off);
  }
  void add_cname(std::size_t owner_off, std::size_t target_off) noexcept {
    if (cnames_ >= kDnsTrackedCnames) return;
    cname_[cnames_] = Cname{make(owner_off), make(target_off), State::unknown, -1, 0};
    ++cnames_;
  }

  // Sets index/hops for the owner name at `owner_off`; index -1 if unresolved.
  void resolve(std::size_t owner_off, std::int16_t& index, std::uint8_t& hops) noexcept {
    index = -1;
    hops = 0;
    const Name owner = make(owner_off);
    const int q = match_question(owner);
    if (q >= 0) {
      index = static_cast<std::int16_t>(q);
      return;
    }
    for (std::size_t c = 0; c < cnames_; ++c) {
      if (!same(cname_[c].target, owner)) continue;
      resolve_cname(c, 0);
      if (cname_[c].question >= 0) {
        index = cname_[c].question;
        hops = static_cast<std::uint8_t>(cname_[c].hops + 1);
        return;
      }
    }
  }

 private:
  enum class State : std::uint8_t { unknown, in_progress, done };
  struct Name {
    std::size_t off;
    std::uint32_t hash;
  };
  struct Cname {
    Name owner;
    Name target;
    State state;
    std::int16_t question;  // question answered by this CNAME's owner
    std::uint8_t hops;      // CNAMEs before this one in the chain
  };

  Name make(std::size_t off) const noexcept {
    const std::size_t start = canonical_offset(msg_, len_, off);
    return Name{start, name_hash(msg_, len_, start)};
  }

  bool same(const Name& a, const Name& b) const noexcept {
    return a.off == b.off || (a.hash == b.hash && names_equal(msg_, len_, a.off, b.off));
  }

  int match_question(const Name& name) const noexcept {
    for (std::size_t q = 0; q < questions_; ++q)
      if (same(question_[q], name)) return static_cast<int>(q);
    return -1;
  }

  // Memoised; cycles (a CNAME b, b CNAME a) end at an in-progress entry, depth is bounded.
  void resolve_cname(std::size_t c, std::size_t depth) noexcept {
    Cname& e = cname_[c];
    if (e.state != State::unknown) return;
    e.state = State::in_progress;
    const int q = match_question(e.owner);
    if (q >= 0) {
      e.question = static_cast<std::int16_t>(q);
    } else if (depth < kDnsMaxCnameHops) {
      for (std::size_t d = 0; d < cnames_; ++d) {
        if (d == c || !same(cname_[d].target, e.owner)) continue;
        resolve_cname(d, depth + 1);
        if (cname_[d].state == State::done && cname_[d].question >= 0 &&
            cname_[d].hops + 1u < kDnsMaxCnameHops) {
          e.question = cname_[d].question;
          e.hops = static_cast<std::uint8_t>(cname_[d].hops + 1);
          break;
        }
      }
    }
    e.state = State::done;
  }

  const std::uint8_t* msg_;
  std::size_t len_;
  Name question_[kDnsTrackedQuestions] = {};
  std::size_t questions_ = 0;
  Cname cname_[kDnsTrackedCnames] = {};
  std::size_t cnames_ = 0;
};

}  // namespace

std::string_view dns_status_name(DnsStatus s) noexcept {
  const auto i = static_cast<std::size_t>(s);
  return i < kDnsStatusCount ? kDnsStatusNames[i] : std::string_view("unknown");
}

DnsStatus parse_dns_message(const std::uint8_t* msg, std::size_t len, DnsVisitor& visitor) noexcept {
  if (msg == nullptr || len < kHeaderBytes) return DnsStatus::truncated_header;

  DnsHeader h;
  h.id = be16(msg);
  const std::uint16_t flags = be16(msg + 2);
  h.qr = (flags & 0x8000) != 0;
  h.opcode = static_cast<std::uint8_t>((flags >> 11) & 0x0f);
  h.aa = (flags & 0x0400) != 0;
  h.tc = (flags & 0x0200) != 0;
  h.rd = (flags & 0x0100) != 0;
  h.ra = (flags & 0x0080) != 0;
  h.rcode = static_cast<std::uint8_t>(flags & 0x000f);
  h.qdcount = be16(msg + 4);
  h.ancount = be16(msg + 6);
  h.nscount = be16(msg + 8);
  h.arcount = be16(msg + 10);
  visitor.on_header(h);

  ChainResolver chains(msg, len);
  std::size_t off = kHeaderBytes;

  // Question section (RFC 1035 §4.1.2). Each question is reported as soon as it is complete.
  {
    DnsQuestion q;
    for (std::uint16_t i = 0; i < h.qdcount; ++i) {
      std::size_t end = 0;
      const NameResult r = read_name(msg, len, off, &q.name, end);
      if (r != NameResult::ok) return to_status(r, DnsStatus::truncated_question);
      if (len - end < 4) return DnsStatus::truncated_question;
      q.index = i;
      q.qtype = be16(msg + end);
      q.qclass = be16(msg + end + 2);
      chains.add_question(off);
      visitor.on_question(q);
      off = end + 4;
    }
  }

  // Answer section (RFC 1035 §4.1.3), in two walks: the first locates the records up to the
  // first error and collects the CNAMEs (a chain may be listed in any order), the second
  // reports them.
  const std::size_t answers_start = off;
  std::uint16_t complete = 0;
  DnsStatus status = DnsStatus::ok;
  for (; complete < h.ancount; ++complete) {
    RecordRef rec;
    status = next_record(msg, len, off, rec);
    if (status != DnsStatus::ok) break;
    if (rec.type == kDnsTypeCname && is_in_class(rec.rclass)) {
      std::size_t target_end = 0;
      if (read_name(msg, len, rec.rdata, nullptr, target_end) == NameResult::ok &&
          target_end <= rec.rdata + rec.rdlength)
        chains.add_cname(rec.owner, rec.rdata);
    }
  }

  DnsStatus rdata_status = DnsStatus::ok;
  DnsAnswer a;
  std::size_t last_owner = 0;  // 0: none yet (no name starts inside the header)
  off = answers_start;
  for (std::uint16_t i = 0; i < complete; ++i) {
    RecordRef rec;
    if (next_record(msg, len, off, rec) != DnsStatus::ok) break;  // cannot happen: walked above
    if (!is_reported_type(rec.type) || !is_in_class(rec.rclass)) continue;

    a.address = rules::IpAddress{};
    a.target.length = 0;
    a.target.labels = 0;
    a.target.wire_length = 0;
    a.target.text[0] = '\0';
    if (rec.type == kDnsTypeA || rec.type == kDnsTypeAaaa) {
      const std::size_t want = rec.type == kDnsTypeA ? 4 : 16;
      if (rec.rdlength != want) {
        if (rdata_status == DnsStatus::ok) rdata_status = DnsStatus::bad_rdata;
        continue;
      }
      a.address.family = rec.type == kDnsTypeA ? 4 : 6;
      std::memcpy(a.address.bytes, msg + rec.rdata, want);
    } else {
      // The target must lie within RDATA (its pointers may point anywhere earlier).
      std::size_t target_end = 0;
      const NameResult r = read_name(msg, len, rec.rdata, &a.target, target_end);
      if (r != NameResult::ok || target_end > rec.rdata + rec.rdlength) {
        if (rdata_status == DnsStatus::ok) {
          rdata_status = r == NameResult::ok ? DnsStatus::bad_rdata
                                             : to_status(r, DnsStatus::bad_rdata);
        }
        continue;
      }
    }
    // `a` is reused across records: names equal to the previous record's are not decoded again
    // (answers usually share one compressed owner).
    const std::int16_t previous_question = a.question_index;
    const std::size_t owner = canonical_offset(msg, len, rec.owner);
    if (owner != last_owner) {
      std::size_t owner_end = 0;
      (void)read_name(msg, len, rec.owner, &a.owner, owner_end);
      chains.resolve(rec.owner, a.question_index, a.cname_hops);
      last_owner = owner;
    }
    a.index = i;
    a.type = rec.type;
    a.rclass = rec.rclass;
    a.ttl = rec.ttl;
    if (a.question_index != previous_question || a.question_index < 0) {
      a.question.length = 0;
      a.question.labels = 0;
      a.question.wire_length = 0;
      a.question.text[0] = '\0';
    }
    if (a.question_index >= 0 && a.question_index != previous_question) {
      // Report the question's own spelling (case may differ from the owner's, RFC 4343).
      std::size_t q_off = kHeaderBytes;
      for (std::int16_t k = 0; k <= a.question_index; ++k) {
        std::size_t end = 0;
        if (read_name(msg, len, q_off, k == a.question_index ? &a.question : nullptr, end) !=
            NameResult::ok)
          break;
        q_off = end + 4;
      }
    }
    visitor.on_answer(a);
  }
  return status != DnsStatus::ok ? status : rdata_status;
}

std::size_t normalize_dns_name(std::string_view text, char* out, std::size_t cap) noexcept {
  std::size_t n = text.size();
  // A trailing '.' is a separator only if it is not itself escaped, i.e. preceded by an even
  // number of backslashes.
  if (n != 0 && text[n - 1] == '.') {
    std::size_t backslashes = 0;
    while (backslashes + 1 < n && text[n - 2 - backslashes] == '\\') ++backslashes;
    if (backslashes % 2 == 0) --n;
  }
  if (n > cap) return 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[i];
    out[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  return n;
}

}  // namespace outpost::capture::proto
