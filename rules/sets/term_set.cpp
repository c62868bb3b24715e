#include "rules/sets/term_set.h"

#include "rules/sets/modules.h"

namespace outpost::rules {

std::unique_ptr<TermSet> make_term_set(IndicatorType type, MemoryBudget& budget) {
  switch (type) {
    case IndicatorType::domain: return sets::make_domain_set(budget);
    case IndicatorType::url: return sets::make_url_set(budget);
    case IndicatorType::ipv4:
    case IndicatorType::ipv6: return sets::make_address_set(type, budget);
    case IndicatorType::ip_port: return sets::make_ip_port_set(budget);
    case IndicatorType::md5:
    case IndicatorType::sha1:
    case IndicatorType::sha256:
    case IndicatorType::ja3:
    case IndicatorType::ja3s:
    case IndicatorType::x509_sha1: return sets::make_digest_set(type, budget);
    case IndicatorType::count_: break;
  }
  return nullptr;
}

}  // namespace outpost::rules
