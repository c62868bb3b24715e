#include "rules/set_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "rules/lists/list_reader.h"

namespace outpost::rules {

using sets::FrozenTable;
using sets::get_u16;
using sets::get_u32;
using sets::get_u64;
using sets::put_u16;
using sets::put_u32;
using sets::put_u64;

namespace {

constexpr std::uint8_t kMagic[8] = {0x4f, 0x50, 0x53, 0x45, 0x54, 0x0d, 0x0a, 0x1a};
constexpr std::size_t kHeaderSize = 64;
constexpr std::size_t kEntrySize = 40;
constexpr std::size_t kMaxSections = 1 << 16;

enum SectionKind : std::uint16_t { kMeta = 1, kRecords = 2, kShard = 3, kIdIndex = 4 };

std::uint32_t crc32_of(const std::uint8_t* p, std::size_t n, std::uint32_t crc = 0) {
  crc = crc == 0 ? static_cast<std::uint32_t>(::crc32(0L, Z_NULL, 0)) : crc;
  while (n > 0) {
    const auto chunk = static_cast<uInt>(n > (1u << 30) ? (1u << 30) : n);
    crc = static_cast<std::uint32_t>(::crc32(crc, p, chunk));
    p += chunk;
    n -= chunk;
  }
  return crc;
}

class ByteWriter {
 public:
  void u8(std::uint8_t v) { b.push_back(v); }
  void u16(std::uint16_t v) { put(2, v); }
  void u32(std::uint32_t v) { put(4, v); }
  void u64(std::uint64_t v) { put(8, v); }
  void i64(std::int64_t v) { put(8, static_cast<std::uint64_t>(v)); }
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    b.insert(b.end(), s.begin(), s.end());
  }
  std::vector<std::uint8_t> b;

