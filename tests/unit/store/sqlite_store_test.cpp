#include "store/sqlite/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "auth/access_token_service.hpp"
#include "temp_database.hpp"

namespace openbar::store {
namespace {

class SqliteStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = test_support::temp_database_path("openbar-store-test");
        remove_files();
        store_ = std::make_unique<sqlite::SqliteStore>(path_.string());
    }
    void TearDown() override {
        store_.reset();
        remove_files();
    }
    void remove_files() { test_support::remove_database_files(path_); }

    std::filesystem::path path_;
    std::unique_ptr<sqlite::SqliteStore> store_;
};

TEST_F(SqliteStoreTest, DuplicateCompanyIsConflict) {
    store_->create_company("acme");
    try {
        store_->create_company("acme");
        FAIL() << "expected a conflict";
    } catch (const StoreError& error) {
        EXPECT_EQ(error.kind(), StoreError::Kind::conflict);
    }
}

TEST_F(SqliteStoreTest, PasswordChangeBumpsEpoch) {
    auto company = store_->create_company("acme");
    auto user = store_->create_user(company.id, "bob", "hash1");
    auto before = store_->find_user(company.id, "bob");
    ASSERT_TRUE(before);
    store_->set_password_hash(user.id, "hash2");
    auto after = store_->find_user(company.id, "bob");
    ASSERT_TRUE(after);
    EXPECT_EQ(after->password_hash, "hash2");
    EXPECT_EQ(after->credential_epoch, before->credential_epoch + 1);
}

TEST_F(SqliteStoreTest, TokensAreBoundToTheirCompany) {
    std::array<std::uint8_t, 32> master{};
    auth::KeyRing keys(master);
    auth::AccessTokenService tokens(*store_, keys);
    auto acme = store_->create_company("acme");
    auto other = store_->create_company("other");
    auto bob = store_->create_user(acme.id, "bob", "hash");

    std::string token = tokens.current_token(bob.id);
    EXPECT_EQ(tokens.current_token(bob.id), token);
    EXPECT_TRUE(tokens.find_owner(acme.id, token));
    EXPECT_FALSE(tokens.find_owner(other.id, token));
}

TEST_F(SqliteStoreTest, RotationInvalidatesOldToken) {
    std::array<std::uint8_t, 32> master{};
    auth::KeyRing keys(master);
    auth::AccessTokenService tokens(*store_, keys);
    auto acme = store_->create_company("acme");
    auto bob = store_->create_user(acme.id, "bob", "hash");

    std::string old_token = tokens.current_token(bob.id);
    std::string new_token = tokens.rotate(bob.id);
    EXPECT_NE(old_token, new_token);
    EXPECT_FALSE(tokens.find_owner(acme.id, old_token));
    EXPECT_TRUE(tokens.find_owner(acme.id, new_token));
    EXPECT_EQ(tokens.current_token(bob.id), new_token);
}

TEST_F(SqliteStoreTest, ConcurrentRotationsLeaveOneToken) {
    std::array<std::uint8_t, 32> master{};
    auth::KeyRing keys(master);
    auth::AccessTokenService tokens(*store_, keys);
    auto acme = store_->create_company("acme");
    auto bob = store_->create_user(acme.id, "bob", "hash");

    std::vector<std::string> issued(8);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < issued.size(); ++i) {
        threads.emplace_back([&, i] { issued[i] = tokens.rotate(bob.id); });
    }
    for (auto& thread : threads) thread.join();

    int valid = 0;
    for (const auto& token : issued) valid += tokens.find_owner(acme.id, token) ? 1 : 0;
    EXPECT_EQ(valid, 1);
    std::string current = tokens.current_token(bob.id);
    EXPECT_TRUE(tokens.find_owner(acme.id, current));
}

