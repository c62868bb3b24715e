#pragma once
// Constructors of the per-type set modules (one .cpp each); use make_term_set() instead.

#include <memory>

#include "rules/sets/term_set.h"

namespace outpost::rules::sets {

std::unique_ptr<TermSet> make_domain_set(MemoryBudget& budget);
std::unique_ptr<TermSet> make_url_set(MemoryBudget& budget);
std::unique_ptr<TermSet> make_address_set(IndicatorType ipv4_or_ipv6, MemoryBudget& budget);
std::unique_ptr<TermSet> make_ip_port_set(MemoryBudget& budget);
std::unique_ptr<TermSet> make_digest_set(IndicatorType digest_type, MemoryBudget& budget);

}  // namespace outpost::rules::sets