 private:
  void put(int n, std::uint64_t v) {
    for (int i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
};

// Reads what ByteWriter wrote; any overrun or implausible count turns ok off and every
// later read returns zero, so a corrupt meta section fails as a whole.
class ByteReader {
 public:
  ByteReader(const std::uint8_t* p, std::size_t n) : p_(p), n_(n) {}
  std::uint8_t u8() { return static_cast<std::uint8_t>(get(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get(4)); }
  std::uint64_t u64() { return get(8); }
  std::int64_t i64() { return static_cast<std::int64_t>(get(8)); }
  std::string str() {
    const std::uint32_t len = u32();
    if (!ok || len > n_ - at_) {
      ok = false;
      return {};
    }
    std::string s(reinterpret_cast<const char*>(p_ + at_), len);
    at_ += len;
    return s;
  }
  // A count of items each at least `min_bytes` long: refused if the rest cannot hold them.
  std::uint32_t count(std::size_t min_bytes) {
    const std::uint32_t c = u32();
    if (ok && static_cast<std::uint64_t>(c) * (min_bytes == 0 ? 1 : min_bytes) > n_ - at_) ok = false;
    return ok ? c : 0;
  }
  bool ok = true;

 private:
  std::uint64_t get(int n) {
    if (!ok || static_cast<std::size_t>(n) > n_ - at_) {
      ok = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(p_[at_ + i]) << (8 * i);
    at_ += static_cast<std::size_t>(n);
    return v;
  }
  const std::uint8_t* p_;
  std::size_t n_;
  std::size_t at_ = 0;
};

void write_reasons(ByteWriter& w, const ReasonCounts& r) {
  w.u32(static_cast<std::uint32_t>(r.items().size()));
  for (const auto& [reason, n] : r.items()) {
    w.str(reason);
    w.u64(n);
  }
}

void read_reasons(ByteReader& r, ReasonCounts& out) {
  const std::uint32_t n = r.count(12);
  for (std::uint32_t i = 0; i < n && r.ok; ++i) {
    std::string reason = r.str();
    const std::uint64_t c = r.u64();
    if (r.ok) out.add(reason, c);
  }
}

void write_stats(ByteWriter& w, const LoadStats& st) {
  w.u32(static_cast<std::uint32_t>(st.sources.size()));
  for (const SourceStats& s : st.sources) {
    w.str(s.name);
    w.u8(static_cast<std::uint8_t>(s.kind));
    w.str(s.format);
    for (std::uint64_t v : {s.objects, s.indicators, s.lines, s.loaded, s.terms, s.duplicates, s.superseded, s.revoked,
                            s.expired_at_load, s.host_bits_cleared, s.budget_dropped, s.exact, s.residual, s.scan,
                            s.multi_observation, s.partly_out_of_scope, s.out_of_scope})
      w.u64(v);
    write_reasons(w, s.skipped);
    write_reasons(w, s.unsupported);
    for (std::uint64_t v : s.per_type) w.u64(v);
  }
  w.u32(static_cast<std::uint32_t>(st.warnings.size()));
  for (const auto& line : st.warnings) w.str(line);
  w.u64(st.warnings_dropped);
  w.u64(st.budget_bytes);
}

void read_stats(ByteReader& r, LoadStats& st) {
  const std::uint32_t n = r.count(16);
  for (std::uint32_t i = 0; i < n && r.ok; ++i) {
    SourceStats s;
    s.name = r.str();
    s.kind = static_cast<IndicatorSource::Kind>(r.u8() % 3);
    s.format = r.str();
    for (std::uint64_t* v : {&s.objects, &s.indicators, &s.lines, &s.loaded, &s.terms, &s.duplicates, &s.superseded,
                             &s.revoked, &s.expired_at_load, &s.host_bits_cleared, &s.budget_dropped, &s.exact,
                             &s.residual, &s.scan, &s.multi_observation, &s.partly_out_of_scope, &s.out_of_scope})
      *v = r.u64();
    read_reasons(r, s.skipped);
    read_reasons(r, s.unsupported);
    for (auto& v : s.per_type) v = r.u64();
    st.sources.push_back(std::move(s));
  }
  const std::uint32_t w = r.count(4);
  for (std::uint32_t i = 0; i < w && r.ok; ++i) st.warnings.push_back(r.str());
  st.warnings_dropped = r.u64();
  st.budget_bytes = r.u64();
}

struct Section {
  std::uint16_t kind = 0;
  std::uint8_t type = 0, family = 0;
  std::uint16_t shard = 0;
  std::uint8_t layout = 0, owner_width = 0;
  std::uint32_t count = 0, capacity = 0, key_size = 0, owners = 0;
  std::uint64_t offset = 0, size = 0;
  const std::uint8_t* bytes = nullptr;  // writing
};

FrozenTable::Shape shape_of(const Section& s) {
  FrozenTable::Shape shape;
  shape.layout = static_cast<sets::RecordLayout>(s.layout);
  shape.key_size = s.key_size;
  shape.count = s.count;
  shape.capacity = s.capacity;
  shape.owner_width = s.owner_width;
  shape.owners = s.owners;
  return shape;
}

std::unique_ptr<IndicatorSet> fail(LoadStatus& status, std::string_view name, const std::string& what) {
  status.ok = false;
  status.message = std::string(name) + ": " + what;
  return nullptr;
}

std::string errno_text() { return std::strerror(errno); }

// A reference to the mapped image for one block of it; when the last holder of the block lets
// go, the pages lying wholly inside the block are dropped from memory (its first and last
// page may be shared with the neighbouring blocks, so they stay).
std::shared_ptr<const void> pages_released_when_dropped(std::shared_ptr<const void> image, const std::uint8_t* bytes,
                                                        std::size_t size) {
  return std::shared_ptr<const void>(bytes, [image = std::move(image), size](const void* p) {
    static const std::uintptr_t page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const std::uintptr_t begin = (reinterpret_cast<std::uintptr_t>(p) + page - 1) / page * page;
    const std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(p) + size) / page * page;
    if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
  });
}

}  // namespace

std::string SetFile::serialise(const IndicatorSet& set) {
  // Meta section.
  ByteWriter m;
  m.u32(static_cast<std::uint32_t>(set.sources_.size()));
  for (const auto& s : set.sources_) {
    m.u8(static_cast<std::uint8_t>(s->kind));
    m.str(s->name);
    m.str(s->version);
  }
  m.u32(static_cast<std::uint32_t>(set.lists_.size()));
  for (const auto& l : set.lists_) {
    m.u32(l.source);
    m.u8(static_cast<std::uint8_t>(l.domain_match));
    m.u16(static_cast<std::uint16_t>(l.confidence));
    m.u32(static_cast<std::uint32_t>(l.markings));
  }
  m.u32(static_cast<std::uint32_t>(set.marking_sets_.size()));
  for (const auto& refs : set.marking_sets_) {
    m.u32(static_cast<std::uint32_t>(refs.size()));
    for (const auto& r : refs) m.str(r);
  }
  m.u32(static_cast<std::uint32_t>(set.marking_definitions_.size()));
  for (const auto& d : set.marking_definitions_) {
    for (const std::string* s : {&d.id, &d.name, &d.definition_type, &d.tlp, &d.statement}) m.str(*s);
  }
  m.u32(static_cast<std::uint32_t>(set.residual_patterns_.size()));
  for (const auto& p : set.residual_patterns_) m.str(p);
  for (const auto& list : set.scan_) {
    m.u32(static_cast<std::uint32_t>(list.size()));
    for (EntryOwner o : list) m.u32(o);
  }
  std::uint32_t wants = 0;
  for (std::size_t k = 0; k < kObservationKindCount; ++k)
    if (set.wants_[k]) wants |= 1u << k;
  m.u32(wants);
  std::vector<Section> sections;
  std::uint8_t present = 0;
  for (const auto& ts : set.sets_)
    if (ts) ++present;
  m.u8(present);
  for (std::size_t t = 0; t < kIndicatorTypeCount; ++t) {
    const TermSet* ts = set.sets_[t].get();
    if (ts == nullptr) continue;
    m.u8(static_cast<std::uint8_t>(t));
    m.u8(static_cast<std::uint8_t>(ts->family_count()));
    for (std::size_t f = 0; f < ts->family_count(); ++f) {
      m.u8(static_cast<std::uint8_t>(ts->shard_bits(f)));
      for (std::size_t s = 0; s < (std::size_t{1} << ts->shard_bits(f)); ++s) {
        const FrozenTable& tab = ts->shard(f, s);
        Section sec;
        sec.kind = kShard;
        sec.type = static_cast<std::uint8_t>(t);
        sec.family = static_cast<std::uint8_t>(f);
        sec.shard = static_cast<std::uint16_t>(s);
        sec.layout = static_cast<std::uint8_t>(tab.layout());
        sec.owner_width = tab.shape().owner_width;
        sec.count = tab.count();
        sec.capacity = tab.capacity();
        sec.key_size = tab.key_size();
        sec.owners = tab.shape().owners;
        sec.bytes = tab.block();
        sec.size = tab.block_size();
        sections.push_back(sec);
      }
    }
    for (std::uint64_t w : ts->meta()) m.u64(w);
  }
  write_stats(m, set.stats_);

  Section meta;
  meta.kind = kMeta;
  meta.bytes = m.b.data();
  meta.size = m.b.size();
  Section records;
  records.kind = kRecords;
  records.count = static_cast<std::uint32_t>(set.records_.size());
  records.bytes = set.records_.block();
  records.size = set.records_.block_size();
  Section ids;
  ids.kind = kIdIndex;
  ids.layout = static_cast<std::uint8_t>(sets::RecordLayout::fixed);
  ids.owner_width = set.id_index_.shape().owner_width;
  ids.count = set.id_index_.count();
  ids.capacity = set.id_index_.capacity();
  ids.key_size = 16;
  ids.owners = set.id_index_.shape().owners;
  ids.bytes = set.id_index_.block();
  ids.size = set.id_index_.block_size();
  sections.insert(sections.begin(), {meta, records, ids});

  const std::size_t table_end = kHeaderSize + kEntrySize * sections.size();
  std::size_t at = (table_end + 7) & ~std::size_t{7};
  for (Section& s : sections) {
    s.offset = at;
    at = (at + s.size + 7) & ~std::size_t{7};
  }
  std::string out(at, '\0');
  auto* p = reinterpret_cast<std::uint8_t*>(&out[0]);
  for (std::size_t i = 0; i < sections.size(); ++i) {
    const Section& s = sections[i];
    std::uint8_t* e = p + kHeaderSize + kEntrySize * i;
    put_u16(e, s.kind);
    e[2] = s.type;
    e[3] = s.family;
    put_u16(e + 4, s.shard);
    e[6] = s.layout;
    e[7] = s.owner_width;
    put_u32(e + 8, s.count);
    put_u32(e + 12, s.capacity);
    put_u32(e + 16, s.key_size);
    put_u32(e + 20, s.owners);
    put_u64(e + 24, s.offset);
    put_u64(e + 32, s.size);
    if (s.size != 0) std::memcpy(p + s.offset, s.bytes, s.size);
  }
  std::memcpy(p, kMagic, 8);
  put_u32(p + 8, kSetFileVersion);
  put_u32(p + 12, kHeaderSize);
  put_u64(p + 16, out.size());
  put_u32(p + 24, static_cast<std::uint32_t>(sections.size()));
  put_u32(p + 28, crc32_of(p + table_end, out.size() - table_end));
  const auto now =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  put_u64(p + 32, static_cast<std::uint64_t>(now));
  put_u32(p + 60, crc32_of(p + kHeaderSize, table_end - kHeaderSize, crc32_of(p, 60)));
  return out;
}

std::string SetFile::write(const IndicatorSet& set, const std::string& path) {
  const std::string bytes = serialise(set);
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return path + ": cannot write: " + errno_text();
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0 &&
                  ::fsync(::fileno(f)) == 0;
  const std::string why = ok ? std::string() : errno_text();
  if (std::fclose(f) != 0 || !ok) {
    std::remove(tmp.c_str());
    return path + ": cannot write: " + (why.empty() ? errno_text() : why);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string e = errno_text();
    std::remove(tmp.c_str());
    return path + ": cannot rename " + tmp + " into place: " + e;
  }
  return {};
}

bool SetFile::sniff(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  std::uint8_t head[8] = {};
  const bool is = std::fread(head, 1, 8, f) == 8 && std::memcmp(head, kMagic, 8) == 0;
  std::fclose(f);
  return is;
}

std::unique_ptr<IndicatorSet> SetFile::load(const std::string& path, LoadStatus& status, const SetFileOptions& options) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(status, path, "cannot open: " + errno_text());
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const std::string e = errno_text();
    ::close(fd);
    return fail(status, path, "cannot stat: " + e);
  }
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    const auto size = static_cast<std::size_t>(st.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (map == MAP_FAILED) return fail(status, path, "cannot map: " + errno_text());
    std::shared_ptr<const void> keep(map, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
    SetFileOptions mapped = options;
    mapped.release_dropped_pages = true;
    return load_image(path, static_cast<const std::uint8_t*>(map), size, std::move(keep), status, mapped);
  }
  auto bytes = std::make_shared<std::vector<std::uint8_t>>();
  std::uint8_t buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string e = errno_text();
      ::close(fd);
      return fail(status, path, "cannot read: " + e);
    }
    if (n == 0) break;
    bytes->insert(bytes->end(), buf, buf + n);
  }
  ::close(fd);
  const std::uint8_t* data = bytes->data();
  const std::size_t size = bytes->size();
  return load_image(path, data, size, std::shared_ptr<const void>(bytes, data), status, options);
}

