#pragma once

#include "store/integration_store.hpp"
#include "store/sqlite/connection_pool.hpp"

namespace openbar::store::sqlite {

class SqliteIntegrationStore final : public IntegrationStore {
public:
    explicit SqliteIntegrationStore(ConnectionPool& pool) : pool_(pool) {}

    Integration create_integration(std::int64_t company_id, std::string_view name) override;
    Datasource create_datasource(std::int64_t company_id, std::int64_t integration_id, std::string_view name,
                                 RecordType type) override;
    std::optional<Datasource> find_datasource(std::int64_t company_id, std::int64_t id) override;

private:
    ConnectionPool& pool_;
};

}  // namespace openbar::store::sqlite
