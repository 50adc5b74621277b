#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <span>
#include <thread>

#include "store/record_store.hpp"
#include "store/sqlite/connection_pool.hpp"

namespace openbar::store::sqlite {

// A digest of a stored record's field names in their order, kept in the
// shape column. A write that sets exactly the stored fields in the same order
// changes every value and nothing else, so the merged record is the write's
// own text. Equal shapes let the writer skip parsing and merging the stored record. The digest is SipHash-2-4-128 with
// a fixed key. The key is public, so an uploader could search for two lists
// of names with the same digest. A collision only makes an upload replace its
// own record's fields instead of merging them, which any upload of the same
// company can already do with explicit values and nulls.
using RecordShape = std::array<std::uint8_t, 16>;
RecordShape record_shape(const boost::json::object& record);

// A record in the form it is stored in if it is new, and, when the write only
// sets fields, also the result of merging it into a record of the same shape.
struct PreparedRecord {
    std::string text;
    RecordShape shape{};
};
PreparedRecord prepare_record(const RecordWrite& write);

// The SQL of a page read with `filter_count` field filters (at most max_record_filters).
const std::string& page_query(std::size_t filter_count);
// Returns the SQL that reads a sale's lines. Tests check its query plan.
const char* group_query();

// One caller's batch waiting for the writer thread.
struct UpsertJob {
    std::int64_t company_id = 0;
    RecordType type = RecordType::customers;
    std::shared_ptr<const std::vector<RecordWrite>> records;
    // prepare_record() of each record, built on the caller's thread so that
    // the writer only stores it. Grouped records get an empty entry (they
    // are always merged), and the whole vector may be empty: the writer then
    // builds what it needs.
    std::vector<PreparedRecord> prepared;
    UpsertDone done;
};

// Writes the jobs in one transaction (group commit): each job runs inside
// its own SAVEPOINT, so a job that fails is rolled back alone and gets its
// error, while the others are committed together with one fsync. Calls every
// job's `done` exactly once, after COMMIT or the rollback has returned. When the
// transaction itself is lost (COMMIT fails, or SQLite rolls everything back
// on an I/O error), every job that had not failed yet gets that error.
void write_group(Connection& connection, std::span<UpsertJob> jobs);

// Records in the data_records table: one row per record, its fields as
// JSON text. A record's seq (the rowid) starts with its company and type, so
// a page is one seek in the table plus one row per record returned, however
// deep the page is. A cursor is the counter part of a seq.
// Writes go through one writer thread with its own connection. Callers
// queue their batches, and the writer commits the batches that have queued
// up (up to set_max_group_records records) in one transaction. So callers of
// upsert_records_async never wait for fdatasync, and several uploads share one.
// NOTE: filters are evaluated with json_extract on the rows of the company
// and type, in seq order, and no field has an index of its own. A page with
// a filter reads rows until it has `limit` matches, which for a rare value
// means every row of that type.
class SqliteRecordStore final : public RecordStore {
public:
    explicit SqliteRecordStore(ConnectionPool& pool) : pool_(pool) {}
    // Writes every queued batch, then stops the writer thread.
    ~SqliteRecordStore() override;

    UpsertCounts upsert_records(std::int64_t company_id, RecordType type,
                                const std::vector<RecordWrite>& records) override;
    void upsert_records_async(std::int64_t company_id, RecordType type,
                              std::shared_ptr<const std::vector<RecordWrite>> records, UpsertDone done) override;
    void set_max_group_records(std::size_t records) override { max_group_records_ = records; }
    void set_wal_checkpoint_pages(std::size_t pages) override { checkpoint_frames_ = std::max<std::size_t>(pages, 1); }
    void wait_for_writes() override;
    RecordPage read_records(std::int64_t company_id, const RecordQuery& query) override;

private:
    void run_writer();
    void run_checkpointer();
    // sqlite3_wal_hook callback, run by the writer after each commit.
    static int on_wal_commit(void* self, sqlite3* db, const char* schema, int frames);

    // Past this many times checkpoint_frames_, the writer checkpoints too.
    static constexpr int checkpoint_backstop_factor = 8;
    // The checkpointer thread's nice value: it runs when a core is free.
    static constexpr int checkpointer_nice = 10;
    // Checkpoints in a row that the checkpointer runs to catch up with the writer.
    static constexpr int max_checkpoint_rounds = 16;

    ConnectionPool& pool_;

    std::mutex queue_mutex_;
    std::condition_variable queue_changed_;
    std::deque<UpsertJob> queue_;
    bool stopping_ = false;
    std::thread writer_;  // started by the first write
    // Bounds one transaction's WAL growth and its callers' wait.
    std::atomic<std::size_t> max_group_records_ = 50'000;

    // The checkpointer thread copies the WAL into the database file once the
    // writer's commits have made it this many pages long (SQLite's automatic
    // checkpoint uses 1,000). Uploads rewrite the same index pages in commit
    // after commit, and a checkpoint copies each page once however often it
    // changed, so a longer interval writes less.
    std::atomic<std::size_t> checkpoint_frames_ = 5'000;
    std::mutex checkpoint_mutex_;
    std::condition_variable checkpoint_requested_changed_;
    bool checkpoint_requested_ = false;
    bool checkpoint_stopping_ = false;
    std::thread checkpointer_;  // started with the writer
};

}  // namespace openbar::store::sqlite
