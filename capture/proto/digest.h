#pragma once
// Message digests for fingerprints and certificate hashes: thin wrappers over mbedTLS crypto
// (2.28 `_ret` API and 3.x API alike), with lowercase hex output. No allocation.

#include <cstddef>
#include <cstdint>

#include <mbedtls/md5.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>

namespace outpost::capture::proto {

inline constexpr std::size_t kMd5Bytes = 16;
inline constexpr std::size_t kSha1Bytes = 20;
inline constexpr std::size_t kSha256Bytes = 32;

// Writes 2*n lowercase hex digits and a terminating NUL into out (capacity >= 2*n + 1).
void hex_lower(const std::uint8_t* bytes, std::size_t n, char* out) noexcept;

// SHA-1 computed while the bytes pass (X.509 certificates split across TCP segments).
class Sha1Stream {
 public:
  Sha1Stream() noexcept;
  ~Sha1Stream();
  Sha1Stream(const Sha1Stream&) = delete;
  Sha1Stream& operator=(const Sha1Stream&) = delete;

  void start() noexcept;
  void update(const std::uint8_t* data, std::size_t len) noexcept;
  void finish(std::uint8_t out[kSha1Bytes]) noexcept;

 private:
  mbedtls_sha1_context ctx_;
};

// MD5 over text produced in pieces (JA3 / JA3S strings that are never stored whole).
class Md5Stream {
 public:
  Md5Stream() noexcept;
  ~Md5Stream();
  Md5Stream(const Md5Stream&) = delete;
  Md5Stream& operator=(const Md5Stream&) = delete;

  void update(const void* data, std::size_t len) noexcept;
  void finish(std::uint8_t out[kMd5Bytes]) noexcept;

 private:
  mbedtls_md5_context ctx_;
};

// SHA-256 over text produced in pieces (JA4 hash parts) and over certificates as they pass.
class Sha256Stream {
 public:
  Sha256Stream() noexcept;
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;

  void start() noexcept;  // forgets what was hashed (finish() does so too)
  void update(const void* data, std::size_t len) noexcept;
  void finish(std::uint8_t out[kSha256Bytes]) noexcept;

 private:
  mbedtls_sha256_context ctx_;
};

void sha256(const void* data, std::size_t len, std::uint8_t out[kSha256Bytes]) noexcept;

}  // namespace outpost::capture::proto
