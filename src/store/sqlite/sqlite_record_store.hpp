#pragma once

#include <mutex>

#include "store/record_store.hpp"
#include "store/sqlite/connection_pool.hpp"

namespace openbar::store::sqlite {

// Records in the data_records table: one row per record, its fields as
// JSON text. Reads page by the seq column through the
// (company_id, type, seq) index, so a page costs one index seek plus one
// row per record returned, however deep the page is.
// NOTE: filters are evaluated with json_extract on the rows of the company
// and type, in seq order, and no field has an index of its own. A page with
// a filter reads rows until it has `limit` matches, which for a rare value
// means every row of that type.
class SqliteRecordStore final : public RecordStore {
public:
    explicit SqliteRecordStore(ConnectionPool& pool) : pool_(pool) {}

    UpsertCounts upsert_records(std::int64_t company_id, RecordType type,
                                const std::vector<RecordWrite>& records) override;
    RecordPage read_records(std::int64_t company_id, const RecordQuery& query) override;

private:
    ConnectionPool& pool_;
    // SQLite has one writer at a time. Uploads queue here instead of in
    // SQLite's busy handler, which polls with sleeps of up to 100 ms and so
    // leaves the database idle between two uploads.
    std::mutex write_mutex_;
};

}  // namespace openbar::store::sqlite
