// Group commit of uploads: write_group and SqliteRecordStore's writer thread.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "store/sqlite/sqlite_record_store.hpp"
#include "store/store.hpp"
#include "temp_database.hpp"

namespace openbar::store::sqlite {
namespace {

class RecordWriterTest : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = test_support::temp_database_path("openbar-writer");
        remove_files();
        pool_ = std::make_unique<ConnectionPool>(path_.string());
        auto connection = pool_->lease();
        connection->execute("INSERT INTO companies (name) VALUES ('acme')");
        company_ = connection->last_insert_rowid();
    }
    void TearDown() override {
        pool_.reset();
        remove_files();
    }
    void remove_files() { test_support::remove_database_files(path_); }

    static std::shared_ptr<const std::vector<RecordWrite>> batch(std::vector<std::string> keys) {
        auto writes = std::make_shared<std::vector<RecordWrite>>();
        for (std::string& key : keys) {
            RecordWrite write;
            write.set = boost::json::parse(R"({"external_id":")" + key + R"("})").as_object();
            write.key = std::move(key);
            writes->push_back(std::move(write));
        }
        return writes;
    }

    // A job as SqliteRecordStore queues it, with its result stored in `result`.
    static UpsertJob job(std::int64_t company_id, std::vector<std::string> keys, UpsertResult& result,
                         int& calls) {
        UpsertJob job;
        job.company_id = company_id;
        job.records = batch(std::move(keys));
        for (const RecordWrite& write : *job.records) job.prepared.push_back(prepare_record(write));
        job.done = [&result, &calls](UpsertResult outcome) {
            result = std::move(outcome);
            ++calls;
        };
        return job;
    }

    // Stored keys of the company's customers in sequence order, read on a
    // connection of its own, so only committed rows are seen.
    std::vector<std::string> stored_keys() {
        Connection reader(path_.string());
        auto select = reader.prepare("SELECT key FROM data_records WHERE company_id = ? ORDER BY seq");
        select.bind(1, company_);
        std::vector<std::string> keys;
        while (select.step()) keys.push_back(select.text_at(0));
        return keys;
    }

    // Queues three one-record batches while another connection holds the write
    // lock, and returns whether the second batch's records were committed
    // together with the third's: its `done` then already finds the third's row.
    bool second_and_third_share_commit(std::size_t max_group_records) {
        SqliteRecordStore store(*pool_);
        store.set_max_group_records(max_group_records);
        Connection holder(path_.string());
        holder.execute("BEGIN IMMEDIATE");

        std::atomic<bool> third_seen = false;
        store.upsert_records_async(company_, RecordType::customers, batch({"first"}), [](UpsertResult) {});
        // The writer takes the first batch and waits for the lock in BEGIN
        // IMMEDIATE, so the next two queue up behind it.
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        store.upsert_records_async(company_, RecordType::customers, batch({"second"}), [&](UpsertResult) {
            auto keys = stored_keys();
            third_seen = std::find(keys.begin(), keys.end(), "third") != keys.end();
        });
        store.upsert_records_async(company_, RecordType::customers, batch({"third"}), [](UpsertResult) {});
        holder.execute("COMMIT");
        store.wait_for_writes();
        return third_seen;
    }

    std::filesystem::path path_;
    std::unique_ptr<ConnectionPool> pool_;
    std::int64_t company_ = 0;
};

