#include "rules/stix/stix_id.h"

#include <mbedtls/sha1.h>

#include <cstdio>
#include <cstring>

namespace outpost::rules {

std::string Uuid::str() const {
  char buf[37];
  std::snprintf(buf, sizeof buf,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return buf;
}

namespace {
int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool parse_uuid(std::string_view t, Uuid& out) noexcept {
  if (t.size() != 36) return false;
  Uuid u;
  std::size_t j = 0;
  for (std::size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (t[i] != '-') return false;
      ++i;
      continue;
    }
    const int hi = hexval(t[i]), lo = hexval(t[i + 1]);
    if (hi < 0 || lo < 0) return false;
    u.bytes[j++] = static_cast<std::uint8_t>(hi << 4 | lo);
    i += 2;
  }
  out = u;
  return true;
}

Uuid uuid_v5(const Uuid& ns, std::string_view name) {
  unsigned char digest[20];
  mbedtls_sha1_context ctx;
  mbedtls_sha1_init(&ctx);
  mbedtls_sha1_starts_ret(&ctx);
  mbedtls_sha1_update_ret(&ctx, ns.bytes, 16);
  mbedtls_sha1_update_ret(&ctx, reinterpret_cast<const unsigned char*>(name.data()), name.size());
  mbedtls_sha1_finish_ret(&ctx, digest);
  mbedtls_sha1_free(&ctx);
  Uuid u;
  std::memcpy(u.bytes, digest, 16);
  u.bytes[6] = static_cast<std::uint8_t>((u.bytes[6] & 0x0f) | 0x50);  // version 5
  u.bytes[8] = static_cast<std::uint8_t>((u.bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return u;
}

const Uuid& stix_sco_namespace() {
  static const Uuid ns = [] {
    Uuid u;
    parse_uuid("00abedb4-aa42-466c-9c01-fed23315a9b7", u);
    return u;
  }();
  return ns;
}

const Uuid& outpost_namespace() {
  // uuid_v5(DNS namespace, "outpost.sensor") computed once and frozen here.
  static const Uuid ns = [] {
    Uuid dns;
    parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", dns);
    return uuid_v5(dns, "outpost.sensor");
  }();
  return ns;
}

void append_jcs_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out.push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 15]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

std::string sco_id(std::string_view type, std::string_view canonical_json) {
  std::string id(type);
  id += "--";
  id += uuid_v5(stix_sco_namespace(), canonical_json).str();
  return id;
}

std::string sco_id_for_value(std::string_view type, std::string_view value) {
  std::string json = "{\"value\":";
  append_jcs_string(json, value);
  json += '}';
  return sco_id(type, json);
}

std::string outpost_id(std::string_view type, std::string_view name) {
  std::string id(type);
  id += "--";
  id += uuid_v5(outpost_namespace(), name).str();
  return id;
}

}  // namespace outpost::rules
