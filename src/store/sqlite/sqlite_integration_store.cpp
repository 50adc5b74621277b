#include "store/sqlite/sqlite_integration_store.hpp"

#include "store/store.hpp"

namespace openbar::store::sqlite {

Integration SqliteIntegrationStore::create_integration(std::int64_t company_id, std::string_view name) {
    auto connection = pool_.lease();
    connection->prepare("INSERT INTO integrations (company_id, name) VALUES (?, ?)")
        .bind(1, company_id)
        .bind(2, name)
        .run();
    return Integration{connection->last_insert_rowid(), std::string(name)};
}

Datasource SqliteIntegrationStore::create_datasource(std::int64_t company_id, std::int64_t integration_id,
                                                     std::string_view name, RecordType type) {
    auto connection = pool_.lease();
    WriteTransaction transaction(*connection);
    // The company check keeps one company from attaching to another's integration.
    auto owned = connection->prepare("SELECT 1 FROM integrations WHERE id = ? AND company_id = ?");
    owned.bind(1, integration_id).bind(2, company_id);
    if (!owned.step()) {
        throw StoreError(StoreError::Kind::not_found, "integration " + std::to_string(integration_id) + " not found");
    }
    connection->prepare("INSERT INTO datasources (company_id, integration_id, name, type) VALUES (?, ?, ?, ?)")
        .bind(1, company_id)
        .bind(2, integration_id)
        .bind(3, name)
        .bind(4, static_cast<std::int64_t>(type))
        .run();
    Datasource datasource{connection->last_insert_rowid(), integration_id, std::string(name), type};
    transaction.commit();
    return datasource;
}

std::optional<Datasource> SqliteIntegrationStore::find_datasource(std::int64_t company_id, std::int64_t id) {
    auto connection = pool_.lease();
    auto statement =
        connection->prepare("SELECT integration_id, name, type FROM datasources WHERE id = ? AND company_id = ?");
    statement.bind(1, id).bind(2, company_id);
    if (!statement.step()) return std::nullopt;
    return Datasource{id, statement.int64_at(0), statement.text_at(1), static_cast<RecordType>(statement.int64_at(2))};
}

}  // namespace openbar::store::sqlite
