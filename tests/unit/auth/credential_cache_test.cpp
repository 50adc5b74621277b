#include "auth/credential_cache.hpp"

#include <gtest/gtest.h>

namespace openbar::auth {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
    std::chrono::steady_clock::time_point now{std::chrono::hours(1000)};
    SteadyClock function() {
        return [this] { return now; };
    }
};

TEST(CredentialCache, KeySeparatesFields) {
    CredentialCache cache(300s, 100);
    EXPECT_EQ(cache.key_for(1, "bob", "pw"), cache.key_for(1, "bob", "pw"));
    EXPECT_NE(cache.key_for(1, "bob", "pw"), cache.key_for(2, "bob", "pw"));
    EXPECT_NE(cache.key_for(1, "bob", "pw"), cache.key_for(1, "bob", "pW"));
    EXPECT_NE(cache.key_for(1, "ab", "c"), cache.key_for(1, "a", "bc"));
}

TEST(CredentialCache, KeyOfLongCredentials) {
    // Credentials longer than the stack buffer take the heap path.
    CredentialCache cache(300s, 100);
    std::string long_password(1000, 'x');
    std::string other_password = long_password;
    other_password.back() = 'y';
    EXPECT_EQ(cache.key_for(1, "bob", long_password), cache.key_for(1, "bob", long_password));
    EXPECT_NE(cache.key_for(1, "bob", long_password), cache.key_for(1, "bob", other_password));
    EXPECT_NE(cache.key_for(1, std::string(300, 'u'), "pw"), cache.key_for(1, std::string(299, 'u'), "upw"));
}

TEST(CredentialCache, KeyDiffersPerInstance) {
    CredentialCache first(300s, 100);
    CredentialCache second(300s, 100);
    EXPECT_NE(first.key_for(1, "bob", "pw"), second.key_for(1, "bob", "pw"));
}

TEST(CredentialCache, FindsMatchingEpochOnly) {
    CredentialCache cache(300s, 100);
    auto key = cache.key_for(1, "bob", "pw");
    cache.insert(key, 7, 3, "$argon2id$hash", false);
    auto hit = cache.find(key, 7, 3, "$argon2id$hash");
    ASSERT_TRUE(hit);
    EXPECT_FALSE(hit->totp_enrolled);
    EXPECT_FALSE(cache.find(key, 7, 4, "$argon2id$hash"));
    EXPECT_FALSE(cache.find(key, 8, 3, "$argon2id$hash"));
    EXPECT_FALSE(cache.find(cache.key_for(1, "bob", "other"), 7, 3, "$argon2id$hash"));
}

TEST(CredentialCache, RecreatedUserWithSameIdMisses) {
    // A user created after the newest one was deleted gets its id and a
    // fresh epoch, but a new password hash.
    CredentialCache cache(300s, 100);
    auto key = cache.key_for(1, "bob", "pw");
    cache.insert(key, 7, 1, "$argon2id$old-salt", false);
    EXPECT_TRUE(cache.find(key, 7, 1, "$argon2id$old-salt"));
    EXPECT_FALSE(cache.find(key, 7, 1, "$argon2id$new-salt"));
}

TEST(CredentialCache, EntriesExpire) {
    FakeClock clock;
    CredentialCache cache(300s, 100, clock.function());
    auto key = cache.key_for(1, "bob", "pw");
    cache.insert(key, 7, 3, "$argon2id$hash", false);
    clock.now += 299s;
    EXPECT_TRUE(cache.find(key, 7, 3, "$argon2id$hash"));
    clock.now += 1s;
    EXPECT_FALSE(cache.find(key, 7, 3, "$argon2id$hash"));
}

TEST(CredentialCache, StaysWithinEntryLimit) {
    // 16 shards of one entry each: at most 16 of the 200 entries remain.
    CredentialCache cache(300s, 16);
    std::vector<CredentialCache::Key> keys;
    for (int i = 0; i < 200; ++i) {
        keys.push_back(cache.key_for(1, "user" + std::to_string(i), "pw"));
        cache.insert(keys.back(), i, 1, "$argon2id$hash", false);
    }
    int found = 0;
    for (int i = 0; i < 200; ++i) {
        found += cache.find(keys[i], i, 1, "$argon2id$hash") ? 1 : 0;
    }
    EXPECT_LE(found, 16);
    EXPECT_GE(found, 1);
    EXPECT_TRUE(cache.find(keys.back(), 199, 1, "$argon2id$hash"));
}

TEST(CredentialCache, ZeroLimitDisables) {
    CredentialCache cache(300s, 0);
    auto key = cache.key_for(1, "bob", "pw");
    cache.insert(key, 7, 3, "$argon2id$hash", false);
    EXPECT_FALSE(cache.find(key, 7, 3, "$argon2id$hash"));
}

}  // namespace
}  // namespace openbar::auth