TEST_F(SqliteStoreTest, DatabaseHoldsNoPlainToken) {
    std::array<std::uint8_t, 32> master{};
    master[0] = 1;
    auth::KeyRing keys(master);
    auth::AccessTokenService tokens(*store_, keys);
    auto acme = store_->create_company("acme");
    auto bob = store_->create_user(acme.id, "bob", "hash");
    std::string token = tokens.current_token(bob.id);
    store_.reset();  // checkpoints the WAL into the main file

    std::string contents;
    for (const char* suffix : {"", "-wal"}) {
        std::ifstream in(path_.string() + suffix, std::ios::binary);
        contents.append(std::istreambuf_iterator<char>(in), {});
    }
    ASSERT_FALSE(contents.empty());
    EXPECT_EQ(contents.find(token), std::string::npos);
    EXPECT_EQ(contents.find(token.substr(5, 20)), std::string::npos);
}

TEST_F(SqliteStoreTest, MigrationsAreRecordedOnce) {
    store_.reset();
    store_ = std::make_unique<sqlite::SqliteStore>(path_.string());  // reopening applies nothing twice
    sqlite::Connection connection(path_.string());
    auto statement = connection.prepare("SELECT count(*), min(version) FROM schema_migrations");
    ASSERT_TRUE(statement.step());
    EXPECT_GE(statement.int64_at(0), 1);
    EXPECT_EQ(statement.int64_at(1), 1);
}

TEST_F(SqliteStoreTest, NewDatabaseHasLargePages) {
    sqlite::Connection connection(path_.string());
    auto page_size = connection.prepare("PRAGMA page_size");
    ASSERT_TRUE(page_size.step());
    EXPECT_EQ(page_size.int64_at(0), 8192);
}

TEST_F(SqliteStoreTest, NewerSchemaIsRejected) {
    store_.reset();
    {
        sqlite::Connection connection(path_.string());
        connection.execute("INSERT INTO schema_migrations (version, description) VALUES (1000, 'from the future')");
    }
    try {
        sqlite::SqliteStore store(path_.string());
        FAIL() << "expected the newer schema to be rejected";
    } catch (const StoreError& error) {
        EXPECT_NE(std::string(error.what()).find("schema version 1000"), std::string::npos) << error.what();
    }
}

// Every credential write announces itself through the counter file, which a
// second store on the same database (another process, in production) reads.
TEST_F(SqliteStoreTest, CredentialWritesBumpGeneration) {
    sqlite::SqliteStore other(path_.string());
    auto seen = other.credential_generation();
    auto changed = [&] {
        auto now = other.credential_generation();
        bool different = now != seen;
        seen = now;
        return different;
    };
    auto company = store_->create_company("acme");
    EXPECT_TRUE(changed());
    auto user = store_->create_user(company.id, "bob", "hash");
    EXPECT_TRUE(changed());
    store_->set_password_hash(user.id, "hash2");
    EXPECT_TRUE(changed());
    store_->set_user_active(user.id, false);
    EXPECT_TRUE(changed());
    Bytes hash(32, 1), sealed(40, 2);
    store_->create_token_if_missing(user.id, hash, sealed);
    EXPECT_TRUE(changed());
    store_->replace_token(user.id, Bytes(32, 3), sealed);
    EXPECT_TRUE(changed());
    store_->totp().enable_totp(user.id, Bytes(40, 4), {});
    EXPECT_TRUE(changed());
    store_->totp().disable_totp(user.id);
    EXPECT_TRUE(changed());
    // Reads change nothing.
    store_->find_user(company.id, "bob");
    store_->find_current_token(user.id);
    EXPECT_FALSE(changed());
}

TEST_F(SqliteStoreTest, CounterFileNotRegular) {
    store_.reset();
    remove_files();
    std::filesystem::create_directory(path_.string() + "-generation");
    try {
        sqlite::SqliteStore broken(path_.string());
        ADD_FAILURE() << "expected a StoreError";
    } catch (const StoreError& error) {
        EXPECT_EQ(error.kind(), StoreError::Kind::unavailable);
        EXPECT_NE(std::string(error.what()).find("-generation"), std::string::npos) << error.what();
    }
    std::filesystem::remove(path_.string() + "-generation");
}

}  // namespace
}  // namespace openbar::store
