#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace openbar::store::sqlite {

// A prepared statement borrowed from a connection's cache. Resets itself
// and clears its bindings when it goes out of scope.
class Statement {
public:
    explicit Statement(sqlite3_stmt* handle) : handle_(handle) {}
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, std::string_view value);
    // Binds without copying: the caller keeps `value` alive until this
    // Statement is destroyed, which resets the statement.
    Statement& bind_borrowed(int index, std::string_view value);
    Statement& bind(int index, std::span<const std::uint8_t> value);
    Statement& bind_borrowed(int index, std::span<const std::uint8_t> value);
    Statement& bind_null(int index);

    // Steps once; returns true when a row is available.
    bool step();
    // Steps to completion, for statements that return no rows.
    void run();

    std::int64_t int64_at(int column) const;
    std::string text_at(int column) const;
    // The column's text without a copy; valid until the next step or reset.
    std::string_view text_view_at(int column) const;
    std::optional<std::string> optional_text_at(int column) const;
    std::vector<std::uint8_t> blob_at(int column) const;
    // The column's bytes without a copy; valid until the next step or reset.
    std::span<const std::uint8_t> blob_view_at(int column) const;
    bool is_null(int column) const;

private:
    sqlite3_stmt* handle_;
};

// One SQLite connection with its statement cache. Not thread-safe: the
// store hands each thread its own.
class Connection {
public:
    explicit Connection(const std::string& path);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    // Returns the cached statement for `sql`, preparing it on first use.
    Statement prepare(const char* sql);
    void execute(const char* sql);

    std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
    int changes() const { return sqlite3_changes(db_); }
    sqlite3* handle() const { return db_; }

private:
    sqlite3* db_ = nullptr;
    std::unordered_map<const char*, sqlite3_stmt*> statements_;
};

// Throws StoreError with the SQLite message; `code` picks the error kind.
[[noreturn]] void throw_sqlite_error(sqlite3* db, int code, std::string_view context);

// Runs BEGIN IMMEDIATE on construction and ROLLBACK unless commit() was called.
// IMMEDIATE takes the write lock up front, so two writers wait for each other
// (busy_timeout) instead of failing with SQLITE_BUSY on lock upgrade.
class WriteTransaction {
public:
    explicit WriteTransaction(Connection& connection);
    WriteTransaction(const WriteTransaction&) = delete;
    WriteTransaction& operator=(const WriteTransaction&) = delete;
    ~WriteTransaction();
    void commit();

private:
    Connection& connection_;
    bool done_ = false;
};

}  // namespace openbar::store::sqlite
