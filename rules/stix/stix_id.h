#pragma once
// STIX 2.1 identifiers (§2.9): `type--UUID`. SCOs get deterministic UUIDv5 ids over the JSON
// Canonicalization Scheme (RFC 8785) form of their ID-contributing properties, in the STIX
// namespace 00abedb4-aa42-466c-9c01-fed23315a9b7. Outpost's own objects (sightings, list
// indicators, the sensor identity) use UUIDv5 in Outpost's namespace so a re-sent object has
// the same id.

#include <cstdint>
#include <string>
#include <string_view>

namespace outpost::rules {

struct Uuid {
  std::uint8_t bytes[16] = {};
  std::string str() const;  // lowercase 8-4-4-4-12
};

// RFC 4122 §4.3 name-based UUID, version 5 (SHA-1).
Uuid uuid_v5(const Uuid& ns, std::string_view name);
// Parses the 8-4-4-4-12 form; false if malformed.
bool parse_uuid(std::string_view text, Uuid& out) noexcept;

// STIX 2.1 §2.9 namespace for deterministic SCO ids.
const Uuid& stix_sco_namespace();
// Outpost's namespace for its own deterministic ids (indicators from plain lists, sightings,
// observed-data, the sensor identity). Fixed forever: changing it changes every id.
const Uuid& outpost_namespace();

// Appends `s` as an RFC 8785 (JCS) JSON string: quotes, \" \\ \b \f \n \r \t escaped, other
// control characters as \u00xx, everything else (including UTF-8) verbatim.
void append_jcs_string(std::string& out, std::string_view s);

// "type--UUIDv5(STIX namespace, canonical_json)". canonical_json must already be JCS, e.g.
// {"value":"example.com"}.
std::string sco_id(std::string_view type, std::string_view canonical_json);

// Convenience for the many SCOs whose only ID-contributing property is `value`
// (domain-name, ipv4-addr, ipv6-addr, url, ...).
std::string sco_id_for_value(std::string_view type, std::string_view value);

// "prefix--UUIDv5(Outpost namespace, name)" for Outpost's own objects.
std::string outpost_id(std::string_view type, std::string_view name);

}  // namespace outpost::rules