TEST_F(RecordWriterTest, FailingJobRollsBackAlone) {
    // A stored record that is not JSON makes any merge into it fail.
    {
        auto connection = pool_->lease();
        connection->prepare("INSERT INTO data_records (seq, company_id, type, key, data) "
                            "VALUES ((?1 << 41 | 1 << 38) + 1, ?1, 1, 'broken', 'x{')")
            .bind(1, company_)
            .run();
    }
    UpsertResult first, second, third;
    int first_calls = 0, second_calls = 0, third_calls = 0;
    std::vector<UpsertJob> jobs;
    jobs.push_back(job(company_, {"a1", "a2"}, first, first_calls));
    // b1 is inserted before "broken" fails, so only the savepoint removes it.
    jobs.push_back(job(company_, {"b1", "broken"}, second, second_calls));
    jobs.push_back(job(company_, {"c1"}, third, third_calls));

    auto connection = pool_->lease();
    write_group(*connection, jobs);

    EXPECT_EQ(first_calls, 1);
    EXPECT_EQ(second_calls, 1);
    EXPECT_EQ(third_calls, 1);
    EXPECT_FALSE(first.error);
    EXPECT_EQ(first.counts.created, 2u);
    EXPECT_TRUE(second.error);
    EXPECT_EQ(second.counts.created, 0u);
    EXPECT_FALSE(third.error);
    EXPECT_EQ(third.counts.created, 1u);
    EXPECT_EQ(stored_keys(), (std::vector<std::string>{"broken", "a1", "a2", "c1"}));
}

TEST_F(RecordWriterTest, ConstraintFailureIsConflict) {
    UpsertResult valid, unknown_company;
    int valid_calls = 0, unknown_calls = 0;
    std::vector<UpsertJob> jobs;
    jobs.push_back(job(company_ + 100, {"x1"}, unknown_company, unknown_calls));
    jobs.push_back(job(company_, {"v1"}, valid, valid_calls));

    auto connection = pool_->lease();
    write_group(*connection, jobs);

    ASSERT_TRUE(unknown_company.error);
    try {
        std::rethrow_exception(unknown_company.error);
    } catch (const StoreError& error) {
        EXPECT_EQ(error.kind(), StoreError::Kind::conflict);
    }
    EXPECT_FALSE(valid.error);
    EXPECT_EQ(valid.counts.created, 1u);
    EXPECT_EQ(stored_keys(), (std::vector<std::string>{"v1"}));
}

TEST_F(RecordWriterTest, DoneRunsAfterCommit) {
    std::vector<std::string> seen_in_done;
    UpsertJob pending;
    pending.company_id = company_;
    pending.records = batch({"k1", "k2"});
    for (const RecordWrite& write : *pending.records) pending.prepared.push_back(prepare_record(write));
    pending.done = [&](UpsertResult) { seen_in_done = stored_keys(); };
    std::vector<UpsertJob> jobs;
    jobs.push_back(std::move(pending));

    auto connection = pool_->lease();
    write_group(*connection, jobs);

    EXPECT_EQ(seen_in_done, (std::vector<std::string>{"k1", "k2"}));
}

TEST_F(RecordWriterTest, WriterBuildsTextsNotPrepared) {
    UpsertResult seeded, mixed;
    int seeded_calls = 0, mixed_calls = 0;
    std::vector<UpsertJob> first;
    first.push_back(job(company_, {"old"}, seeded, seeded_calls));
    auto connection = pool_->lease();
    write_group(*connection, first);

    // Without prepared texts: "old" is merged, "fresh" gets its text built by the writer.
    std::vector<UpsertJob> second;
    second.push_back(job(company_, {"old", "fresh"}, mixed, mixed_calls));
    second.back().prepared.clear();
    write_group(*connection, second);

    EXPECT_EQ(mixed_calls, 1);
    EXPECT_FALSE(mixed.error);
    EXPECT_EQ(mixed.counts.created, 1u);
    EXPECT_EQ(mixed.counts.updated, 1u);
    Connection reader(path_.string());
    auto select = reader.prepare("SELECT key, data FROM data_records WHERE company_id = ? ORDER BY seq");
    select.bind(1, company_);
    ASSERT_TRUE(select.step());
    EXPECT_EQ(select.text_at(0), "old");
    EXPECT_EQ(select.text_at(1), R"({"external_id":"old"})");
    ASSERT_TRUE(select.step());
    EXPECT_EQ(select.text_at(0), "fresh");
    EXPECT_EQ(select.text_at(1), R"({"external_id":"fresh"})");
    EXPECT_FALSE(select.step());
}

