#include "rules/match.h"

#include <cstring>

#include "rules/indicator_value.h"
#include "rules/stix/stix_id.h"

namespace outpost::rules {

std::string_view indicator_source_kind_name(IndicatorSource::Kind k) noexcept {
  switch (k) {
    case IndicatorSource::Kind::bundle: return "bundle";
    case IndicatorSource::Kind::list: return "list";
    case IndicatorSource::Kind::collection: return "collection";
  }
  return "bundle";
}

std::string_view MatchedIndicator::id() const noexcept {
  if (!stored_id.empty()) return stored_id;
  if (derived_size_ == 0) {
    char name[32 + kMaxUrlLength];
    std::string_view term = matched_term;
    if (list_type.size() + 1 + term.size() > sizeof name) term = term.substr(0, sizeof name - list_type.size() - 1);
    std::memcpy(name, list_type.data(), list_type.size());
    name[list_type.size()] = ':';
    std::memcpy(name + list_type.size() + 1, term.data(), term.size());
    const Uuid u = uuid_v5(outpost_namespace(), std::string_view(name, list_type.size() + 1 + term.size()));
    static const char prefix[] = "indicator--";
    std::memcpy(derived_, prefix, sizeof prefix - 1);
    std::size_t n = sizeof prefix - 1;
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) derived_[n++] = '-';
      derived_[n++] = hex[u.bytes[i] >> 4];
      derived_[n++] = hex[u.bytes[i] & 15];
    }
    derived_size_ = static_cast<std::uint8_t>(n);
  }
  return std::string_view(derived_, derived_size_);
}

}  // namespace outpost::rules
