#include "auth/key_ring.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace openbar::auth {
namespace {

std::array<std::uint8_t, KeyRing::key_bytes> key_of(std::uint8_t fill) {
    std::array<std::uint8_t, KeyRing::key_bytes> key{};
    key.fill(fill);
    return key;
}

class KeyFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        directory_ = std::filesystem::temp_directory_path() /
                     ("openbar-key-test-" + std::to_string(::getpid()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(directory_);
        std::filesystem::create_directories(directory_);
    }
    void TearDown() override { std::filesystem::remove_all(directory_); }
    std::filesystem::path directory_;
};

TEST(KeyRing, SealOpenRoundTrip) {
    KeyRing keys(key_of(7));
    Bytes sealed = keys.seal("obar_secret");
    EXPECT_EQ(keys.open(sealed), "obar_secret");
    // The ciphertext does not contain the plaintext.
    std::string raw(sealed.begin(), sealed.end());
    EXPECT_EQ(raw.find("obar_secret"), std::string::npos);
}

TEST(KeyRing, SealingTwiceGivesDifferentCiphertexts) {
    KeyRing keys(key_of(7));
    EXPECT_NE(keys.seal("same"), keys.seal("same"));
}

TEST(KeyRing, OpenRejectsOtherKeyAndTampering) {
    KeyRing keys(key_of(7));
    KeyRing other(key_of(8));
    Bytes sealed = keys.seal("value");
    EXPECT_THROW(other.open(sealed), std::runtime_error);
    sealed.back() ^= 1;
    EXPECT_THROW(keys.open(sealed), std::runtime_error);
    EXPECT_THROW(keys.open(Bytes{1, 2, 3}), std::runtime_error);
}

TEST(KeyRing, LookupHashIsKeyedAndDeterministic) {
    KeyRing keys(key_of(7));
    KeyRing other(key_of(8));
    EXPECT_EQ(keys.lookup_hash("token"), keys.lookup_hash("token"));
    EXPECT_NE(keys.lookup_hash("token"), keys.lookup_hash("token2"));
    EXPECT_NE(keys.lookup_hash("token"), other.lookup_hash("token"));
}

TEST_F(KeyFileTest, CreatedWithMode0600AndReloaded) {
    auto path = directory_ / "server.key";
    KeyRing first = KeyRing::load_or_create(path);
    struct stat info {};
    ASSERT_EQ(::stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);

    KeyRing second = KeyRing::load_or_create(path);
    EXPECT_EQ(first.lookup_hash("x"), second.lookup_hash("x"));
    EXPECT_EQ(second.open(first.seal("round trip")), "round trip");
}

TEST_F(KeyFileTest, RejectsGroupReadableFile) {
    auto path = directory_ / "server.key";
    KeyRing::load_or_create(path);
    ::chmod(path.c_str(), 0644);
    EXPECT_THROW(KeyRing::load_or_create(path), std::runtime_error);
}

TEST_F(KeyFileTest, RejectsCorruptFile) {
    auto path = directory_ / "server.key";
    {
        std::ofstream out(path);
        out << "not hex\n";
    }
    ::chmod(path.c_str(), 0600);
    EXPECT_THROW(KeyRing::load_or_create(path), std::runtime_error);
}

// Databases written before the lookup hash moved from libsodium to OpenSSL
// hold libsodium's HMAC-SHA-256 under the derived subkey, so both must agree
// for every message length, including those around the block boundaries.
TEST(KeyRing, LookupHashMatchesLibsodiumHmac) {
    auto master = key_of(42);
    KeyRing keys(master);
    std::array<std::uint8_t, crypto_auth_hmacsha256_KEYBYTES> subkey{};
    ASSERT_EQ(crypto_kdf_derive_from_key(subkey.data(), subkey.size(), 1, "openbar1", master.data()), 0);
    for (std::size_t length : {0, 1, 43, 55, 56, 63, 64, 65, 119, 120, 1000}) {
        std::string message(length, '\0');
        for (std::size_t i = 0; i < length; ++i) message[i] = static_cast<char>('a' + (i * 7) % 26);
        std::array<std::uint8_t, crypto_auth_hmacsha256_BYTES> expected{};
        crypto_auth_hmacsha256(expected.data(), reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                               subkey.data());
        EXPECT_EQ(keys.lookup_hash(message), expected) << "message length " << length;
    }
}

}  // namespace
}  // namespace openbar::auth