TEST_F(RecordWriterTest, StoreWritesQueuedBatchesBeforeDestruction) {
    constexpr int threads = 4;
    constexpr int batches_per_thread = 25;
    std::atomic<int> done_calls = 0;
    std::atomic<int> errors = 0;
    {
        SqliteRecordStore store(*pool_);
        std::vector<std::thread> senders;
        for (int t = 0; t < threads; ++t) {
            senders.emplace_back([&, t] {
                for (int b = 0; b < batches_per_thread; ++b) {
                    std::string prefix = "t" + std::to_string(t) + "-b" + std::to_string(b) + "-";
                    store.upsert_records_async(company_, RecordType::customers, batch({prefix + "1", prefix + "2"}),
                                               [&](UpsertResult result) {
                                                   if (result.error) ++errors;
                                                   ++done_calls;
                                               });
                }
            });
        }
        for (auto& sender : senders) sender.join();
        // The store goes out of scope with batches still queued.
    }
    EXPECT_EQ(done_calls.load(), threads * batches_per_thread);
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(stored_keys().size(), static_cast<std::size_t>(threads * batches_per_thread * 2));
}

TEST_F(RecordWriterTest, WaitForWritesReturnsAfterQueued) {
    SqliteRecordStore store(*pool_);
    std::atomic<int> done_calls = 0;
    for (int b = 0; b < 20; ++b) {
        store.upsert_records_async(company_, RecordType::customers, batch({"w" + std::to_string(b)}),
                                   [&](UpsertResult) { ++done_calls; });
    }
    store.wait_for_writes();
    EXPECT_EQ(done_calls.load(), 20);
    EXPECT_EQ(stored_keys().size(), 20u);
}

TEST_F(RecordWriterTest, QueuedBatchesShareOneCommit) {
    EXPECT_TRUE(second_and_third_share_commit(50'000));
}

TEST_F(RecordWriterTest, GroupLimitSeparatesCommits) {
    EXPECT_FALSE(second_and_third_share_commit(1));
}

TEST_F(RecordWriterTest, SyncUpsertRethrowsError) {
    SqliteRecordStore store(*pool_);
    auto writes = batch({"k"});
    EXPECT_THROW(store.upsert_records(company_ + 100, RecordType::customers, *writes), StoreError);
    UpsertCounts counts = store.upsert_records(company_, RecordType::customers, *writes);
    EXPECT_EQ(counts.created, 1u);
    EXPECT_EQ(stored_keys(), (std::vector<std::string>{"k"}));
}

// The writer leaves checkpoints to the checkpointer thread. Below eight
// times the threshold the writer never copies the WAL itself, so the
// database file grows only if the checkpointer ran.
TEST_F(RecordWriterTest, CheckpointerCopiesTheWal) {
    auto initial_size = std::filesystem::file_size(path_);
    SqliteRecordStore store(*pool_);
    store.set_wal_checkpoint_pages(60);
    for (int b = 0; b < 30; ++b) {
        std::vector<std::string> keys;
        for (int i = 0; i < 100; ++i) keys.push_back("c" + std::to_string(b) + "-" + std::to_string(i));
        store.upsert_records(company_, RecordType::customers, *batch(std::move(keys)));
    }
    std::uintmax_t frame_size = 0;
    {
        Connection connection(path_.string());
        auto page_size = connection.prepare("PRAGMA page_size");
        ASSERT_TRUE(page_size.step());
        frame_size = static_cast<std::uintmax_t>(page_size.int64_at(0)) + 24;  // each WAL frame has a 24-byte header
    }
    auto wal_size = std::filesystem::file_size(path_.string() + "-wal");
    EXPECT_LT(wal_size, frame_size * 8 * 60) << "the WAL reached the writer's backstop, so the test shows nothing";

    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::filesystem::file_size(path_) < initial_size + 100'000 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_GE(std::filesystem::file_size(path_), initial_size + 100'000);
    EXPECT_EQ(stored_keys().size(), 3000u);
}

}  // namespace
}  // namespace openbar::store::sqlite
