#include "capture/dpi/dpi_classifier.h"

namespace outpost::capture {

namespace {
constexpr std::string_view kAppFamilyNames[kAppFamilyCount] = {"unknown", "dns", "tls", "http", "quic"};
constexpr std::string_view kPayloadHintNames[kPayloadHintCount] = {
    "none", "tls_client_hello", "http_request", "dns_message", "quic_initial"};
}  // namespace

std::string_view app_family_name(AppFamily f) noexcept {
  const auto i = static_cast<std::size_t>(f);
  return i < kAppFamilyCount ? kAppFamilyNames[i] : std::string_view("unknown");
}

std::string_view payload_hint_name(PayloadHint h) noexcept {
  const auto i = static_cast<std::size_t>(h);
  return i < kPayloadHintCount ? kPayloadHintNames[i] : std::string_view("unknown");
}

DpiVerdict verdict_of(const DpiFlowSlot& slot) noexcept {
  DpiVerdict v;
  v.done = slot.done();
  v.guessed = slot.guessed();
  v.family = slot.family;
  v.app_proto = slot.app_proto;
  return v;
}

}  // namespace outpost::capture
