#pragma once
// PseudonymKey: the secret that turns a LAN device (MAC or IP) into a stable pseudonym, so
// sightings from one device can be grouped without revealing the device. Pseudonym =
// "dev-" + hex(first 12 bytes of HMAC-SHA256(key, tag || device bytes)) (RFC 2104), where the
// tag byte ('M' for a MAC, '4'/'6' for an address) keeps a MAC and an address apart.
//
// The key is 32 random bytes in a file of mode 0600, created on first run. A key file that
// group or others may read is refused: whoever reads it can reverse pseudonyms by trying the
// few MACs of a vendor range. Files: 32 raw bytes, or 64 hex digits (optionally followed by a
// newline) so `openssl rand -hex 32 > key` works too.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "rules/observation.h"

namespace outpost::agent {

class PseudonymKey {
 public:
  static constexpr std::size_t kBytes = 32;
  static constexpr std::size_t kPseudonymBytes = 12;  // 96 bits: no collisions in a home

  // Reads the key at `path`. Throws std::runtime_error with a one-line message naming the
  // file when it is missing, unreadable, not a regular file, readable by group/others, or
  // not a key.
  static PseudonymKey load(const std::string& path);

  // Reads the key at `path`, creating it (32 bytes from /dev/urandom, mode 0600, created with
  // O_CREAT|O_EXCL so an existing file is never replaced) when it does not exist. The folder
  // must exist. Throws std::runtime_error like load().
  static PseudonymKey load_or_create(const std::string& path);

  // A key from bytes already at hand (tests, or keys kept elsewhere).
  static PseudonymKey from_bytes(const std::array<std::uint8_t, kBytes>& bytes) noexcept;

  // "dev-" + 24 lowercase hex digits; empty for a device of kind none.
  std::string pseudonym(const rules::Device& device) const;

 private:
  std::array<std::uint8_t, kBytes> key_{};
};

// The device label written into sightings: its pseudonym, or with `raw` its MAC
// ("aa:bb:cc:dd:ee:ff") or IP address text. `key` may be null only when `raw` is true.
// Empty for a device of kind none.
std::string device_label(const rules::Device& device, const PseudonymKey* key, bool raw);

}  // namespace outpost::agent
