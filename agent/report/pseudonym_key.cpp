#include "agent/report/pseudonym_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/md.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace outpost::agent {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("pseudonym key " + path + ": " + what);
}

std::string errno_text() { return std::strerror(errno); }

int hexval(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads up to `cap` bytes (retrying short reads and EINTR); returns the count or -1.
long read_all(int fd, std::uint8_t* buf, std::size_t cap) {
  std::size_t got = 0;
  while (got < cap) {
    const ssize_t r = ::read(fd, buf + got, cap - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  return static_cast<long>(got);
}

bool write_all(int fd, const std::uint8_t* buf, std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t w = ::write(fd, buf + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    done += static_cast<std::size_t>(w);
  }
  return true;
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

PseudonymKey PseudonymKey::from_bytes(const std::array<std::uint8_t, kBytes>& bytes) noexcept {
  PseudonymKey k;
  k.key_ = bytes;
  return k;
}

PseudonymKey PseudonymKey::load(const std::string& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY)};
  if (f.fd < 0) fail(path, "cannot open: " + errno_text());
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) fail(path, "cannot stat: " + errno_text());
  if (!S_ISREG(st.st_mode)) fail(path, "is not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    fail(path, std::string("group or others have access (mode ") + mode +
                   "); the key must be private: chmod 600 " + path);
  }
  // One byte more than the longest accepted form, to tell "too long" from "exactly right".
  std::uint8_t buf[2 * kBytes + 2];
  const long n = read_all(f.fd, buf, sizeof buf);
  if (n < 0) fail(path, "cannot read: " + errno_text());

  std::array<std::uint8_t, kBytes> key{};
  if (static_cast<std::size_t>(n) == kBytes) {
    std::memcpy(key.data(), buf, kBytes);
    return from_bytes(key);
  }
  const bool hex_len = static_cast<std::size_t>(n) == 2 * kBytes ||
                       (static_cast<std::size_t>(n) == 2 * kBytes + 1 && buf[2 * kBytes] == '\n');
  if (hex_len) {
    bool ok = true;
    for (std::size_t i = 0; i < kBytes && ok; ++i) {
      const int hi = hexval(static_cast<char>(buf[2 * i]));
      const int lo = hexval(static_cast<char>(buf[2 * i + 1]));
      ok = hi >= 0 && lo >= 0;
      if (ok) key[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    if (ok) return from_bytes(key);
  }
  fail(path, "is not a key (expected 32 bytes, or 64 hex digits)");
}

PseudonymKey PseudonymKey::load_or_create(const std::string& path) {
  // O_EXCL: never replace an existing key (that would change every pseudonym); O_NOFOLLOW: do
  // not write the key through a symlink planted where the key should be.
  Fd f{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600)};
  if (f.fd < 0) {
    if (errno == EEXIST) return load(path);
    fail(path, "cannot create: " + errno_text());
  }
  std::array<std::uint8_t, kBytes> key{};
  bool ok = false;
  {
    Fd rnd{::open("/dev/urandom", O_RDONLY | O_CLOEXEC)};
    ok = rnd.fd >= 0 && read_all(rnd.fd, key.data(), key.size()) == static_cast<long>(kBytes);
  }
  const std::string why = ok ? "" : "cannot read /dev/urandom: " + errno_text();
  if (ok) ok = write_all(f.fd, key.data(), key.size()) && ::fsync(f.fd) == 0;
  if (!ok) {
    const std::string reason = why.empty() ? "cannot write: " + errno_text() : why;
    ::unlink(path.c_str());
    fail(path, reason);
  }
  return from_bytes(key);
}

std::string PseudonymKey::pseudonym(const rules::Device& device) const {
  std::uint8_t input[1 + 16];
  std::size_t n = 0;
  switch (device.kind) {
    case rules::Device::Kind::none: return {};
    case rules::Device::Kind::mac:
      input[0] = 'M';
      std::memcpy(input + 1, device.mac, 6);
      n = 7;
      break;
    case rules::Device::Kind::ip:
      if (device.ip.family == 4) {
        input[0] = '4';
        std::memcpy(input + 1, device.ip.bytes, 4);
        n = 5;
      } else if (device.ip.family == 6) {
        input[0] = '6';
        std::memcpy(input + 1, device.ip.bytes, 16);
        n = 17;
      } else {
        return {};
      }
      break;
  }
  std::uint8_t mac[32];
  const mbedtls_md_info_t* md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
  if (md == nullptr || mbedtls_md_hmac(md, key_.data(), key_.size(), input, n, mac) != 0)
    throw std::runtime_error("pseudonym: HMAC-SHA256 is unavailable in this mbedTLS build");
  static const char* hex = "0123456789abcdef";
  std::string out = "dev-";
  for (std::size_t i = 0; i < kPseudonymBytes; ++i) {
    out.push_back(hex[mac[i] >> 4]);
    out.push_back(hex[mac[i] & 15]);
  }
  return out;
}

std::string device_label(const rules::Device& device, const PseudonymKey* key, bool raw) {
  if (!raw) {
    if (key == nullptr) throw std::logic_error("device_label: no pseudonym key and raw is off");
    return key->pseudonym(device);
  }
  switch (device.kind) {
    case rules::Device::Kind::none: return {};
    case rules::Device::Kind::mac: {
      char buf[18];
      std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", device.mac[0], device.mac[1],
                    device.mac[2], device.mac[3], device.mac[4], device.mac[5]);
      return buf;
    }
    case rules::Device::Kind::ip: {
      char buf[46];
      const std::size_t len = rules::format_ip(device.ip, buf);
      return std::string(buf, len);
    }
  }
  return {};
}

}  // namespace outpost::agent
