// libFuzzer target: the sighting side (agent/report) on untrusted observation values.
//
// The input is a script of matches and clock steps. Each match carries wire-derived strings
// (value, context, app protocol) in heap blocks of exactly their length, a kind, direction,
// addresses, ports and a time step. Every closed window is written as a STIX bundle, which
// must parse as JSON with valid UTF-8 (RapidJSON kParseValidateEncodingFlag); sightings must
// keep first_seen <= last_seen <= closed_at, and reported URLs carry no query unless
// keep_query is on.
//
// Seeds: any bytes; a few hand-made scripts are enough to reach every kind.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "agent/report/pseudonym_key.h"
#include "rules/rapidjson.h"
#include "agent/report/sighting_aggregator.h"
#include "agent/report/stix_bundle_writer.h"

namespace {

using namespace outpost;

struct Reader {
  const std::uint8_t* p;
  std::size_t n;
  std::uint8_t u8() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | u8();
    return v;
  }
  // A string in its own heap block of exactly its length.
  std::vector<char> bytes(std::size_t len) {
    if (len > n) len = n;
    std::vector<char> out(p, p + len);
    p += len;
    n -= len;
    return out;
  }
};

void check_bundle(const std::string& json, const agent::ClosedWindow& w, bool keep_query) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject() || !d["objects"].IsArray()) std::abort();
  for (const auto& o : d["objects"].GetArray()) {
    const std::string type = o["type"].GetString();
    if (type == "url" && !keep_query) {
      const std::string v = o["value"].GetString();
      if (v.find('?') != std::string::npos || v.find('#') != std::string::npos) std::abort();
    }
  }
  for (const agent::Sighting& s : w.sightings) {
    if (s.count == 0 || s.first_seen > s.last_seen || s.last_seen > w.closed_at) std::abort();
    if (s.first_seen < w.start || s.first_seen >= w.end) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader in{data, size};
  const std::uint8_t flags = in.u8();
  agent::ReportOptions opt;
  opt.window_us = (1 + in.u8() % 120) * 60LL * 1000000;
  opt.max_open_sightings = 1 + flags % 8;
  opt.max_observables_per_sighting = 1 + (flags >> 3) % 6;
  opt.keep_query = flags & 0x40;
  opt.raw_device = flags & 0x80;
  std::array<std::uint8_t, agent::PseudonymKey::kBytes> key_bytes{};
  key_bytes[0] = flags;
  const agent::PseudonymKey key = agent::PseudonymKey::from_bytes(key_bytes);
  const agent::StixBundleWriter writer(opt, &key);
  agent::SightingAggregator agg(opt, [&](agent::ClosedWindow&& w) {
    check_bundle(writer.bundle(w), w, opt.keep_query);
  });

  static const char* kIds[] = {"indicator--33fe3b22-0201-47cf-85d0-97c02164528d",
                               "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                               "indicator--d81f86b9-975b-4c0b-875e-810c5ad45a4f"};
  rules::IndicatorSource source{rules::IndicatorSource::Kind::list, "fuzz.txt", "1"};
  const std::vector<std::string> markings = {
      "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"};
  rules::TimeUs ts = 1569571466977364;

  while (in.n > 0) {
    const std::uint8_t op = in.u8();
    ts += static_cast<std::int32_t>(in.u32());
    if (op % 8 == 0) {
      agg.advance(ts);
      continue;
    }
    rules::Observation o;
    o.kind = static_cast<rules::ObservationKind>(in.u8() % rules::kObservationKindCount);
    o.direction = static_cast<rules::Direction>(in.u8() % 4);
    o.l4_proto = in.u8();
    o.remote_port = static_cast<std::uint16_t>(in.u32());
    o.ts = ts;
    const std::uint8_t shape = in.u8();
    o.device.kind = static_cast<rules::Device::Kind>(shape % 3);
    o.device.mac[5] = static_cast<std::uint8_t>(shape >> 2);
    o.device.ip.family = 4;
    o.device.ip.bytes[3] = static_cast<std::uint8_t>(shape >> 2);
    o.local.family = 4;
    o.local.bytes[0] = 192;
    o.remote.family = (shape & 0x40) ? 6 : (shape & 0x80) ? 4 : 0;
    for (int i = 0; i < 16; ++i) o.remote.bytes[i] = in.u8();
    const std::vector<char> value = in.bytes(in.u8() * ((op & 0x80) ? 8u : 1u));
    const std::vector<char> context = in.bytes(in.u8() % 64);
    const std::vector<char> app = in.bytes(in.u8() % 16);
    o.value = std::string_view(value.data(), value.size());
    o.context = std::string_view(context.data(), context.size());
    o.app_proto = std::string_view(app.data(), app.size());

    rules::MatchedIndicator m;
    m.stored_id = kIds[op % 3];
    m.source = &source;
    m.confidence = static_cast<int>(op) - 20;
    m.marking_refs = (op & 0x10) ? &markings : nullptr;
    m.matched_term = o.value;
    agg.on_match(m, o);
    if (agg.open_sightings() > opt.max_open_sightings) std::abort();
  }
  agg.flush();
  if (agg.open_sightings() != 0) std::abort();
  return 0;
}
