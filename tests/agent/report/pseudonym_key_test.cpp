#include "agent/report/pseudonym_key.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include "tests/agent/report/report_test_support.h"

namespace outpost::agent {
namespace {

using namespace outpost::test::report;

rules::Device ip_device(const char* text) {
  rules::Device d;
  d.kind = rules::Device::Kind::ip;
  d.ip = ip(text);
  return d;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, const std::string& bytes, mode_t mode) {
  {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
  }
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

// Runs `f` and returns the message of the std::runtime_error it throws ("" if none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return {};
}

class PseudonymKeyFile : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = temp_dir(); }
  void TearDown() override { remove_tree(dir_); }
  std::string dir_;
};

// --- pseudonyms ---------------------------------------------------------------------------

TEST(Pseudonym, IsHmacSha256OfTheTaggedDeviceBytes) {
  // python3: 'dev-' + hmac.new(bytes(range(32)), b'M' + bytes.fromhex('001122334455'),
  //                             hashlib.sha256).hexdigest()[:24]; b'4' + IPv4 bytes likewise.
  const PseudonymKey key = test_key();
  EXPECT_EQ(key.pseudonym(mac_device(0x55)), "dev-df5122d2f35ad96f13aaed97");
  EXPECT_EQ(key.pseudonym(ip_device("192.168.7.7")), "dev-132d6ee291465cd19b001cc8");
}

TEST(Pseudonym, IsStableForAKeyAndDiffersAcrossKeysAndDevices) {
  const PseudonymKey a = test_key(0), a_again = test_key(0), b = test_key(1);
  const rules::Device d = mac_device(0x55);
  EXPECT_EQ(a.pseudonym(d), a_again.pseudonym(d));
  EXPECT_NE(a.pseudonym(d), b.pseudonym(d));
  EXPECT_NE(a.pseudonym(d), a.pseudonym(mac_device(0x56)));
  EXPECT_NE(a.pseudonym(ip_device("2001:db8::1")), a.pseudonym(ip_device("2001:db8::2")));
  EXPECT_EQ(a.pseudonym(d).size(), 4u + 2 * PseudonymKey::kPseudonymBytes);
  EXPECT_TRUE(a.pseudonym(rules::Device{}).empty());
}

TEST(DeviceLabel, IsTheRawAddressOnlyWhenConfigured) {
  const PseudonymKey key = test_key();
  EXPECT_EQ(device_label(mac_device(0x55), &key, false), key.pseudonym(mac_device(0x55)));
  EXPECT_EQ(device_label(mac_device(0x55), nullptr, true), "00:11:22:33:44:55");
  EXPECT_EQ(device_label(ip_device("2001:db8::7"), nullptr, true), "2001:db8::7");
  EXPECT_THROW(device_label(mac_device(0x55), nullptr, false), std::logic_error);
}

// --- key file -----------------------------------------------------------------------------

TEST_F(PseudonymKeyFile, IsCreatedWithMode0600OnFirstRunAndReadBackUnchanged) {
  const std::string path = dir_ + "/pseudonym.key";
  const PseudonymKey created = PseudonymKey::load_or_create(path);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  const std::string bytes = read_bytes(path);

  const PseudonymKey again = PseudonymKey::load_or_create(path);  // does not replace it
  EXPECT_EQ(read_bytes(path), bytes);
  EXPECT_EQ(again.pseudonym(mac_device(1)), created.pseudonym(mac_device(1)));
  EXPECT_EQ(PseudonymKey::load(path).pseudonym(mac_device(1)), created.pseudonym(mac_device(1)));
}

TEST_F(PseudonymKeyFile, TwoFreshKeysDiffer) {
  const PseudonymKey a = PseudonymKey::load_or_create(dir_ + "/a.key");
  const PseudonymKey b = PseudonymKey::load_or_create(dir_ + "/b.key");
  EXPECT_NE(a.pseudonym(mac_device(1)), b.pseudonym(mac_device(1)));
}

TEST_F(PseudonymKeyFile, RefusesAKeyThatGroupOrOthersCanRead) {
  const std::string path = dir_ + "/shared.key";
  write_file(path, std::string(32, 'k'), 0644);
  const std::string message = error_of([&] { PseudonymKey::load(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("0644"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_NE(error_of([&] { PseudonymKey::load_or_create(path); }), "");
  write_file(path, std::string(32, 'k'), 0640);
  EXPECT_NE(error_of([&] { PseudonymKey::load(path); }), "");
  write_file(path, std::string(32, 'k'), 0600);
  EXPECT_EQ(error_of([&] { PseudonymKey::load(path); }), "");
}

TEST_F(PseudonymKeyFile, AcceptsSixtyFourHexDigitsWithOrWithoutNewline) {
  const std::string hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
  write_file(dir_ + "/hex.key", hex, 0600);
  write_file(dir_ + "/hexnl.key", hex + "\n", 0400);
  const std::string expected = test_key().pseudonym(mac_device(0x55));
  EXPECT_EQ(PseudonymKey::load(dir_ + "/hex.key").pseudonym(mac_device(0x55)), expected);
  EXPECT_EQ(PseudonymKey::load(dir_ + "/hexnl.key").pseudonym(mac_device(0x55)), expected);
}

TEST_F(PseudonymKeyFile, RejectsFilesThatAreNotKeysNamingTheFile) {
  const std::string short_key = dir_ + "/short.key";
  write_file(short_key, std::string(31, 'k'), 0600);
  EXPECT_NE(error_of([&] { PseudonymKey::load(short_key); }).find(short_key), std::string::npos);
  const std::string long_key = dir_ + "/long.key";
  write_file(long_key, std::string(33, 'k'), 0600);
  EXPECT_NE(error_of([&] { PseudonymKey::load(long_key); }), "");
  const std::string bad_hex = dir_ + "/badhex.key";
  write_file(bad_hex, std::string(64, 'g'), 0600);
  EXPECT_NE(error_of([&] { PseudonymKey::load(bad_hex); }), "");
  EXPECT_NE(error_of([&] { PseudonymKey::load(dir_); }).find("regular file"), std::string::npos);
}

TEST_F(PseudonymKeyFile, LoadOfAMissingKeyFailsNamingTheFile) {
  const std::string path = dir_ + "/missing.key";
  const std::string message = error_of([&] { PseudonymKey::load(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  struct stat st {};
  EXPECT_NE(::stat(path.c_str(), &st), 0);  // load never creates
}

TEST_F(PseudonymKeyFile, CreationInAMissingFolderFailsNamingTheFile) {
  const std::string path = dir_ + "/no/such/dir/pseudonym.key";
  EXPECT_NE(error_of([&] { PseudonymKey::load_or_create(path); }).find(path), std::string::npos);
}

TEST_F(PseudonymKeyFile, IsNotWrittenThroughASymlink) {
  const std::string target = dir_ + "/target";
  const std::string link = dir_ + "/pseudonym.key";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  EXPECT_NE(error_of([&] { PseudonymKey::load_or_create(link); }), "");
  struct stat st {};
  EXPECT_NE(::stat(target.c_str(), &st), 0);
}

}  // namespace
}  // namespace outpost::agent
