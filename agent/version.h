#pragma once
#include <string_view>

namespace outpost::agent {
// The agent's version, as reported in sightings' tool/extension context and --version.
std::string_view version() noexcept;
}  // namespace outpost::agent
