#include "agent/version.h"

namespace outpost::agent {
std::string_view version() noexcept { return OUTPOST_VERSION; }
}  // namespace outpost::agent