std::unique_ptr<IndicatorSet> SetFile::load_image(std::string_view name, const std::uint8_t* p, std::size_t size,
                                                  std::shared_ptr<const void> keep, LoadStatus& status,
                                                  const SetFileOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (size < kHeaderSize || std::memcmp(p, kMagic, 8) != 0)
    return fail(status, name, "not a compiled indicator set (bad magic)");
  const std::uint32_t version = get_u32(p + 8);
  if (version != kSetFileVersion)
    return fail(status, name, "compiled set format version " + std::to_string(version) + ", this agent reads version " +
                                  std::to_string(kSetFileVersion) + " (recompile it with this outpost-rules)");
  if (get_u32(p + 12) != kHeaderSize) return fail(status, name, "bad header size");
  if (get_u64(p + 16) != size)
    return fail(status, name, "file is " + std::to_string(size) + " bytes, its header says " +
                                  std::to_string(get_u64(p + 16)) + " (truncated or appended to)");
  const std::uint32_t count = get_u32(p + 24);
  if (count < 3 || count > kMaxSections || kHeaderSize + kEntrySize * count > size)
    return fail(status, name, "bad section count " + std::to_string(count));
  const std::size_t table_end = kHeaderSize + kEntrySize * count;
  if (crc32_of(p + kHeaderSize, table_end - kHeaderSize, crc32_of(p, 60)) != get_u32(p + 60))
    return fail(status, name, "header checksum mismatch (corrupt file)");
  if (options.verify_checksum && crc32_of(p + table_end, size - table_end) != get_u32(p + 28))
    return fail(status, name, "checksum mismatch (corrupt file)");

  std::vector<Section> sections(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint8_t* e = p + kHeaderSize + kEntrySize * i;
    Section& s = sections[i];
    s.kind = get_u16(e);
    s.type = e[2];
    s.family = e[3];
    s.shard = get_u16(e + 4);
    s.layout = e[6];
    s.owner_width = e[7];
    s.count = get_u32(e + 8);
    s.capacity = get_u32(e + 12);
    s.key_size = get_u32(e + 16);
    s.owners = get_u32(e + 20);
    s.offset = get_u64(e + 24);
    s.size = get_u64(e + 32);
    if (s.offset < table_end || s.offset > size || s.size > size - s.offset)
      return fail(status, name, "section " + std::to_string(i) + " lies outside the file");
    s.bytes = p + s.offset;
  }
  if (sections[0].kind != kMeta || sections[1].kind != kRecords || sections[2].kind != kIdIndex)
    return fail(status, name, "sections out of order");

  std::unique_ptr<IndicatorSet> set(new IndicatorSet);
  IndicatorSet& out = *set;
  auto bad = [&](const std::string& what) { return fail(status, name, "bad " + what); };

  ByteReader r(sections[0].bytes, sections[0].size);
  const std::uint32_t nsources = r.count(9);
  for (std::uint32_t i = 0; i < nsources && r.ok; ++i) {
    auto src = std::make_unique<IndicatorSource>();
    src->kind = static_cast<IndicatorSource::Kind>(r.u8() % 3);
    src->name = r.str();
    src->version = r.str();
    out.sources_.push_back(std::move(src));
  }
  const std::uint32_t nlists = r.count(11);
  for (std::uint32_t i = 0; i < nlists && r.ok; ++i) {
    IndicatorSet::ListSource l;
    l.source = r.u32();
    l.domain_match = r.u8() == 1 ? DomainMatch::exact : DomainMatch::suffix;
    l.confidence = static_cast<std::int16_t>(r.u16());
    l.markings = static_cast<std::int32_t>(r.u32());
    out.lists_.push_back(l);
  }
  const std::uint32_t nmarkings = r.count(4);
  for (std::uint32_t i = 0; i < nmarkings && r.ok; ++i) {
    std::vector<std::string> refs(r.count(4));
    for (auto& ref : refs) ref = r.str();
    out.marking_sets_.push_back(std::move(refs));
  }
  const std::uint32_t ndefs = r.count(20);
  for (std::uint32_t i = 0; i < ndefs && r.ok; ++i) {
    stix::MarkingDefinition d;
    for (std::string* s : {&d.id, &d.name, &d.definition_type, &d.tlp, &d.statement}) *s = r.str();
    out.marking_definitions_.push_back(std::move(d));
  }
  const std::uint32_t nresiduals = r.count(4);
  for (std::uint32_t i = 0; i < nresiduals && r.ok; ++i) out.residual_patterns_.push_back(r.str());
  for (auto& list : out.scan_) {
    const std::uint32_t n = r.count(4);
    for (std::uint32_t i = 0; i < n && r.ok; ++i) list.push_back(r.u32());
  }
  const std::uint32_t wants = r.u32();
  for (std::size_t k = 0; k < kObservationKindCount; ++k) out.wants_[k] = (wants >> k & 1) != 0;

  // Per type: its families' shard bits, then its shard sections (in file order) and state.
  std::vector<std::vector<std::vector<FrozenTable>>> shards(kIndicatorTypeCount);
  std::vector<std::array<std::uint64_t, 4>> metas(kIndicatorTypeCount);
  std::vector<bool> present(kIndicatorTypeCount, false);
  const std::uint8_t ntypes = r.u8();
  for (std::uint8_t i = 0; i < ntypes && r.ok; ++i) {
    const std::uint8_t t = r.u8();
    const std::uint8_t families = r.u8();
    if (t >= kIndicatorTypeCount || present[t] || families == 0 || families > 4) return bad("type table");
    present[t] = true;
    shards[t].resize(families);
    for (std::uint8_t f = 0; f < families; ++f) {
      const std::uint8_t bits = r.u8();
      if (bits > 8) return bad("shard count");
      shards[t][f].resize(std::size_t{1} << bits);
    }
    for (auto& w : metas[t]) w = r.u64();
  }
  read_stats(r, out.stats_);
  if (!r.ok) return bad("meta section (truncated or corrupt)");
  for (const auto& l : out.lists_)
    if (l.source >= out.sources_.size() || l.markings >= static_cast<std::int32_t>(out.marking_sets_.size()) ||
        l.markings < -1)
      return bad("list source");

  // Each block owns its own reference to the image, so a block dropped by a merge can give
  // its pages back while the rest stays mapped.
  const auto block_keep = [&](const std::uint8_t* bytes, std::size_t n) {
    return options.release_dropped_pages ? pages_released_when_dropped(keep, bytes, n) : keep;
  };
  if (!RecordTable::wrap(sections[1].bytes, sections[1].size, block_keep(sections[1].bytes, sections[1].size),
                         out.records_))
    return bad("record section");
  for (std::size_t i = 0; i < out.records_.size(); ++i) {
    const IndicatorRecord rec = out.records_.get(i);
    if (rec.source >= out.sources_.size() || rec.markings < -1 ||
        rec.markings >= static_cast<std::int32_t>(out.marking_sets_.size()) || rec.residual < -1 ||
        rec.residual >= static_cast<std::int32_t>(out.residual_patterns_.size()))
      return bad("record " + std::to_string(i));
  }
  const Section& ids = sections[2];
  if (ids.layout != static_cast<std::uint8_t>(sets::RecordLayout::fixed) || ids.key_size != 16 ||
      !FrozenTable::wrap(shape_of(ids), ids.bytes, ids.size, block_keep(ids.bytes, ids.size), out.id_index_))
    return bad("id index");

  std::vector<std::vector<std::vector<bool>>> seen(kIndicatorTypeCount);
  for (std::size_t t = 0; t < kIndicatorTypeCount; ++t) {
    seen[t].resize(shards[t].size());
    for (std::size_t f = 0; f < shards[t].size(); ++f) seen[t][f].assign(shards[t][f].size(), false);
  }
  for (std::size_t i = 3; i < sections.size(); ++i) {
    const Section& s = sections[i];
    if (s.kind != kShard || s.type >= kIndicatorTypeCount || s.family >= shards[s.type].size() ||
        s.shard >= shards[s.type][s.family].size() || seen[s.type][s.family][s.shard])
      return bad("section " + std::to_string(i));
    if (s.layout > 1 ||
        !FrozenTable::wrap(shape_of(s), s.bytes, s.size, block_keep(s.bytes, s.size), shards[s.type][s.family][s.shard]))
      return bad("shard in section " + std::to_string(i));
    seen[s.type][s.family][s.shard] = true;
  }
  for (std::size_t t = 0; t < kIndicatorTypeCount; ++t) {
    if (!present[t]) continue;
    for (const auto& f : seen[t])
      for (bool b : f)
        if (!b) return bad(std::string(indicator_type_name(static_cast<IndicatorType>(t))) + " set: a shard is missing");
    auto ts = make_term_set(static_cast<IndicatorType>(t), out.budget_);
    if (!ts || !ts->adopt(std::move(shards[t]), metas[t]))
      return bad(std::string(indicator_type_name(static_cast<IndicatorType>(t))) + " set");
    out.sets_[t] = std::move(ts);
  }
  if (auto err = out.compile_residuals(); !err.empty()) return bad(err);

  LoadStats& st = out.stats_;
  for (std::size_t i = 0; i < kIndicatorTypeCount; ++i) {
    st.types[i].entries = out.size(static_cast<IndicatorType>(i));
    st.types[i].bytes = out.memory_bytes(static_cast<IndicatorType>(i));
  }
  st.stix_indicators = out.records_.size();
  st.memory_bytes = out.memory_bytes();
  st.set_file.assign(name);
  st.set_file_bytes = size;
  st.set_file_version = version;
  st.load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  status = LoadStatus{};
  return set;
}

std::unique_ptr<IndicatorSet> load_indicators(const std::vector<std::string>& specs, const LoadOptions& options,
                                              LoadStatus& status, const ListOptions& list_options) {
  if (specs.size() == 1 && !lists::parse_list_spec(specs[0]).kind && SetFile::sniff(specs[0]))
    return SetFile::load(specs[0], status);
  IndicatorSetBuilder builder(options);
  for (const auto& spec : specs) {
    status = builder.add(spec, list_options);
    if (!status) return nullptr;
  }
  status = LoadStatus{};
  return builder.build();
}

}  // namespace outpost::rules
