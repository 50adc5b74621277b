#include "store/sqlite/sqlite_audit_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/store.hpp"

namespace openbar::store {
namespace {

// A fresh SQLite database in a temporary directory, with one company, one
// user and that user's token.
class SqliteAuditStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        directory_ = std::filesystem::temp_directory_path() /
                     ("openbar-audit-" + std::to_string(::getpid()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(directory_);
        std::filesystem::create_directories(directory_);
        store_ = open_store("sqlite:" + (directory_ / "test.db").string());
        company_ = store_->create_company("acme");
        user_ = store_->create_user(company_.id, "alice", "not-a-real-hash");
        Bytes lookup_hash(32, 1);
        token_ = store_->create_token_if_missing(user_.id, lookup_hash, Bytes{1, 2, 3});
    }
    void TearDown() override {
        store_.reset();
        std::filesystem::remove_all(directory_);
    }

    TokenUseCount use(std::string minute, std::int64_t count) {
        return TokenUseCount{token_.id, company_.id, "alice", "token", std::move(minute), "192.0.2.1", "curl/8", count};
    }

    std::filesystem::path directory_;
    std::unique_ptr<Store> store_;
    Company company_;
    User user_;
    AccessTokenRecord token_;
};

TEST_F(SqliteAuditStoreTest, UseCountsAddUpWithinMinute) {
    auto& audit = store_->audit();
    audit.write_audit_batch({}, {use("2026-12-04T20:00:00Z", 3)}, {});
    audit.write_audit_batch({}, {use("2026-12-04T20:00:00Z", 4)}, {});
    audit.write_audit_batch({}, {use("2026-12-04T20:01:00Z", 1)}, {});

    auto rows = audit.list_audit_events({});
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].occurred_at, "2026-12-04T20:00:00Z");
    EXPECT_EQ(rows[0].count, 7);
    EXPECT_EQ(rows[0].event, "authentication");
    EXPECT_EQ(rows[0].outcome, "success");
    EXPECT_EQ(rows[0].company, "acme");
    EXPECT_EQ(rows[0].token_id, token_.id);
    EXPECT_EQ(rows[1].count, 1);
}

TEST_F(SqliteAuditStoreTest, EventsGetTimeOfWriting) {
    AuditEvent event;
    event.event = "password_changed";
    event.company_id = company_.id;
    event.username = "alice";
    event.outcome = "success";
    store_->audit().write_audit_batch({event}, {}, {});

    auto rows = store_->audit().list_audit_events({});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].occurred_at.size(), 20u);
    EXPECT_EQ(rows[0].occurred_at[10], 'T');
    EXPECT_FALSE(rows[0].token_id.has_value());
}

TEST_F(SqliteAuditStoreTest, LastUseNeverMovesBack) {
    auto& audit = store_->audit();
    audit.write_audit_batch({}, {}, {TokenLastUse{token_.id, "2026-12-04T20:05:00Z", "192.0.2.5"}});
    audit.write_audit_batch({}, {}, {TokenLastUse{token_.id, "2026-12-04T20:01:00Z", "192.0.2.1"}});

    auto stored = store_->find_current_token(user_.id);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->last_used_at, "2026-12-04T20:05:00Z");
    EXPECT_EQ(stored->last_used_address, "192.0.2.5");
}

TEST_F(SqliteAuditStoreTest, LastUseOfRotatedTokenIgnored) {
    auto old_token_id = token_.id;
    store_->replace_token(user_.id, Bytes(32, 2), Bytes{4, 5, 6});
    store_->audit().write_audit_batch({}, {}, {TokenLastUse{old_token_id, "2026-12-04T20:05:00Z", "192.0.2.5"}});

    auto stored = store_->find_current_token(user_.id);
    ASSERT_TRUE(stored.has_value());
    EXPECT_NE(stored->id, old_token_id);
    EXPECT_FALSE(stored->last_used_at.has_value());
}

TEST_F(SqliteAuditStoreTest, DeleteBeforeCutoff) {
    auto& audit = store_->audit();
    audit.write_audit_batch({}, {use("2026-01-01T00:00:00Z", 1), use("2026-03-01T00:00:00Z", 1)}, {});
    EXPECT_EQ(audit.delete_audit_events_before("2026-02-01T00:00:00Z"), 1);
    auto rows = audit.list_audit_events({});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].occurred_at, "2026-03-01T00:00:00Z");
}

TEST_F(SqliteAuditStoreTest, ListFiltersByCompanyAndTime) {
    auto globex = store_->create_company("globex");
    AuditEvent event;
    event.event = "user_created";
    event.outcome = "success";
    event.occurred_at = "2026-05-01T00:00:00Z";
    event.company_id = globex.id;
    store_->audit().write_audit_batch({event}, {use("2026-04-01T00:00:00Z", 1), use("2026-06-01T00:00:00Z", 1)}, {});

    AuditQuery acme_only;
    acme_only.company_id = company_.id;
    EXPECT_EQ(store_->audit().list_audit_events(acme_only).size(), 2u);

    AuditQuery since_may;
    since_may.since = "2026-05-01T00:00:00Z";
    auto rows = store_->audit().list_audit_events(since_may);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].company, "globex");
    EXPECT_EQ(rows[1].occurred_at, "2026-06-01T00:00:00Z");

    AuditQuery both;
    both.company_id = company_.id;
    both.since = "2026-05-01T00:00:00Z";
    rows = store_->audit().list_audit_events(both);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].occurred_at, "2026-06-01T00:00:00Z");
}

}  // namespace
}  // namespace openbar::store
