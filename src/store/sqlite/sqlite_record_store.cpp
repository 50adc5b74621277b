#include "store/sqlite/sqlite_record_store.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <sodium.h>
#include <sys/resource.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <future>
#include <map>
#include <set>
#include <stdexcept>

#include "store/store.hpp"
#include "util/json_text.hpp"

namespace openbar::store::sqlite {
namespace {

// A record's seq contains its company, its type and a counter:
// company_id << 41 | type << 38 | counter. Ordered by seq, the table keeps
// each company's records of one type together in insertion order, so a page
// is a range of the table itself and an insert updates no index but the
// key's. Migration 11 set this up.
constexpr int counter_bits = 38;
constexpr int type_bits = 3;
constexpr std::int64_t counter_limit = std::int64_t{1} << counter_bits;
constexpr std::int64_t max_company_id = (std::int64_t{1} << (63 - counter_bits - type_bits)) - 1;

// The first seq of a company's records of one type; the range ends before base + counter_limit.
std::int64_t seq_base(std::int64_t company_id, RecordType type) {
    if (company_id < 0 || company_id > max_company_id) {
        throw StoreError(StoreError::Kind::conflict, "company id " + std::to_string(company_id) +
                                                         " is above the largest the record store can number (" +
                                                         std::to_string(max_company_id) + ")");
    }
    return company_id << (counter_bits + type_bits) | static_cast<std::int64_t>(type) << counter_bits;
}

// SipHash needs a key; the shape only has to be stable, so the key is fixed.
constexpr std::array<unsigned char, crypto_shorthash_siphashx24_KEYBYTES> shape_hash_key{
    'o', 'p', 'e', 'n', 'b', 'a', 'r', ' ', 's', 'h', 'a', 'p', 'e', ' ', 'v', '1'};

constexpr const char* insert_sql =
    "INSERT INTO data_records (seq, company_id, type, key, shape, data) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (company_id, type, key) DO NOTHING";
// Rows that one multi-row INSERT writes. One statement per row costs SQLite
// about 2,000 instructions per row in opening cursors and finishing the
// statement, which a statement of many rows pays once.
constexpr std::size_t insert_chunk_rows = 32;

// The multi-row form of insert_sql for insert_chunk_rows rows. The statement
// cache is keyed by the text's address, so the text lives as long as the program.
const char* insert_chunk_sql() {
    static const std::string sql = [] {
        std::string text = "INSERT INTO data_records (seq, company_id, type, key, shape, data) VALUES ";
        for (std::size_t row = 0; row < insert_chunk_rows; ++row) text += row == 0 ? "(?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?)";
        return text + " ON CONFLICT (company_id, type, key) DO NOTHING";
    }();
    return sql.c_str();
}
constexpr const char* chunk_seqs_sql = "SELECT seq FROM data_records WHERE seq >= ? AND seq < ?";

constexpr const char* append_sql =
    "INSERT INTO data_records (seq, company_id, type, key, data) VALUES (?, ?, ?, NULL, ?)";
constexpr const char* last_seq_sql = "SELECT seq FROM data_records WHERE seq < ? ORDER BY seq DESC LIMIT 1";
constexpr const char* select_sql =
    "SELECT seq, shape, data FROM data_records WHERE company_id = ? AND type = ? AND key = ?";
constexpr const char* update_sql = "UPDATE data_records SET shape = ?, data = ? WHERE seq = ?";
// The update of a record of the write's shape in one statement. A record that
// is missing, of another shape or already equal is left alone, and the
// caller then looks at it with select_sql.
constexpr const char* update_same_shape_sql =
    "UPDATE data_records SET shape = ?1, data = ?2 "
    "WHERE company_id = ?3 AND type = ?4 AND key = ?5 AND shape = ?1 AND data IS NOT ?2";

// The writer connection's page cache in KiB (SQLite's default is 2 MiB).
// Inserts into the key index touch pages all over it, and pages that fell
// out of the cache cost a pread each.
constexpr const char* writer_cache_pragma = "PRAGMA cache_size=-32768";

// The writer never copies the WAL into the database file itself: its commits
// would stall for the copy of thousands of pages. The checkpointer thread
// does it (see checkpoint_frames_ in the header).
constexpr const char* writer_checkpoint_pragma = "PRAGMA wal_autocheckpoint=0";

// Rolling back to an upload's savepoint needs the pages it changed as they
// were before it. SQLite keeps them in a statement journal, which spills to
// a temporary file past 64 KiB unless temporary storage is in memory. An
// upload of 500 records changes about 150 pages.
constexpr const char* writer_temp_store_pragma = "PRAGMA temp_store=MEMORY";
// Grouped keys are GROUP + '\x1f' + MEMBER, so a group's rows are the key range [GROUP\x1f, GROUP\x20).
// Only sales lines are grouped. The type is written out so that SQLite can
// use data_records_sale_lines, the partial index of sales by company and
// key (migration 12). data_records_by_key would read the range in every company.
constexpr RecordType grouped_type = RecordType::sales;
static_assert(static_cast<int>(grouped_type) == 3, "select_group_sql and migration 12 spell out type 3");
constexpr const char* select_group_sql =
    "SELECT seq, key, data FROM data_records WHERE company_id = ? AND type = 3 AND key >= ? AND key < ?";

// The page query for each number of filters. The statement cache is keyed by
// the SQL text's address, so these strings live as long as the program.
// A filter renders the stored value the way store::FieldFilter describes
// and compares it with the requested text.
const std::array<std::string, max_record_filters + 1>& page_queries() {
    static const std::array<std::string, max_record_filters + 1> queries = [] {
        std::array<std::string, max_record_filters + 1> result;
        for (std::size_t count = 0; count <= max_record_filters; ++count) {
            // The company and type checks cost little, since the row is read
            // anyway. They keep a row whose seq lies in another company's
            // range out of that company's pages: a binary built before
            // migration 11 numbers new rows with the largest seq plus one.
            // The unary + stops SQLite from using data_records_by_key for
            // them, which would read all the company's records and sort them.
            std::string sql =
                "SELECT seq, data FROM data_records WHERE seq > ?1 AND seq < ?2 AND +company_id = ?4 AND +type = ?5";
            for (std::size_t i = 0; i < count; ++i) {
                std::string path = '?' + std::to_string(6 + 2 * i);
                std::string value = '?' + std::to_string(7 + 2 * i);
                sql += " AND (CASE json_type(data, " + path + ") WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'"
                       " ELSE CAST(json_extract(data, " + path + ") AS TEXT) END) = " + value;
            }
            sql += " ORDER BY seq LIMIT ?3";
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
    // object::erase moves the last field into the gap, so removals use
    // stable_erase to keep the field order that the README describes.
    for (const std::string& name : write.remove) {
        if (selected(name) && record.stable_erase(name) > 0) changed = true;
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

// Whether merging `write` into a record with exactly its fields in the same
// order gives the write's own fields: true when it sets fields and nothing else.
bool only_sets(const RecordWrite& write) { return write.remove.empty() && write.list_additions.empty(); }

boost::json::object parse_record(std::string_view text, boost::json::storage_ptr storage) {
    boost::json::parse_options options;
    options.max_depth = max_record_depth;
    boost::json::value value = boost::json::parse(text, std::move(storage), options);
    if (!value.is_object()) throw StoreError(StoreError::Kind::unavailable, "a stored record is not a JSON object");
    return std::move(value.get_object());
}

class UpsertRun {
public:
    UpsertRun(Connection& connection, std::int64_t company_id, RecordType type)
        : connection_(connection),
          company_id_(company_id),
          type_(static_cast<std::int64_t>(type)),
          seq_base_(seq_base(company_id, type)) {}

    // `prepared` is prepare_record(write) when the caller built it, else
    // null, and it is built here only when needed.
    void write_keyed(const RecordWrite& write, const PreparedRecord* prepared) {
        // Uploads tend to be all new records or all updates, so the previous
        // record's outcome picks which statement to try first: a failed
        // INSERT and a SELECT that finds nothing both cost an index seek.
        if (last_was_update_ && update_existing(write, prepared)) return;

        PreparedRecord built;
        if (!prepared) prepared = &(built = prepare_record(write));
        auto insert = connection_.prepare(insert_sql);
        insert.bind(1, next_seq())
            .bind(2, company_id_)
            .bind(3, type_)
            .bind_borrowed(4, *write.key)
            .bind_borrowed(5, prepared->shape)
            .bind_borrowed(6, prepared->text)
            .run();
        if (connection_.changes() == 1) {
            ++next_seq_;
            ++counts.created;
            last_was_update_ = false;
            return;
        }
        if (!update_existing(write, prepared)) {
            throw StoreError(StoreError::Kind::unavailable, "a record that blocked an insert was not found");
        }
    }

    // Whether the records so far were mostly updates, which makes write_keyed
    // try an update first and insert_chunk not worth it.
    bool expects_updates() const { return last_was_update_; }

    // Inserts `writes` (insert_chunk_rows keyed, ungrouped records) with one
    // statement, then merges those whose key was already stored, in order.
    void insert_chunk(std::span<const RecordWrite> writes, std::span<const PreparedRecord> prepared) {
        std::int64_t first = next_seq();
        std::int64_t rows = static_cast<std::int64_t>(writes.size());
        if (first + rows > seq_base_ + counter_limit) {
            for (std::size_t i = 0; i < writes.size(); ++i) write_keyed(writes[i], &prepared[i]);
            return;
        }
        auto insert = connection_.prepare(insert_chunk_sql());
        for (std::size_t i = 0; i < writes.size(); ++i) {
            int column = static_cast<int>(i) * 6;
            insert.bind(column + 1, first + static_cast<std::int64_t>(i))
                .bind(column + 2, company_id_)
                .bind(column + 3, type_)
                .bind_borrowed(column + 4, *writes[i].key)
                .bind_borrowed(column + 5, prepared[i].shape)
                .bind_borrowed(column + 6, prepared[i].text);
        }
        insert.run();
        // A row that met a stored key leaves its seq unused, which cursors do not mind.
        next_seq_ = first + rows;
        auto inserted = static_cast<std::int64_t>(connection_.changes());
        counts.created += static_cast<std::size_t>(inserted);
        if (inserted == rows) return;

        std::vector<bool> stored(writes.size(), false);
        auto select = connection_.prepare(chunk_seqs_sql);
        select.bind(1, first).bind(2, first + rows);
        while (select.step()) stored[static_cast<std::size_t>(select.int64_at(0) - first)] = true;
        for (std::size_t i = 0; i < writes.size(); ++i) {
            if (stored[i]) continue;
            if (!update_existing(writes[i], &prepared[i])) {
                throw StoreError(StoreError::Kind::unavailable, "a record that blocked an insert was not found");
            }
        }
        last_was_update_ = rows - inserted > inserted;
    }

    void append(const RecordWrite& write, const PreparedRecord* prepared) {
        PreparedRecord built;
        if (!prepared) prepared = &(built = prepare_record(write));
        connection_.prepare(append_sql)
            .bind(1, next_seq())
            .bind(2, company_id_)
            .bind(3, type_)
            .bind_borrowed(4, prepared->text)
            .run();
        ++next_seq_;
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
        std::int64_t seq = next_seq();
        connection_.prepare(insert_sql)
            .bind(1, seq)
            .bind(2, company_id_)
            .bind(3, type_)
            .bind(4, *write.key)
            .bind(5, record_shape(record))
            .bind(6, util::to_json(record))
            .run();
        if (connection_.changes() != 1) {
            throw StoreError(StoreError::Kind::unavailable, "a grouped record that was not found blocked an insert");
        }
        ++next_seq_;
        group.members.emplace(*write.key, Member{seq, std::move(record)});
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
    // Returns the seq of the next new record. The run is inside the write
    // transaction, so no other connection inserts between the query and the inserts.
    std::int64_t next_seq() {
        if (next_seq_ == 0) {
            auto last = connection_.prepare(last_seq_sql);
            last.bind(1, seq_base_ + counter_limit);
            std::int64_t found = last.step() ? last.int64_at(0) : 0;
            next_seq_ = (found > seq_base_ ? found : seq_base_) + 1;
        }
        if (next_seq_ >= seq_base_ + counter_limit) {
            throw StoreError(StoreError::Kind::conflict, "this company has used up the record numbers of this type");
        }
        return next_seq_;
    }

    // Merges `write` into its stored record; returns false when there is none.
    bool update_existing(const RecordWrite& write, const PreparedRecord* prepared) {
        if (prepared && only_sets(write)) {
            connection_.prepare(update_same_shape_sql)
                .bind_borrowed(1, prepared->shape)
                .bind_borrowed(2, prepared->text)
                .bind(3, company_id_)
                .bind(4, type_)
                .bind_borrowed(5, *write.key)
                .run();
            if (connection_.changes() == 1) {
                ++counts.updated;
                last_was_update_ = true;
                return true;
            }
        }
        auto select = connection_.prepare(select_sql);
        select.bind(1, company_id_).bind(2, type_).bind_borrowed(3, *write.key);
        if (!select.step()) return false;
        std::int64_t seq = select.int64_at(0);
        std::span<const std::uint8_t> shape = select.blob_view_at(1);
        if (prepared && only_sets(write) && std::ranges::equal(shape, prepared->shape)) {
            // The merge would replace every value and keep the order, which gives the prepared text.
            store_prepared(seq, select.text_view_at(2), *prepared);
        } else {
            boost::json::object record = parse_record(select.text_view_at(2), &arena_);
            bool changed = apply_write(record, write);
            if (prepared && only_sets(write) && record.size() == write.set.size()) {
                // The write set every stored field, so the record is the write
                // with the fields in the write's order. Storing that order
                // lets the next write of the same fields take the branch above.
                store_prepared(seq, select.text_view_at(2), *prepared);
            } else if (changed || !std::ranges::equal(shape, record_shape(record))) {
                // An unchanged record is rewritten only to give it the shape it lacks
                // (rows stored before migration 11 have none), so later updates take the fast path.
                update(seq, record);
            }
        }
        ++counts.updated;
        last_was_update_ = true;
        return true;
    }

    // Stores the prepared record as record `seq` unless its stored text is already the same.
    void store_prepared(std::int64_t seq, std::string_view stored_text, const PreparedRecord& prepared) {
        if (stored_text == prepared.text) return;
        connection_.prepare(update_sql)
            .bind_borrowed(1, prepared.shape)
            .bind_borrowed(2, prepared.text)
            .bind(3, seq)
            .run();
    }

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

        if (type_ != static_cast<std::int64_t>(grouped_type)) {
            throw std::logic_error("only sales lines are stored in groups");
        }
        Group& group = groups_[name];
        auto select = connection_.prepare(select_group_sql);
        select.bind(1, company_id_).bind(2, name + '\x1f').bind(3, name + '\x20');
        while (select.step()) {
            group.members.emplace(select.text_at(1),
                                  Member{select.int64_at(0), parse_record(select.text_view_at(2), &arena_)});
        }
        return group;
    }

    void update(std::int64_t seq, const boost::json::object& record) {
        std::string text = util::to_json(record);
        RecordShape shape = record_shape(record);
        connection_.prepare(update_sql).bind_borrowed(1, shape).bind_borrowed(2, text).bind(3, seq).run();
    }

    Connection& connection_;
    std::int64_t company_id_;
    std::int64_t type_;
    std::int64_t seq_base_;
    std::int64_t next_seq_ = 0;  // 0 until next_seq() first runs
    // Stored records parsed for a merge live until the batch ends.
    boost::json::monotonic_resource arena_;
    bool last_was_update_ = false;
    std::map<std::string, Group> groups_;
};

UpsertCounts upsert_job(Connection& connection, const UpsertJob& job) {
    UpsertRun run(connection, job.company_id, job.type);
    const std::vector<RecordWrite>& records = *job.records;
    auto plain_keyed = [](const RecordWrite& record) { return record.key && record.group.empty(); };
    for (std::size_t i = 0; i < records.size(); ++i) {
        const RecordWrite& record = records[i];
        // New records go in chunks while the upload looks like one of new records.
        if (!job.prepared.empty() && !run.expects_updates() && i + insert_chunk_rows <= records.size() &&
            std::all_of(records.begin() + static_cast<std::ptrdiff_t>(i),
                        records.begin() + static_cast<std::ptrdiff_t>(i + insert_chunk_rows), plain_keyed)) {
            run.insert_chunk(std::span(records).subspan(i, insert_chunk_rows),
                             std::span(job.prepared).subspan(i, insert_chunk_rows));
            i += insert_chunk_rows - 1;
            continue;
        }
        const PreparedRecord* prepared = job.prepared.empty() ? nullptr : &job.prepared[i];
        if (!record.key) {
            run.append(record, prepared);
        } else if (!record.group.empty()) {
            run.write_grouped(record);
        } else {
            run.write_keyed(record, prepared);
        }
    }
    run.finish_groups();
    return run.counts;
}

void deliver(UpsertJob& job, UpsertResult result) {
    try {
        job.done(std::move(result));
    } catch (const std::exception& error) {
        spdlog::error("an upload's completion handler failed: {}", error.what());
    }
}

}  // namespace

const std::string& page_query(std::size_t filter_count) { return page_queries().at(filter_count); }

const char* group_query() { return select_group_sql; }

RecordShape record_shape(const boost::json::object& record) {
    // Each name with its length in front, so that no two lists of names hash the same bytes.
    thread_local std::string names;
    names.clear();
    for (const auto& entry : record) {
        std::string_view name = entry.key();
        auto size = static_cast<std::uint32_t>(name.size());
        const char size_bytes[4] = {static_cast<char>(size), static_cast<char>(size >> 8),
                                    static_cast<char>(size >> 16), static_cast<char>(size >> 24)};
        names.append(size_bytes, sizeof size_bytes);
        names.append(name);
    }
    // The records of one upload mostly share their names, so each thread
    // keeps its last digest and hashes only when the names change.
    thread_local std::string last_names;
    thread_local RecordShape last_shape{};
    thread_local bool hashed = false;
    if (!hashed || names != last_names) {
        crypto_shorthash_siphashx24(last_shape.data(), reinterpret_cast<const unsigned char*>(names.data()),
                                    names.size(), shape_hash_key.data());
        last_names.assign(names);
        hashed = true;
    }
    return last_shape;
}

PreparedRecord prepare_record(const RecordWrite& write) {
    if (write.list_additions.empty()) return {util::to_json(write.set), record_shape(write.set)};
    boost::json::object record;
    apply_write(record, write);
    return {util::to_json(record), record_shape(record)};
}

void write_group(Connection& connection, std::span<UpsertJob> jobs) {
    std::vector<UpsertResult> results(jobs.size());
    std::exception_ptr group_error;
    try {
        WriteTransaction transaction(connection);
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            connection.execute("SAVEPOINT upload");
            try {
                results[i].counts = upsert_job(connection, jobs[i]);
                connection.execute("RELEASE upload");
            } catch (...) {
                results[i].error = std::current_exception();
                // After an I/O error or a full disk SQLite may have rolled
                // back the whole transaction, and the jobs before this one with it.
                if (sqlite3_get_autocommit(connection.handle())) throw;
                connection.execute("ROLLBACK TO upload");
                connection.execute("RELEASE upload");
            }
        }
        transaction.commit();
    } catch (...) {
        group_error = std::current_exception();
    }

    for (std::size_t i = 0; i < jobs.size(); ++i) {
        if (group_error && !results[i].error) results[i] = UpsertResult{{}, group_error};
        deliver(jobs[i], std::move(results[i]));
    }
}

SqliteRecordStore::~SqliteRecordStore() {
    {
        std::lock_guard lock(queue_mutex_);
        stopping_ = true;
    }
    queue_changed_.notify_one();
    if (writer_.joinable()) writer_.join();
    {
        std::lock_guard lock(checkpoint_mutex_);
        checkpoint_stopping_ = true;
    }
    checkpoint_requested_changed_.notify_one();
    if (checkpointer_.joinable()) checkpointer_.join();
}

int SqliteRecordStore::on_wal_commit(void* self, sqlite3* db, const char* schema, int frames) {
    auto* store = static_cast<SqliteRecordStore*>(self);
    auto threshold = static_cast<int>(store->checkpoint_frames_.load());
    if (frames >= threshold) {
        {
            std::lock_guard lock(store->checkpoint_mutex_);
            store->checkpoint_requested_ = true;
        }
        store->checkpoint_requested_changed_.notify_one();
    }
    if (static_cast<std::int64_t>(frames) >= std::int64_t{threshold} * checkpoint_backstop_factor) {
        // The checkpointer fell far behind, so the writer helps, as SQLite's own
        // automatic checkpoint would, to keep the WAL file bounded.
        sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    }
    return SQLITE_OK;
}

void SqliteRecordStore::run_checkpointer() {
    // Copying the WAL is not urgent until the backstop, so the checkpointer
    // yields the CPU to the writer and the network threads when they need it.
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), checkpointer_nice) != 0) {
        spdlog::debug("could not lower the WAL checkpointer's priority: {}", std::strerror(errno));
    }
    std::unique_ptr<Connection> connection;
    for (;;) {
        {
            std::unique_lock lock(checkpoint_mutex_);
            checkpoint_requested_changed_.wait(lock, [this] { return checkpoint_stopping_ || checkpoint_requested_; });
            if (checkpoint_stopping_) return;
            checkpoint_requested_ = false;
        }
        try {
            if (!connection) connection = std::make_unique<Connection>(pool_.path());
            // A PASSIVE checkpoint does not wait for the writer, which keeps
            // appending meanwhile. The WAL starts over from its beginning only
            // after a checkpoint copied every frame, so this repeats while
            // the copy catches up with the appends.
            for (int round = 0; round < max_checkpoint_rounds; ++round) {
                int wal_frames = 0, copied = 0;
                int rc = sqlite3_wal_checkpoint_v2(connection->handle(), "main", SQLITE_CHECKPOINT_PASSIVE,
                                                   &wal_frames, &copied);
                if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
                    spdlog::warn("WAL checkpoint of the record store failed: {}", sqlite3_errmsg(connection->handle()));
                    break;
                }
                if (rc == SQLITE_BUSY || copied >= wal_frames) break;
            }
        } catch (const std::exception& error) {
            spdlog::warn("the WAL checkpointer cannot open the database: {}", error.what());
        }
    }
}

