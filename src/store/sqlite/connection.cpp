#include "store/sqlite/connection.hpp"

#include <spdlog/spdlog.h>

#include "store/store.hpp"

namespace openbar::store::sqlite {

void throw_sqlite_error(sqlite3* db, int code, std::string_view context) {
    int primary = code & 0xFF;
    auto kind = StoreError::Kind::unavailable;
    if (primary == SQLITE_CONSTRAINT) {
        kind = StoreError::Kind::conflict;
    }
    std::string message = std::string(context) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(code));
    throw StoreError(kind, message);
}

Statement::~Statement() {
    sqlite3_reset(handle_);
    sqlite3_clear_bindings(handle_);
}

Statement& Statement::bind(int index, std::int64_t value) {
    sqlite3_bind_int64(handle_, index, value);
    return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
    sqlite3_bind_text(handle_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind_borrowed(int index, std::string_view value) {
    sqlite3_bind_text(handle_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
    return *this;
}

Statement& Statement::bind(int index, std::span<const std::uint8_t> value) {
    sqlite3_bind_blob(handle_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind_borrowed(int index, std::span<const std::uint8_t> value) {
    sqlite3_bind_blob(handle_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
    return *this;
}

Statement& Statement::bind_null(int index) {
    sqlite3_bind_null(handle_, index);
    return *this;
}

bool Statement::step() {
    int code = sqlite3_step(handle_);
    if (code == SQLITE_ROW) return true;
    if (code == SQLITE_DONE) return false;
    throw_sqlite_error(sqlite3_db_handle(handle_), code, "SQLite statement failed");
}

void Statement::run() {
    while (step()) {
    }
}

std::int64_t Statement::int64_at(int column) const { return sqlite3_column_int64(handle_, column); }

std::string Statement::text_at(int column) const {
    auto text = reinterpret_cast<const char*>(sqlite3_column_text(handle_, column));
    return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(handle_, column))) : std::string();
}

std::string_view Statement::text_view_at(int column) const {
    auto text = reinterpret_cast<const char*>(sqlite3_column_text(handle_, column));
    return text ? std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(handle_, column)))
                : std::string_view();
}

std::optional<std::string> Statement::optional_text_at(int column) const {
    if (is_null(column)) return std::nullopt;
    return text_at(column);
}

std::vector<std::uint8_t> Statement::blob_at(int column) const {
    auto data = static_cast<const std::uint8_t*>(sqlite3_column_blob(handle_, column));
    auto size = static_cast<std::size_t>(sqlite3_column_bytes(handle_, column));
    return data ? std::vector<std::uint8_t>(data, data + size) : std::vector<std::uint8_t>{};
}

std::span<const std::uint8_t> Statement::blob_view_at(int column) const {
    auto data = static_cast<const std::uint8_t*>(sqlite3_column_blob(handle_, column));
    auto size = static_cast<std::size_t>(sqlite3_column_bytes(handle_, column));
    return data ? std::span<const std::uint8_t>(data, size) : std::span<const std::uint8_t>{};
}

bool Statement::is_null(int column) const { return sqlite3_column_type(handle_, column) == SQLITE_NULL; }

Connection::Connection(const std::string& path) {
    // SQLite keeps allocation statistics behind a global mutex on every
    // malloc and free unless this is off. It only works before SQLite
    // initializes, that is before the first connection opens.
    static const int memory_statistics_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)memory_statistics_off;
    int code = sqlite3_open_v2(path.c_str(), &db_,
                               SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (code != SQLITE_OK) {
        std::string message = "cannot open SQLite database '" + path + "': " +
                              (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(code));
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw StoreError(StoreError::Kind::unavailable, message);
    }
    sqlite3_extended_result_codes(db_, 1);
    // Writers wait up to 5 s for each other instead of failing at once.
    sqlite3_busy_timeout(db_, 5000);
    // A new database gets 8 KiB pages, and an existing one keeps its own
    // size. Uploads then write the same bytes in half as many WAL frames as
    // with 4 KiB pages, and the B-trees are shallower.
    execute("PRAGMA page_size=8192");
    // WAL lets readers run while one writer commits; synchronous=FULL makes
    // each commit durable before an upload is acknowledged.
    execute("PRAGMA journal_mode=WAL");
    execute("PRAGMA synchronous=FULL");
    execute("PRAGMA foreign_keys=ON");
}

Connection::~Connection() {
    for (auto& [sql, statement] : statements_) {
        sqlite3_finalize(statement);
    }
    sqlite3_close_v2(db_);
}

Statement Connection::prepare(const char* sql) {
    auto found = statements_.find(sql);
    if (found != statements_.end()) {
        return Statement(found->second);
    }
    sqlite3_stmt* statement = nullptr;
    int code = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
    if (code != SQLITE_OK) {
        throw_sqlite_error(db_, code, "SQLite prepare failed");
    }
    statements_.emplace(sql, statement);
    return Statement(statement);
}

void Connection::execute(const char* sql) {
    char* error = nullptr;
    int code = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
    if (code != SQLITE_OK) {
        std::string message = error ? error : sqlite3_errstr(code);
        sqlite3_free(error);
        throw StoreError(StoreError::Kind::unavailable, "SQLite statement failed: " + message);
    }
}

WriteTransaction::WriteTransaction(Connection& connection) : connection_(connection) {
    connection_.execute("BEGIN IMMEDIATE");
}

WriteTransaction::~WriteTransaction() {
    // After some errors (I/O, disk full) SQLite has already rolled the
    // transaction back and is in autocommit mode again.
    if (!done_ && !sqlite3_get_autocommit(connection_.handle())) {
        try {
            connection_.execute("ROLLBACK");
        } catch (const std::exception& error) {
            spdlog::error("SQLite rollback failed: {}", error.what());
        }
    }
}

void WriteTransaction::commit() {
    connection_.execute("COMMIT");
    done_ = true;
}

}  // namespace openbar::store::sqlite
