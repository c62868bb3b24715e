#include "capture/proto/digest.h"

#include <mbedtls/version.h>

// mbedTLS 3.0 dropped the `_ret` suffix (the plain names now return int); 2.28 has both but
// deprecates the plain void ones.
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define OUTPOST_MBED(fn) fn
#else
#define OUTPOST_MBED(fn) fn##_ret
#endif

namespace outpost::capture::proto {

void hex_lower(const std::uint8_t* bytes, std::size_t n, char* out) noexcept {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  out[2 * n] = '\0';
}

Sha1Stream::Sha1Stream() noexcept {
  mbedtls_sha1_init(&ctx_);
  start();
}
Sha1Stream::~Sha1Stream() { mbedtls_sha1_free(&ctx_); }
void Sha1Stream::start() noexcept { (void)OUTPOST_MBED(mbedtls_sha1_starts)(&ctx_); }
void Sha1Stream::update(const std::uint8_t* data, std::size_t len) noexcept {
  if (len != 0) (void)OUTPOST_MBED(mbedtls_sha1_update)(&ctx_, data, len);
}
void Sha1Stream::finish(std::uint8_t out[kSha1Bytes]) noexcept {
  (void)OUTPOST_MBED(mbedtls_sha1_finish)(&ctx_, out);
  start();
}

Md5Stream::Md5Stream() noexcept {
  mbedtls_md5_init(&ctx_);
  (void)OUTPOST_MBED(mbedtls_md5_starts)(&ctx_);
}
Md5Stream::~Md5Stream() { mbedtls_md5_free(&ctx_); }
void Md5Stream::update(const void* data, std::size_t len) noexcept {
  if (len != 0)
    (void)OUTPOST_MBED(mbedtls_md5_update)(&ctx_, static_cast<const unsigned char*>(data), len);
}
void Md5Stream::finish(std::uint8_t out[kMd5Bytes]) noexcept {
  (void)OUTPOST_MBED(mbedtls_md5_finish)(&ctx_, out);
  (void)OUTPOST_MBED(mbedtls_md5_starts)(&ctx_);
}

Sha256Stream::Sha256Stream() noexcept {
  mbedtls_sha256_init(&ctx_);
  start();
}
Sha256Stream::~Sha256Stream() { mbedtls_sha256_free(&ctx_); }
void Sha256Stream::start() noexcept { (void)OUTPOST_MBED(mbedtls_sha256_starts)(&ctx_, 0); }
void Sha256Stream::update(const void* data, std::size_t len) noexcept {
  if (len != 0)
    (void)OUTPOST_MBED(mbedtls_sha256_update)(&ctx_, static_cast<const unsigned char*>(data), len);
}
void Sha256Stream::finish(std::uint8_t out[kSha256Bytes]) noexcept {
  (void)OUTPOST_MBED(mbedtls_sha256_finish)(&ctx_, out);
  start();
}

void sha256(const void* data, std::size_t len, std::uint8_t out[kSha256Bytes]) noexcept {
  (void)OUTPOST_MBED(mbedtls_sha256)(static_cast<const unsigned char*>(data), len, out, 0);
}

}  // namespace outpost::capture::proto
