#include "rules/match.h"

namespace outpost::rules {

std::string_view indicator_source_kind_name(IndicatorSource::Kind k) noexcept {
  switch (k) {
    case IndicatorSource::Kind::bundle: return "bundle";
    case IndicatorSource::Kind::list: return "list";
    case IndicatorSource::Kind::collection: return "collection";
  }
  return "bundle";
}

}  // namespace outpost::rules