UpsertCounts SqliteRecordStore::upsert_records(std::int64_t company_id, RecordType type,
                                               const std::vector<RecordWrite>& records) {
    std::promise<UpsertResult> promise;
    std::future<UpsertResult> outcome = promise.get_future();
    // The caller's vector outlives the wait below, so the job borrows it.
    std::shared_ptr<const std::vector<RecordWrite>> borrowed(&records, [](const std::vector<RecordWrite>*) {});
    upsert_records_async(company_id, type, std::move(borrowed),
                         [&promise](UpsertResult result) { promise.set_value(std::move(result)); });
    UpsertResult result = outcome.get();
    if (result.error) std::rethrow_exception(result.error);
    return result.counts;
}

void SqliteRecordStore::upsert_records_async(std::int64_t company_id, RecordType type,
                                             std::shared_ptr<const std::vector<RecordWrite>> records,
                                             UpsertDone done) {
    UpsertJob job{company_id, type, std::move(records), {}, std::move(done)};

    // Built here, on the caller's thread, while the writer commits other uploads.
    job.prepared.resize(job.records->size());
    for (std::size_t i = 0; i < job.records->size(); ++i) {
        const RecordWrite& record = (*job.records)[i];
        if (record.group.empty()) job.prepared[i] = prepare_record(record);
    }

    {
        std::lock_guard lock(queue_mutex_);
        if (!writer_.joinable()) {
            writer_ = std::thread([this] { run_writer(); });
            checkpointer_ = std::thread([this] { run_checkpointer(); });
        }
        queue_.push_back(std::move(job));
    }
    queue_changed_.notify_one();
}

