#include "store/caching_store.hpp"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>

#include "auth/access_token.hpp"
#include "auth/access_token_service.hpp"
#include "auth/key_ring.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "temp_database.hpp"

namespace openbar::store {
namespace {

class CachingStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = test_support::temp_database_path("openbar-caching-store-test");
        test_support::remove_database_files(path_);
        inner_ = std::make_unique<sqlite::SqliteStore>(path_.string());
        acme_ = inner_->create_company("acme");
        bob_ = inner_->create_user(acme_.id, "bob", "hash");
    }
    void TearDown() override {
        inner_.reset();
        test_support::remove_database_files(path_);
    }

    std::filesystem::path path_;
    std::unique_ptr<sqlite::SqliteStore> inner_;
    Company acme_;
    User bob_;
    auth::KeyRing keys_{std::array<std::uint8_t, 32>{}};
};

// Returns `token` with one character of its random part changed, so it keeps
// the shape of a token and fails its checksum.
std::string with_typo(std::string token) {
    char& c = token[auth::access_token_prefix.size()];
    c = c == 'a' ? 'b' : 'a';
    return token;
}

TEST_F(CachingStoreTest, PeekFindsOnlyLookedUpOwners) {
    CachingStore cache(*inner_, CachingStoreSettings{});
    auth::AccessTokenService tokens(cache, keys_);
    std::string token = tokens.current_token(bob_.id);
    auto hash = keys_.lookup_hash(token);

    EXPECT_FALSE(cache.find_cached_token_owner(acme_.id, hash));
    ASSERT_TRUE(cache.find_token_owner(acme_.id, hash));
    auto peeked = cache.find_cached_token_owner(acme_.id, hash);
    ASSERT_TRUE(peeked);
    EXPECT_EQ(peeked->user.id, bob_.id);
    EXPECT_EQ(peeked->lookup_hash, hash);
    EXPECT_FALSE(cache.find_cached_token_owner(acme_.id + 1, hash));
}

TEST_F(CachingStoreTest, PeekMissesAfterCredentialChange) {
    CachingStore cache(*inner_, CachingStoreSettings{});
    auth::AccessTokenService tokens(cache, keys_);
    auto hash = keys_.lookup_hash(tokens.current_token(bob_.id));
    ASSERT_TRUE(cache.find_token_owner(acme_.id, hash));

    cache.set_user_active(bob_.id, false);
    EXPECT_FALSE(cache.find_cached_token_owner(acme_.id, hash));
}

TEST_F(CachingStoreTest, DisabledCacheNeverPeeks) {
    CachingStore cache(*inner_, CachingStoreSettings{std::chrono::milliseconds(0), 10});
    auth::AccessTokenService tokens(cache, keys_);
    auto hash = keys_.lookup_hash(tokens.current_token(bob_.id));
    ASSERT_TRUE(cache.find_token_owner(acme_.id, hash));
    EXPECT_FALSE(cache.find_cached_token_owner(acme_.id, hash));
}

TEST_F(CachingStoreTest, TypoFailsWithOwnerCached) {
    // The checksum is checked only when the cache has no owner, so a
    // mistyped token must still fail once the real one is cached.
    CachingStore cache(*inner_, CachingStoreSettings{});
    auth::AccessTokenService tokens(cache, keys_);
    std::string token = tokens.current_token(bob_.id);
    std::string typo = with_typo(token);
    ASSERT_TRUE(auth::has_access_token_shape(typo));
    ASSERT_FALSE(auth::access_token_checksum_matches(typo));

    ASSERT_TRUE(tokens.find_owner(acme_.id, token));
    auto cached = tokens.find_owner(acme_.id, token);
    ASSERT_TRUE(cached);
    EXPECT_EQ(cached->user.id, bob_.id);
    EXPECT_FALSE(tokens.find_owner(acme_.id, typo));
}

}  // namespace
}  // namespace openbar::store
