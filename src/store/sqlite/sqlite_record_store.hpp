#pragma once

#include "store/record_store.hpp"
#include "store/sqlite/connection_pool.hpp"

namespace openbar::store::sqlite {

class SqliteRecordStore final : public RecordStore {
public:
    explicit SqliteRecordStore(ConnectionPool& pool) : pool_(pool) {}

    UpsertCounts upsert_records(std::int64_t company_id, std::string_view type,
                                const std::vector<RecordWrite>& records) override;
    std::optional<boost::json::object> find_record(std::int64_t company_id, std::string_view type,
                                                   std::string_view key) override;

private:
    ConnectionPool& pool_;
};

}  // namespace openbar::store::sqlite