void SqliteRecordStore::wait_for_writes() {
    // The writer takes batches in order, so once an empty one has been
    // through, every earlier one has too.
    upsert_records(0, RecordType::customers, {});
}

void SqliteRecordStore::run_writer() {
    std::unique_ptr<Connection> connection;
    std::vector<UpsertJob> group;
    for (;;) {
        {
            std::unique_lock lock(queue_mutex_);
            queue_changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            // Stops only once the queue is empty, so every accepted batch is written.
            if (queue_.empty()) return;
            std::size_t records = 0;
            std::size_t max_records = max_group_records_;
            while (!queue_.empty() &&
                   (group.empty() || records + queue_.front().records->size() <= max_records)) {
                records += queue_.front().records->size();
                group.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }

        try {
            if (!connection) {
                connection = std::make_unique<Connection>(pool_.path());
                connection->execute(writer_cache_pragma);
                connection->execute(writer_checkpoint_pragma);
                connection->execute(writer_temp_store_pragma);
                sqlite3_wal_hook(connection->handle(), &SqliteRecordStore::on_wal_commit, this);
            }
        } catch (...) {
            spdlog::error("the record writer cannot open the database; failing {} uploads", group.size());
            for (UpsertJob& job : group) deliver(job, UpsertResult{{}, std::current_exception()});
            group.clear();
            continue;
        }
        write_group(*connection, group);
        group.clear();
    }
}

RecordPage SqliteRecordStore::read_records(std::int64_t company_id, const RecordQuery& query) {
    if (query.filters.size() > max_record_filters) {
        throw StoreError(StoreError::Kind::conflict, "too many filters");
    }
    // Cursors are counters within the company's range; one past the range is an empty page.
    std::int64_t base = seq_base(company_id, query.type);
    std::int64_t after = std::clamp<std::int64_t>(query.after, 0, counter_limit - 1);
    auto connection = pool_.lease();
    auto statement = connection->prepare(page_queries()[query.filters.size()].c_str());
    // One row past the page shows whether another page follows.
    statement.bind(1, base + after)
        .bind(2, base + counter_limit)
        .bind(3, static_cast<std::int64_t>(query.limit + 1))
        .bind(4, company_id)
        .bind(5, static_cast<std::int64_t>(query.type));
    for (std::size_t i = 0; i < query.filters.size(); ++i) {
        std::string path = "$.\"" + query.filters[i].field + "\"";
        statement.bind(static_cast<int>(6 + 2 * i), std::string_view(path));
        statement.bind(static_cast<int>(7 + 2 * i), std::string_view(query.filters[i].value));
    }

    RecordPage page;
    page.records.reserve(std::min<std::size_t>(query.limit, 10000));
    std::int64_t last_seq = 0;
    while (statement.step()) {
        if (page.records.size() == query.limit) {
            page.next_after = last_seq - base;
            break;
        }
        last_seq = statement.int64_at(0);
        page.records.push_back(statement.text_at(1));
    }
    return page;
}

}  // namespace openbar::store::sqlite
