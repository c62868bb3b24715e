#include "support/truth.h"

#include <cctype>
#include <fstream>

#include "support/corpus.h"

namespace outpost::test {

std::vector<std::string> corpus_captures() {
  std::vector<std::string> out;
  std::ifstream in(corpus_path("pcap/MANIFEST.tsv"));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    const auto tab = line.find('\t');
    if (tab != 0 && !line.empty()) out.push_back(line.substr(0, tab));
  }
  return out;
}

namespace {
std::string unescape_tsv(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == 't' || s[i + 1] == 'r' || s[i + 1] == 'n')) {
      out += s[i + 1] == 't' ? '\t' : s[i + 1] == 'r' ? '\r' : '\n';
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}
}  // namespace

std::vector<TruthRow> read_truth(const std::string& capture) {
  std::vector<TruthRow> rows;
  std::ifstream in(corpus_path("truth/" + capture + ".tsv"));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::size_t pos = 0;
    for (;;) {
      const auto tab = line.find('\t', pos);
      f.push_back(line.substr(pos, tab == std::string::npos ? std::string::npos : tab - pos));
      if (tab == std::string::npos) break;
      pos = tab + 1;
    }
    if (f.size() < 5) continue;
    TruthRow r;
    r.kind = f[0];
    r.value = unescape_tsv(f[1]);
    r.first_seen = f[2];
    r.first_frame = std::stoull(f[3]);
    r.packets = std::stoull(f[4]);
    rows.push_back(std::move(r));
  }
  return rows;
}

std::set<std::string> truth_values(const std::string& capture, const std::string& kind) {
  std::set<std::string> out;
  for (auto& r : read_truth(capture))
    if (r.kind == kind) out.insert(r.value);
  return out;
}

std::string unescape_dns_text(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 >= text.size()) {
      out += text[i];
    } else if (i + 3 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
      out += static_cast<char>((text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0'));
      i += 3;
    } else {
      out += text[i + 1];
      i += 1;
    }
  }
  return out;
}

std::string utf8_sanitize(const std::string& raw) {
  // One U+FFFD per ill-formed subpart: a lead byte and the continuation bytes (0x80..0xBF)
  // that follow it, up to the length the lead announces. Unlike Unicode's "maximal subpart"
  // rule, a surrogate, overlong or 5/6-byte prefix (ED BF, F7 BF, FB BD...) counts as one
  // subpart: that is what the truth files show (tshark 4.0's JSON output), e.g.
  // "M\xED\xBFdnA" -> "M\uFFFDdnA".
  static const std::string kReplacement = "\xef\xbf\xbd";
  std::string out;
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  const std::size_t n = raw.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    // Lead bytes of the original (RFC 2279) UTF-8 announce up to 6 bytes; the grouping uses
    // them even though only sequences valid under RFC 3629 are kept.
    if (c >= 0xc0 && c <= 0xdf) {
      len = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf7) {
      len = 4;
      cp = c & 0x07;
    } else if (c >= 0xf8 && c <= 0xfb) {
      len = 5;
    } else if (c >= 0xfc && c <= 0xfd) {
      len = 6;
    }
    std::size_t k = 1;
    while (len != 0 && k < len && i + k < n && (p[i + k] & 0xc0) == 0x80) {
      cp = (cp << 6) | (p[i + k] & 0x3f);
      ++k;
    }
    bool ok = len != 0 && k == len;
    if (ok && (len > 4 || (len == 2 && cp < 0x80))) ok = false;
    if (ok && len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    if (ok && len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ok = false;
    if (ok) {
      out.append(raw, i, len);
    } else {
      out += kReplacement;
    }
    i += k;
  }
  return out;
}

}  // namespace outpost::test
