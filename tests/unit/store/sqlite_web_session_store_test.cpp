#include "store/sqlite/sqlite_web_session_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/sqlite/sqlite_store.hpp"
#include "temp_database.hpp"

namespace openbar::store {
namespace {

class WebSessionStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = test_support::temp_database_path("openbar-web-session-test");
        remove_files();
        store_ = std::make_unique<sqlite::SqliteStore>(path_.string());
        company_ = store_->create_company("acme");
        user_ = store_->create_user(company_.id, "alice", "hash");
    }
    void TearDown() override {
        store_.reset();
        remove_files();
    }
    void remove_files() { test_support::remove_database_files(path_); }

    NewWebSession new_session(std::int64_t now, bool pending = false) const {
        return NewWebSession{user_.id, company_.id, 7, pending, now};
    }

    std::filesystem::path path_;
    std::unique_ptr<sqlite::SqliteStore> store_;
    Company company_;
    User user_;
    const std::vector<std::uint8_t> hash_a_ = std::vector<std::uint8_t>(32, 0xaa);
    const std::vector<std::uint8_t> hash_b_ = std::vector<std::uint8_t>(32, 0xbb);
};

TEST_F(WebSessionStoreTest, FindsCreatedSessionWithUsername) {
    auto& sessions = store_->web_sessions();
    sessions.create_session(hash_a_, new_session(1000, true));
    auto found = sessions.find_session(hash_a_);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->user_id, user_.id);
    EXPECT_EQ(found->company_id, company_.id);
    EXPECT_EQ(found->username, "alice");
    EXPECT_EQ(found->credential_epoch, 7);
    EXPECT_TRUE(found->second_factor_pending);
    EXPECT_EQ(found->created_at, 1000);
    EXPECT_EQ(found->last_seen_at, 1000);
    EXPECT_FALSE(found->pending_totp_secret);
    EXPECT_FALSE(sessions.find_session(hash_b_));
}

TEST_F(WebSessionStoreTest, TouchOnlyMovesForward) {
    auto& sessions = store_->web_sessions();
    sessions.create_session(hash_a_, new_session(1000));
    sessions.touch_session(hash_a_, 1500);
    EXPECT_EQ(sessions.find_session(hash_a_)->last_seen_at, 1500);
    sessions.touch_session(hash_a_, 1200);
    EXPECT_EQ(sessions.find_session(hash_a_)->last_seen_at, 1500);
    EXPECT_EQ(sessions.find_session(hash_a_)->created_at, 1000);
}

TEST_F(WebSessionStoreTest, StoresAndClearsPendingTotpSecret) {
    auto& sessions = store_->web_sessions();
    sessions.create_session(hash_a_, new_session(1000));
    std::vector<std::uint8_t> sealed{1, 2, 3, 0, 4};
    sessions.set_pending_totp_secret(hash_a_, sealed);
    EXPECT_EQ(sessions.find_session(hash_a_)->pending_totp_secret, sealed);
    sessions.set_pending_totp_secret(hash_a_, std::nullopt);
    EXPECT_FALSE(sessions.find_session(hash_a_)->pending_totp_secret);
}

TEST_F(WebSessionStoreTest, DeletesOneOrAllOfUser) {
    auto& sessions = store_->web_sessions();
    auto other = store_->create_user(company_.id, "bob", "hash");
    std::vector<std::uint8_t> hash_c(32, 0xcc);
    sessions.create_session(hash_a_, new_session(1000));
    sessions.create_session(hash_b_, new_session(1000));
    sessions.create_session(hash_c, NewWebSession{other.id, company_.id, 1, false, 1000});

    sessions.delete_session(hash_a_);
    EXPECT_FALSE(sessions.find_session(hash_a_));
    EXPECT_TRUE(sessions.find_session(hash_b_));

    sessions.delete_user_sessions(user_.id);
    EXPECT_FALSE(sessions.find_session(hash_b_));
    EXPECT_TRUE(sessions.find_session(hash_c));
}

TEST_F(WebSessionStoreTest, DeletesExpiredSessions) {
    auto& sessions = store_->web_sessions();
    std::vector<std::uint8_t> hash_c(32, 0xcc);
    sessions.create_session(hash_a_, new_session(1000));  // idle since 1000
    sessions.create_session(hash_b_, new_session(500));   // created too long ago
    sessions.touch_session(hash_b_, 2000);
    sessions.create_session(hash_c, new_session(1900));   // fresh

    EXPECT_EQ(sessions.delete_expired_sessions(1500, 800), 2);
    EXPECT_FALSE(sessions.find_session(hash_a_));
    EXPECT_FALSE(sessions.find_session(hash_b_));
    EXPECT_TRUE(sessions.find_session(hash_c));
}

TEST_F(WebSessionStoreTest, DuplicateIdHashIsConflict) {
    auto& sessions = store_->web_sessions();
    sessions.create_session(hash_a_, new_session(1000));
    try {
        sessions.create_session(hash_a_, new_session(1001));
        FAIL() << "expected a conflict";
    } catch (const StoreError& error) {
        EXPECT_EQ(error.kind(), StoreError::Kind::conflict);
    }
}

}  // namespace
}  // namespace openbar::store
