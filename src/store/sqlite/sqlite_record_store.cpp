#include "store/sqlite/sqlite_record_store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <map>
#include <set>

#include "store/store.hpp"

namespace openbar::store::sqlite {
namespace {

constexpr const char* insert_sql =
    "INSERT INTO data_records (company_id, type, key, data) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (company_id, type, key) DO NOTHING";
constexpr const char* append_sql = "INSERT INTO data_records (company_id, type, key, data) VALUES (?, ?, NULL, ?)";
constexpr const char* select_sql = "SELECT seq, data FROM data_records WHERE company_id = ? AND type = ? AND key = ?";
constexpr const char* update_sql = "UPDATE data_records SET data = ? WHERE seq = ?";
// Grouped keys are GROUP + '\x1f' + MEMBER, so a group's rows are the key range [GROUP\x1f, GROUP\x20).
constexpr const char* select_group_sql =
    "SELECT seq, key, data FROM data_records WHERE company_id = ? AND type = ? AND key >= ? AND key < ?";

// The page query for each number of filters. The statement cache is keyed by
// the SQL text's address, so these strings live as long as the program.
// A filter renders the stored value the way store::FieldFilter describes
// and compares it with the requested text.
const std::array<std::string, max_record_filters + 1>& page_queries() {
    static const std::array<std::string, max_record_filters + 1> queries = [] {
        std::array<std::string, max_record_filters + 1> result;
        for (std::size_t count = 0; count <= max_record_filters; ++count) {
            std::string sql = "SELECT seq, data FROM data_records WHERE company_id = ?1 AND type = ?2 AND seq > ?3";
            for (std::size_t i = 0; i < count; ++i) {
                std::string path = "?" + std::to_string(5 + 2 * i);
                std::string value = "?" + std::to_string(6 + 2 * i);
                sql += " AND (CASE json_type(data, " + path + ") WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'"
                       " ELSE CAST(json_extract(data, " + path + ") AS TEXT) END) = " + value;
            }
            sql += " ORDER BY seq LIMIT ?4";
            result[count] = std::move(sql);
        }
        return result;
    }();
    return queries;
}

// Applies one write to a stored record; returns true when anything changed.
bool apply_write(boost::json::object& record, const RecordWrite& write, bool group_fields_only = false) {
    auto selected = [&](std::string_view name) {
        return !group_fields_only || name.starts_with(group_field_prefix);
    };
    bool changed = false;
    for (const auto& [name, value] : write.set) {
        if (!selected(name)) continue;
        auto found = record.find(name);
        if (found == record.end()) {
            record.emplace(name, value);
            changed = true;
        } else if (found->value() != value) {
            found->value() = value;
            changed = true;
        }
    }
    for (const std::string& name : write.remove) {
        if (selected(name) && record.erase(name) > 0) changed = true;
    }
    if (group_fields_only) return changed;

    for (const auto& [name, additions] : write.list_additions) {
        boost::json::value& slot = record[name];
        if (!slot.is_array()) {
            slot = boost::json::array();
            changed = true;
        }
        boost::json::array& list = slot.get_array();
        for (const boost::json::value& item : additions) {
            if (std::find(list.begin(), list.end(), item) == list.end()) {
                list.push_back(item);
                changed = true;
            }
        }
    }
    return changed;
}

// The stored form of a record that does not exist yet.
std::string new_record_text(const RecordWrite& write) {
    if (write.list_additions.empty()) return boost::json::serialize(write.set);
    boost::json::object record;
    apply_write(record, write);
    return boost::json::serialize(record);
}

boost::json::object parse_record(const std::string& text) {
    boost::json::value value = boost::json::parse(text);
    if (!value.is_object()) throw StoreError(StoreError::Kind::unavailable, "a stored record is not a JSON object");
    return std::move(value.get_object());
}

class UpsertRun {
public:
    UpsertRun(Connection& connection, std::int64_t company_id, RecordType type)
        : connection_(connection), company_id_(company_id), type_(static_cast<std::int64_t>(type)) {}

    // `text` is new_record_text(write), prepared before the write lock was taken.
    void write_keyed(const RecordWrite& write, std::string_view text) {
        auto insert = connection_.prepare(insert_sql);
        insert.bind(1, company_id_).bind(2, type_).bind(3, *write.key).bind(4, text).run();
        if (connection_.changes() == 1) {
            ++counts.created;
            return;
        }

        auto select = connection_.prepare(select_sql);
        select.bind(1, company_id_).bind(2, type_).bind(3, *write.key);
        if (!select.step()) throw StoreError(StoreError::Kind::unavailable, "a record that blocked an insert was not found");
        std::int64_t seq = select.int64_at(0);
        boost::json::object record = parse_record(select.text_at(1));
        if (apply_write(record, write)) update(seq, record);
        ++counts.updated;
    }

