#include "capture/decode/packet.h"

namespace outpost::capture {

namespace {
constexpr std::string_view kDropReasonNames[kDropReasonCount] = {
    "none",         "truncated_l2",  "unsupported_link", "truncated_ip",
    "bad_ip_header", "bad_ipv6_ext", "truncated_l4",     "bad_l4_header",
    "tunnel_too_deep", "fragment_overflow", "fragment_bad",
    "bad_l2_header", "bad_tunnel_header",
};
}  // namespace

std::string_view drop_reason_name(DropReason r) noexcept {
  const auto i = static_cast<std::size_t>(r);
  return i < kDropReasonCount ? kDropReasonNames[i] : std::string_view("unknown");
}

}  // namespace outpost::capture
