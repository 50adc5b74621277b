#pragma once

#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/sqlite/connection.hpp"

namespace openbar::store::sqlite {

// Connections to one SQLite file. Each call borrows a connection for its
// duration, so threads never share one; idle connections are reused.
class ConnectionPool {
public:
    // Opens the first connection and applies pending migrations.
    explicit ConnectionPool(std::string path);

    // A borrowed connection, returned to the pool when destroyed.
    class Lease {
    public:
        Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection)
            : pool_(pool), connection_(std::move(connection)) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease();
        Connection& operator*() { return *connection_; }
        Connection* operator->() { return connection_.get(); }

    private:
        ConnectionPool& pool_;
        std::unique_ptr<Connection> connection_;
    };

    Lease lease();

    // The database file, for a thread that keeps a connection of its own.
    const std::string& path() const { return path_; }

private:
    std::string path_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Connection>> idle_;
};

// Applies the numbered migrations up to `last_version` that the database has
// not recorded yet. Tests stop early to build a database of an older version.
void apply_migrations(Connection& connection,
                      std::int64_t last_version = std::numeric_limits<std::int64_t>::max());

}  // namespace openbar::store::sqlite