    void append(std::string_view text) {
        connection_.prepare(append_sql).bind(1, company_id_).bind(2, type_).bind(3, text).run();
        ++counts.created;
    }

    // A grouped record starts with its group's shared fields, and its shared
    // fields are copied to the group's other records when the batch ends.
    void write_grouped(const RecordWrite& write) {
        Group& group = load_group(write.group);
        group.last_write = &write;
        group.written.insert(*write.key);

        auto found = group.members.find(*write.key);
        if (found != group.members.end()) {
            if (apply_write(found->second.record, write)) update(found->second.seq, found->second.record);
            ++counts.updated;
            return;
        }

        boost::json::object record;
        if (!group.members.empty()) {
            for (const auto& [name, value] : group.members.begin()->second.record) {
                if (name.starts_with(group_field_prefix)) record.emplace(name, value);
            }
        }
        apply_write(record, write);
        connection_.prepare(insert_sql)
            .bind(1, company_id_)
            .bind(2, type_)
            .bind(3, *write.key)
            .bind(4, boost::json::serialize(record))
            .run();
        group.members.emplace(*write.key, Member{connection_.last_insert_rowid(), std::move(record)});
        ++counts.created;
    }

    void finish_groups() {
        for (auto& [name, group] : groups_) {
            for (auto& [key, member] : group.members) {
                if (group.written.contains(key) || !group.last_write) continue;
                if (apply_write(member.record, *group.last_write, true)) update(member.seq, member.record);
            }
        }
    }

    UpsertCounts counts;

private:
    struct Member {
        std::int64_t seq;
        boost::json::object record;
    };
    struct Group {
        std::map<std::string, Member> members;
        std::set<std::string> written;
        const RecordWrite* last_write = nullptr;
    };

    Group& load_group(const std::string& name) {
        auto found = groups_.find(name);
        if (found != groups_.end()) return found->second;

        Group& group = groups_[name];
        auto select = connection_.prepare(select_group_sql);
        select.bind(1, company_id_).bind(2, type_).bind(3, name + '\x1f').bind(4, name + '\x20');
        while (select.step()) {
            group.members.emplace(select.text_at(1), Member{select.int64_at(0), parse_record(select.text_at(2))});
        }
        return group;
    }

    void update(std::int64_t seq, const boost::json::object& record) {
        connection_.prepare(update_sql).bind(1, boost::json::serialize(record)).bind(2, seq).run();
    }

    Connection& connection_;
    std::int64_t company_id_;
    std::int64_t type_;
    std::map<std::string, Group> groups_;
};

}  // namespace

UpsertCounts SqliteRecordStore::upsert_records(std::int64_t company_id, RecordType type,
                                               const std::vector<RecordWrite>& records) {
    // Most records of a bulk load are new, so their stored text is built
    // before the write lock, while other uploads may be writing.
    std::vector<std::string> new_texts(records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
        if (records[i].group.empty()) new_texts[i] = new_record_text(records[i]);
    }

    auto connection = pool_.lease();
    std::lock_guard lock(write_mutex_);
    WriteTransaction transaction(*connection);
    UpsertRun run(*connection, company_id, type);
    for (std::size_t i = 0; i < records.size(); ++i) {
        const RecordWrite& record = records[i];
        if (!record.key) {
            run.append(new_texts[i]);
        } else if (!record.group.empty()) {
            run.write_grouped(record);
        } else {
            run.write_keyed(record, new_texts[i]);
        }
    }
    run.finish_groups();
    transaction.commit();
    return run.counts;
}

RecordPage SqliteRecordStore::read_records(std::int64_t company_id, const RecordQuery& query) {
    if (query.filters.size() > max_record_filters) {
        throw StoreError(StoreError::Kind::conflict, "too many filters");
    }
    auto connection = pool_.lease();
    auto statement = connection->prepare(page_queries()[query.filters.size()].c_str());
    // One row past the page shows whether another page follows.
    statement.bind(1, company_id)
        .bind(2, static_cast<std::int64_t>(query.type))
        .bind(3, query.after)
        .bind(4, static_cast<std::int64_t>(query.limit + 1));
    for (std::size_t i = 0; i < query.filters.size(); ++i) {
        std::string path = "$.\"" + query.filters[i].field + "\"";
        statement.bind(static_cast<int>(5 + 2 * i), std::string_view(path));
        statement.bind(static_cast<int>(6 + 2 * i), std::string_view(query.filters[i].value));
    }

    RecordPage page;
    page.records.reserve(std::min<std::size_t>(query.limit, 10000));
    std::int64_t last_seq = 0;
    while (statement.step()) {
        if (page.records.size() == query.limit) {
            page.next_after = last_seq;
            break;
        }
        last_seq = statement.int64_at(0);
        page.records.push_back(statement.text_at(1));
    }
    return page;
}

}  // namespace openbar::store::sqlite
