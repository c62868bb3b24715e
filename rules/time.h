#pragma once
// RFC 3339 / STIX 2.1 timestamps (STIX 2.1 §3.2) as 64-bit microseconds since the epoch,
// computed without time_t so dates after 2038 work on 32-bit routers.

#include <cstddef>
#include <string>
#include <string_view>

#include "rules/observation.h"

namespace outpost::rules {

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (STIX requires UTC 'Z'; an explicit "+00:00"
// offset is accepted too). Fractions beyond microseconds are truncated. Returns false on any
// other form.
bool parse_timestamp(std::string_view text, TimeUs& out) noexcept;

// Formats as "YYYY-MM-DDTHH:MM:SS.ffffffZ" (microsecond precision, what TAXII 2.1 wants) or,
// with millis = true, "YYYY-MM-DDTHH:MM:SS.mmmZ" (STIX 2.1 §3.2 millisecond form).
std::string format_timestamp(TimeUs t, bool millis = false);

// Days since 1970-01-01 for a proleptic Gregorian date, and the inverse (H. Hinnant's
// civil-calendar algorithms, valid far beyond 2038 in 64-bit arithmetic).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept;
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) noexcept;

}  // namespace outpost::rules
