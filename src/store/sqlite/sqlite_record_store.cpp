#include "store/sqlite/sqlite_record_store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace openbar::store::sqlite {

UpsertCounts SqliteRecordStore::upsert_records(std::int64_t company_id, std::string_view type,
                                         const std::vector<RecordWrite>& records) {
    auto connection = pool_.lease();
    UpsertCounts counts;
    WriteTransaction transaction(*connection);
    for (const RecordWrite& record : records) {
        auto select = connection->prepare("SELECT data FROM records WHERE company_id = ? AND type = ? AND key = ?");
        select.bind(1, company_id).bind(2, type).bind(3, record.key);
        bool exists = select.step();
        boost::json::object merged;
        if (exists) {
            merged = boost::json::parse(select.text_at(0)).as_object();
        }
        for (const auto& [name, value] : record.fields) {
            if (value.is_string() && value.get_string().empty()) {
                merged.erase(name);
            } else {
                merged[name] = value;
            }
        }
        std::string data = boost::json::serialize(merged);
        if (exists) {
            connection
                ->prepare(
                    "UPDATE records SET data = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                    "WHERE company_id = ? AND type = ? AND key = ?")
                .bind(1, data)
                .bind(2, company_id)
                .bind(3, type)
                .bind(4, record.key)
                .run();
            ++counts.updated;
        } else {
            connection->prepare("INSERT INTO records (company_id, type, key, data) VALUES (?, ?, ?, ?)")
                .bind(1, company_id)
                .bind(2, type)
                .bind(3, record.key)
                .bind(4, data)
                .run();
            ++counts.created;
        }
    }
    transaction.commit();
    return counts;
}

std::optional<boost::json::object> SqliteRecordStore::find_record(std::int64_t company_id, std::string_view type,
                                                            std::string_view key) {
    auto connection = pool_.lease();
    auto statement = connection->prepare("SELECT data FROM records WHERE company_id = ? AND type = ? AND key = ?");
    statement.bind(1, company_id).bind(2, type).bind(3, key);
    if (!statement.step()) return std::nullopt;
    return boost::json::parse(statement.text_at(0)).as_object();
}

}  // namespace openbar::store::sqlite
