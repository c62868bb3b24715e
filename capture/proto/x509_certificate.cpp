#include "capture/proto/x509_certificate.h"

#include <cstring>

namespace outpost::capture::proto {

namespace {

// Universal tags (X.680 §8.4, X.690 §8.1.2): constructed SEQUENCE / SET and the primitive
// types a certificate's head uses.
constexpr std::uint8_t kInteger = 0x02;
constexpr std::uint8_t kOid = 0x06;
constexpr std::uint8_t kUtf8String = 0x0c;
constexpr std::uint8_t kNumericString = 0x12;
constexpr std::uint8_t kPrintableString = 0x13;
constexpr std::uint8_t kTeletexString = 0x14;
constexpr std::uint8_t kIa5String = 0x16;
constexpr std::uint8_t kUtcTime = 0x17;
constexpr std::uint8_t kGeneralizedTime = 0x18;
constexpr std::uint8_t kVisibleString = 0x1a;
constexpr std::uint8_t kUniversalString = 0x1c;
constexpr std::uint8_t kBmpString = 0x1e;
constexpr std::uint8_t kSequence = 0x30;
constexpr std::uint8_t kSet = 0x31;
constexpr std::uint8_t kVersionTag = 0xa0;  // [0] EXPLICIT (RFC 5280 §4.1)

// "YYYYMMDDHHMMSS.ffffffffff+hhmm" and some slack: longer is not a time.
constexpr std::uint32_t kMaxTimeOctets = 32;

constexpr char kHexDigits[] = "0123456789abcdef";

constexpr const char* kStatusNames[] = {"ok", "malformed", "too_long"};
static_assert(sizeof kStatusNames / sizeof kStatusNames[0] == kX509StatusCount, "one name per status");

}  // namespace

std::string_view x509_status_name(X509Status s) noexcept {
  const auto i = static_cast<std::size_t>(s);
  return i < kX509StatusCount ? kStatusNames[i] : std::string_view("unknown");
}

// ---- CertificateReader ----------------------------------------------------------------------

void CertificateReader::start(std::uint32_t der_length, std::uint8_t* store, std::size_t capacity,
                              bool facts) noexcept {
  sha1_.start();
  facts_ = facts;
  if (facts) sha256_.start();
  store_ = store;
  capacity_ = store == nullptr ? 0 : static_cast<std::uint32_t>(capacity < 0xffffffffu ? capacity : 0xffffffffu);
  used_ = 0;
  der_length_ = der_length;
  offset_ = certificate_end_ = tbs_end_ = validity_end_ = content_left_ = 0;
  keeping_ = nullptr;
  keeping_from_ = 0;
  step_ = facts ? Step::certificate : Step::done;
  status_ = X509Status::ok;
  header_have_ = header_need_ = 0;
  not_before_tag_ = not_after_tag_ = 0;
  serial_ = issuer_ = not_before_ = not_after_ = subject_ = Kept{};
}

std::uint32_t CertificateReader::parent_end() const noexcept {
  switch (step_) {
    case Step::certificate: return der_length_;
    case Step::tbs: return certificate_end_;
    case Step::not_before:
    case Step::not_after: return validity_end_;
    default: return tbs_end_;
  }
}

void CertificateReader::fail() noexcept {
  status_ = X509Status::malformed;
  step_ = Step::done;
  content_left_ = 0;
  keeping_ = nullptr;
}

void CertificateReader::update(const std::uint8_t* p, std::size_t n) noexcept {
  if (p == nullptr || n == 0) return;
  sha1_.update(p, n);
  if (!facts_) return;
  sha256_.update(p, n);
  while (n != 0 && step_ != Step::done) {
    if (content_left_ != 0) {
      const std::uint32_t k = content_left_ < n ? content_left_ : static_cast<std::uint32_t>(n);
      if (keeping_ != nullptr) {
        std::memcpy(store_ + used_, p, k);
        used_ += k;
      }
      p += k;
      n -= k;
      offset_ += k;
      content_left_ -= k;
      if (content_left_ == 0) element_complete();
      continue;
    }
    // An element must start inside the one that contains it: a SEQUENCE that ends early has
    // lost a field.
    if (header_have_ == 0 && offset_ >= parent_end()) return fail();
    header_[header_have_++] = *p++;
    --n;
    ++offset_;
    if (header_have_ == 2) {
      // X.690 §8.1.2.4 high tag numbers, §8.1.3.6 the indefinite form (not DER), and lengths
      // over 4 octets (larger than any TLS certificate) are not a certificate's head.
      if ((header_[0] & 0x1f) == 0x1f) return fail();
      if ((header_[1] & 0x80) != 0) {
        const std::uint8_t octets = header_[1] & 0x7f;
        if (octets == 0 || octets > 4) return fail();
        header_need_ = static_cast<std::uint8_t>(2 + octets);
      } else {
        header_need_ = 2;
      }
    }
    if (header_have_ >= 2 && header_have_ == header_need_) header_complete();
  }
}

void CertificateReader::header_complete() noexcept {
  const std::uint8_t tag = header_[0];
  std::uint32_t length = header_[1];
  if (header_need_ > 2) {
    length = 0;
    for (std::uint8_t i = 2; i < header_need_; ++i) length = (length << 8) | header_[i];
  }
  const std::uint64_t end = static_cast<std::uint64_t>(offset_) + length;
  if (end > parent_end()) return fail();
  const auto end32 = static_cast<std::uint32_t>(end);
  switch (step_) {
    case Step::certificate:
      // The ASN.1Cert of TLS (RFC 5246 §7.4.2) holds exactly one Certificate.
      if (tag != kSequence || end32 != der_length_) return fail();
      certificate_end_ = end32;
      header_have_ = 0;
      step_ = Step::tbs;
      return;
    case Step::tbs:
      if (tag != kSequence) return fail();
      tbs_end_ = end32;
      header_have_ = 0;
      step_ = Step::version_or_serial;
      return;
    case Step::version_or_serial:
      if (tag == kVersionTag) return begin_content(length, nullptr, false);
      step_ = Step::serial;  // v1: no version field
      [[fallthrough]];
    case Step::serial:
      if (tag != kInteger || length == 0) return fail();
      if (length > kMaxSerialOctets) {
        if (status_ == X509Status::ok) status_ = X509Status::too_long;
        return begin_content(length, nullptr, false);
      }
      return begin_content(length, &serial_, false);
    case Step::signature:
      if (tag != kSequence) return fail();
      return begin_content(length, nullptr, false);
    case Step::issuer:
      if (tag != kSequence) return fail();
      return begin_content(length, &issuer_, true);
    case Step::validity:
      if (tag != kSequence) return fail();
      validity_end_ = end32;
      header_have_ = 0;
      step_ = Step::not_before;
      return;
    case Step::not_before:
    case Step::not_after:
      if ((tag != kUtcTime && tag != kGeneralizedTime) || length > kMaxTimeOctets) return fail();
      if (step_ == Step::not_before) {
        not_before_tag_ = tag;
        return begin_content(length, &not_before_, false);
      }
      not_after_tag_ = tag;
      return begin_content(length, &not_after_, false);
    case Step::subject:
      if (tag != kSequence) return fail();
      return begin_content(length, &subject_, true);
    case Step::done:
      return;
  }
}

// Skips (keep == nullptr) or keeps the content of the element whose header was just read; a
// field that does not fit the store is skipped and counted as too_long.
void CertificateReader::begin_content(std::uint32_t length, Kept* keep, bool with_header) noexcept {
  const std::uint8_t header_length = header_have_;
  header_have_ = 0;
  keeping_ = nullptr;
  if (keep != nullptr) {
    const std::uint64_t need = static_cast<std::uint64_t>(length) + (with_header ? header_length : 0);
    if (need > capacity_ - used_) {
      if (status_ == X509Status::ok) status_ = X509Status::too_long;
    } else {
      keeping_ = keep;
      keeping_from_ = used_;
      if (with_header) {
        std::memcpy(store_ + used_, header_, header_length);
        used_ += header_length;
      }
    }
  }
  content_left_ = length;
  if (length == 0) element_complete();
}

void CertificateReader::element_complete() noexcept {
  if (keeping_ != nullptr) {
    *keeping_ = Kept{keeping_from_, used_ - keeping_from_, true};
    keeping_ = nullptr;
  }
  switch (step_) {
    case Step::version_or_serial: step_ = Step::serial; return;
    case Step::serial: step_ = Step::signature; return;
    case Step::signature: step_ = Step::issuer; return;
    case Step::issuer: step_ = Step::validity; return;
    case Step::not_before: step_ = Step::not_after; return;
    case Step::not_after:
      // Validity holds exactly the two times.
      if (offset_ != validity_end_) return fail();
      step_ = Step::subject;
      return;
    case Step::subject: step_ = Step::done; return;
    default: return;
  }
}

ByteView CertificateReader::view(const Kept& k) const noexcept {
  if (!k.present || k.length == 0) return {};
  return ByteView{store_ + k.offset, k.length};
}

void CertificateReader::finish(std::uint8_t sha1[kSha1Bytes], std::uint8_t sha256[kSha256Bytes],
                               X509Facts& facts) noexcept {
  sha1_.finish(sha1);
  if (!facts_) {
    std::memset(sha256, 0, kSha256Bytes);
    facts = X509Facts{};
    return;
  }
  sha256_.finish(sha256);
  // The DER ended before the subject did (or before the walk could tell it was malformed).
  if (step_ != Step::done) fail();
  facts = X509Facts{};
  facts.serial = view(serial_);
  bool malformed = false;
  // A Name is reported only when it is one: its inner structure was not checked while passing.
  const auto name_of = [&](const Kept& k) {
    const ByteView v = view(k);
    if (v.len == 0) return ByteView{};
    if (!format_x509_name(v, nullptr, 0).ok) {
      malformed = true;
      return ByteView{};
    }
    return v;
  };
  facts.issuer = name_of(issuer_);
  facts.subject = name_of(subject_);
  const auto time_of = [&](const Kept& k, std::uint8_t tag, rules::TimeUs& out) {
    if (k.present && !parse_x509_time(tag, view(k), out)) malformed = true;
  };
  time_of(not_before_, not_before_tag_, facts.not_before);
  time_of(not_after_, not_after_tag_, facts.not_after);
  if (facts.issuer.len != 0 && facts.subject.len != 0) {
    facts.self_signed = facts.issuer.len == facts.subject.len &&
                                std::memcmp(facts.issuer.data, facts.subject.data, facts.issuer.len) == 0
                            ? 1
                            : 0;
  }
  facts.status = malformed ? X509Status::malformed : status_;
}

// ---- serial ---------------------------------------------------------------------------------

namespace {

// snprintf-like text output: counts everything, writes what fits and always a NUL.
class TextOut {
 public:
  TextOut(char* out, std::size_t cap) noexcept : out_(cap == 0 ? nullptr : out), cap_(out == nullptr ? 0 : cap) {}
  void put(char c) noexcept {
    if (len_ + 1 < cap_) out_[len_] = c;
    ++len_;
  }
  void put(std::string_view s) noexcept {
    for (const char c : s) put(c);
  }
  void hex(std::uint8_t b) noexcept {
    put(kHexDigits[b >> 4]);
    put(kHexDigits[b & 0x0f]);
  }
  void utf8(std::uint32_t cp) noexcept {
    if (cp < 0x80) {
      put(static_cast<char>(cp));
    } else if (cp < 0x800) {
      put(static_cast<char>(0xc0 | (cp >> 6)));
      put(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      put(static_cast<char>(0xe0 | (cp >> 12)));
      put(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      put(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      put(static_cast<char>(0xf0 | (cp >> 18)));
      put(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      put(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      put(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }
  std::size_t finish() noexcept {
    if (cap_ != 0) out_[len_ < cap_ ? len_ : cap_ - 1] = '\0';
    return len_;
  }

 private:
  char* out_;
  std::size_t cap_;
  std::size_t len_ = 0;
};

}  // namespace

std::size_t format_x509_serial(ByteView serial, char* out, std::size_t cap) noexcept {
  TextOut w(out, cap);
  std::size_t i = 0;
  if (serial.data == nullptr) serial.len = 0;
  if (serial.len >= 2 && serial.data[0] == 0x00 && (serial.data[1] & 0x80) != 0) i = 1;
  for (std::size_t first = i; i < serial.len; ++i) {
    if (i != first) w.put(':');
    w.hex(serial.data[i]);
  }
  return w.finish();
}

// ---- Name (RFC 4514) ------------------------------------------------------------------------

namespace {

// One BER element (X.690 §8.1) inside [p, p + n).
struct Element {
  std::uint8_t tag = 0;           // the first identifier octet
  const std::uint8_t* begin = nullptr;
  const std::uint8_t* content = nullptr;
  std::size_t length = 0;         // of the content
  std::size_t size() const noexcept { return static_cast<std::size_t>(content - begin) + length; }
};

// Reads the element at the start of [p, p + n): false when its header is invalid or its
// length runs past n. High tag numbers are accepted (attribute values may use any type).
bool read_element(const std::uint8_t* p, std::size_t n, Element& e) noexcept {
  if (n < 2) return false;
  std::size_t i = 1;
  if ((p[0] & 0x1f) == 0x1f) {  // X.690 §8.1.2.4: base-128 tag number, last octet bit 8 clear
    while (i < n && i <= 4 && (p[i] & 0x80) != 0) ++i;
    if (i >= n || i > 4) return false;
    ++i;
  }
  if (i >= n) return false;
  std::size_t length = p[i++];
  if ((length & 0x80) != 0) {
    const std::size_t octets = length & 0x7f;
    if (octets == 0 || octets > 4 || octets > n - i) return false;  // indefinite form is not DER
    std::uint64_t l = 0;
    for (std::size_t k = 0; k < octets; ++k) l = (l << 8) | p[i++];
    if (l > n - i) return false;
    length = static_cast<std::size_t>(l);
  } else if (length > n - i) {
    return false;
  }
  e.tag = p[0];
  e.begin = p;
  e.content = p + i;
  e.length = length;
  return true;
}

struct ShortName {
  std::uint8_t length;
  std::uint8_t oid[10];
  const char* name;
};

// RFC 4514 §3 (and RFC 4519 for the OIDs): the types written by name.
constexpr ShortName kShortNames[] = {
    {3, {0x55, 0x04, 0x03}, "CN"},      {3, {0x55, 0x04, 0x07}, "L"},
    {3, {0x55, 0x04, 0x08}, "ST"},      {3, {0x55, 0x04, 0x0a}, "O"},
    {3, {0x55, 0x04, 0x0b}, "OU"},      {3, {0x55, 0x04, 0x06}, "C"},
    {3, {0x55, 0x04, 0x09}, "STREET"},
    {10, {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19}, "DC"},
    {10, {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01}, "UID"},
};

void put_decimal(std::uint64_t v, TextOut& w) noexcept {
  char digits[20];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n != 0) w.put(digits[--n]);
}

// X.690 §8.19: sub-identifiers in base 128, minimal (no leading 0x80 octet), the first one
// combining two arcs. Arcs beyond 64 bits (UUID OIDs under 2.25) are refused.
bool put_oid(const std::uint8_t* p, std::size_t n, TextOut* w) noexcept {
  if (n == 0 || (p[n - 1] & 0x80) != 0) return false;
  bool first = true;
  std::size_t i = 0;
  while (i < n) {
    if (p[i] == 0x80) return false;
    std::uint64_t v = 0;
    do {
      if ((v >> 57) != 0) return false;
      v = (v << 7) | (p[i] & 0x7f);
    } while ((p[i++] & 0x80) != 0);
    if (w == nullptr) {
      first = false;
      continue;
    }
    if (first) {
      const std::uint64_t top = v < 40 ? 0 : v < 80 ? 1 : 2;
      put_decimal(top, *w);
      w->put('.');
      put_decimal(v - 40 * top, *w);
      first = false;
    } else {
      w->put('.');
      put_decimal(v, *w);
    }
  }
  return true;
}

void put_attribute_type(const Element& oid, TextOut& w) noexcept {
  for (const ShortName& s : kShortNames) {
    if (oid.length == s.length && std::memcmp(oid.content, s.oid, s.length) == 0) {
      w.put(s.name);
      return;
    }
  }
  put_oid(oid.content, oid.length, &w);
}

// Decodes the next character of a string value; false when the bytes are not valid in the
// value's encoding.
class CharReader {
 public:
  CharReader(std::uint8_t tag, const std::uint8_t* p, std::size_t n) noexcept : tag_(tag), p_(p), n_(n) {}
  bool at_end() const noexcept { return i_ == n_; }
  bool next(std::uint32_t& cp) noexcept {
    switch (tag_) {
      case kTeletexString:  // read as ISO 8859-1, as most decoders do with T.61 in practice
        cp = p_[i_++];
        return true;
      case kBmpString: {
        std::uint32_t u;
        if (!unit16(u)) return false;
        if (u >= 0xdc00 && u <= 0xdfff) return false;
        if (u >= 0xd800 && u <= 0xdbff) {  // a UTF-16 surrogate pair (beyond UCS-2, but seen)
          std::uint32_t low;
          if (!unit16(low) || low < 0xdc00 || low > 0xdfff) return false;
          u = 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00);
        }
        cp = u;
        return true;
      }
      case kUniversalString: {
        if (n_ - i_ < 4) return false;
        const std::uint32_t u = (static_cast<std::uint32_t>(p_[i_]) << 24) |
                                (static_cast<std::uint32_t>(p_[i_ + 1]) << 16) |
                                (static_cast<std::uint32_t>(p_[i_ + 2]) << 8) | p_[i_ + 3];
        i_ += 4;
        if (u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff)) return false;
        cp = u;
        return true;
      }
      default:
        return utf8(cp);
    }
  }

 private:
  bool unit16(std::uint32_t& u) noexcept {
    if (n_ - i_ < 2) return false;
    u = (static_cast<std::uint32_t>(p_[i_]) << 8) | p_[i_ + 1];
    i_ += 2;
    return true;
  }
  // RFC 3629 §4: no overlong forms, no surrogates, nothing above U+10FFFF.
  bool utf8(std::uint32_t& cp) noexcept {
    const std::uint8_t b = p_[i_++];
    if (b < 0x80) {
      cp = b;
      return true;
    }
    std::size_t more;
    std::uint32_t v, min;
    if ((b & 0xe0) == 0xc0) {
      more = 1, v = b & 0x1f, min = 0x80;
    } else if ((b & 0xf0) == 0xe0) {
      more = 2, v = b & 0x0f, min = 0x800;
    } else if ((b & 0xf8) == 0xf0) {
      more = 3, v = b & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (n_ - i_ < more) return false;
    for (std::size_t k = 0; k < more; ++k) {
      const std::uint8_t c = p_[i_++];
      if ((c & 0xc0) != 0x80) return false;
      v = (v << 6) | (c & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return false;
    cp = v;
    return true;
  }

  std::uint8_t tag_;
  const std::uint8_t* p_;
  std::size_t n_;
  std::size_t i_ = 0;
};

bool is_string_type(std::uint8_t tag) noexcept {
  switch (tag) {
    case kUtf8String:
    case kNumericString:
    case kPrintableString:
    case kTeletexString:
    case kIa5String:
    case kVisibleString:
    case kUniversalString:
    case kBmpString:
      return true;
    default:
      return false;
  }
}

bool decodes(const Element& v) noexcept {
  CharReader r(v.tag, v.content, v.length);
  std::uint32_t cp;
  while (!r.at_end())
    if (!r.next(cp)) return false;
  return true;
}

// RFC 4514 §2.4.
void put_value(const Element& v, TextOut& w) noexcept {
  if (!is_string_type(v.tag) || !decodes(v)) {
    w.put('#');
    for (std::size_t i = 0; i < v.size(); ++i) w.hex(v.begin[i]);
    return;
  }
  CharReader r(v.tag, v.content, v.length);
  bool first = true;
  std::uint32_t cp = 0;
  while (!r.at_end()) {
    r.next(cp);
    const bool last = r.at_end();
    if (cp < 0x20 || cp == 0x7f) {
      w.put('\\');
      w.hex(static_cast<std::uint8_t>(cp));
    } else if (cp == '"' || cp == '+' || cp == ',' || cp == ';' || cp == '<' || cp == '>' || cp == '\\' ||
               (cp == ' ' && (first || last)) || (cp == '#' && first)) {
      w.put('\\');
      w.put(static_cast<char>(cp));
    } else {
      w.utf8(cp);
    }
    first = false;
  }
}

// AttributeTypeAndValue ::= SEQUENCE { type OBJECT IDENTIFIER, value ANY } (RFC 5280 §4.1.2.4).
bool read_attribute(const Element& ava, Element& type, Element& value) noexcept {
  if (ava.tag != kSequence) return false;
  if (!read_element(ava.content, ava.length, type) || type.tag != kOid || !put_oid(type.content, type.length, nullptr))
    return false;
  const std::size_t rest = ava.length - type.size();
  if (!read_element(type.content + type.length, rest, value)) return false;
  return value.size() == rest;
}

// RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue.
bool check_rdn(const Element& rdn) noexcept {
  if (rdn.tag != kSet || rdn.length == 0) return false;
  const std::uint8_t* p = rdn.content;
  std::size_t left = rdn.length;
  while (left != 0) {
    Element ava, type, value;
    if (!read_element(p, left, ava) || !read_attribute(ava, type, value)) return false;
    p += ava.size();
    left -= ava.size();
  }
  return true;
}

void put_rdn(const Element& rdn, TextOut& w) noexcept {
  const std::uint8_t* p = rdn.content;
  std::size_t left = rdn.length;
  bool first = true;
  while (left != 0) {
    Element ava, type, value;
    read_element(p, left, ava);
    read_attribute(ava, type, value);
    if (!first) w.put('+');
    put_attribute_type(type, w);
    w.put('=');
    put_value(value, w);
    p += ava.size();
    left -= ava.size();
    first = false;
  }
}

}  // namespace

X509NameText format_x509_name(ByteView name, char* out, std::size_t cap) noexcept {
  TextOut w(out, cap);
  X509NameText result;
  Element seq;
  if (name.data == nullptr || !read_element(name.data, name.len, seq) || seq.tag != kSequence ||
      seq.size() != name.len) {
    w.finish();
    return result;
  }
  // First pass: every RDN well-formed, and how many there are.
  std::size_t rdns = 0;
  for (const std::uint8_t *p = seq.content, *end = seq.content + seq.length; p != end;) {
    Element rdn;
    if (!read_element(p, static_cast<std::size_t>(end - p), rdn) || !check_rdn(rdn)) {
      w.finish();
      return result;
    }
    p += rdn.size();
    ++rdns;
  }
  // RFC 4514 §2.1: the last RDN of the sequence first. Names have a handful of RDNs, so each
  // is found again from the start rather than remembered.
  for (std::size_t k = rdns; k-- != 0;) {
    const std::uint8_t* p = seq.content;
    Element rdn;
    for (std::size_t i = 0;; ++i) {
      read_element(p, static_cast<std::size_t>(seq.content + seq.length - p), rdn);
      if (i == k) break;
      p += rdn.size();
    }
    if (k + 1 != rdns) w.put(',');
    put_rdn(rdn, w);
  }
  result.ok = true;
  result.length = w.finish();
  return result;
}

// ---- Time -----------------------------------------------------------------------------------

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil, as in
// rules/time.cpp, which capture/ may not include); 64-bit, so not bound to a 32-bit time_t.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

unsigned days_in_month(unsigned y, unsigned m) noexcept {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

class TimeText {
 public:
  explicit TimeText(ByteView t) noexcept : p_(t.data), n_(t.data == nullptr ? 0 : t.len) {}
  bool digits(std::size_t count, unsigned& out) noexcept {
    if (n_ - i_ < count) return false;
    unsigned v = 0;
    for (std::size_t k = 0; k < count; ++k) {
      const std::uint8_t c = p_[i_ + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    i_ += count;
    out = v;
    return true;
  }
  bool digit_next() const noexcept { return i_ < n_ && p_[i_] >= '0' && p_[i_] <= '9'; }
  bool take(char c) noexcept {
    if (i_ < n_ && p_[i_] == static_cast<std::uint8_t>(c)) {
      ++i_;
      return true;
    }
    return false;
  }
  bool at_end() const noexcept { return i_ == n_; }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
  std::size_t i_ = 0;
};

}  // namespace

bool parse_x509_time(std::uint8_t tag, ByteView text, rules::TimeUs& out) noexcept {
  if (tag != kUtcTime && tag != kGeneralizedTime) return false;
  TimeText t(text);
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::int64_t micros = 0;
  if (tag == kUtcTime) {
    unsigned yy;
    if (!t.digits(2, yy)) return false;
    year = yy >= 50 ? 1900 + yy : 2000 + yy;  // RFC 5280 §4.1.2.5.1
    if (!t.digits(2, month) || !t.digits(2, day) || !t.digits(2, hour) || !t.digits(2, minute)) return false;
    if (t.digit_next() && !t.digits(2, second)) return false;
  } else {
    if (!t.digits(4, year) || !t.digits(2, month) || !t.digits(2, day) || !t.digits(2, hour)) return false;
    if (t.digit_next()) {
      if (!t.digits(2, minute)) return false;
      if (t.digit_next()) {
        if (!t.digits(2, second)) return false;
        if (t.take('.') || t.take(',')) {  // X.680 §46.2: a fraction of the second
          if (!t.digit_next()) return false;
          std::int64_t scale = 100000;
          unsigned d;
          while (t.digit_next()) {
            t.digits(1, d);
            micros += d * scale;
            scale /= 10;
          }
        }
      }
    }
  }
  std::int64_t offset_seconds = 0;
  if (!t.take('Z')) {
    const bool plus = t.take('+');
    if (!plus && !t.take('-')) return false;  // a local time without offset is no instant
    unsigned oh, om;
    if (!t.digits(2, oh) || !t.digits(2, om) || oh > 23 || om > 59) return false;
    offset_seconds = (plus ? 1 : -1) * static_cast<std::int64_t>(oh * 3600 + om * 60);
  }
  if (!t.at_end()) return false;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 ||
      second > 60)
    return false;
  // A leap second (:60) counts as the next second, as POSIX time does.
  const std::int64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second -
                               offset_seconds;
  out = seconds * 1000000 + micros;
  return true;
}

}  // namespace outpost::capture::proto
