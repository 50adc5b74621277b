#include <spdlog/spdlog.h>

#include <iterator>

#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace openbar::store::sqlite {
namespace {

struct Migration {
    std::int64_t version;
    const char* description;
    const char* sql;
    // A query run before `sql`: a row it returns is the reason the migration
    // cannot run on this database, and stops the server with that text.
    const char* precondition = nullptr;
};

// Append only: a released migration is never edited, a change gets a new number.
constexpr Migration migrations[] = {
    {1, "companies, users, access tokens and records", R"sql(
        CREATE TABLE companies (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        );
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            company_id INTEGER NOT NULL REFERENCES companies(id),
            username TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            credential_epoch INTEGER NOT NULL DEFAULT 1,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
            UNIQUE (company_id, username)
        );
        CREATE TABLE access_tokens (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL UNIQUE REFERENCES users(id),
            company_id INTEGER NOT NULL REFERENCES companies(id),
            lookup_hash BLOB NOT NULL UNIQUE,
            sealed BLOB NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
            last_used_at TEXT,
            last_used_address TEXT
        );
        CREATE TABLE records (
            company_id INTEGER NOT NULL REFERENCES companies(id),
            type TEXT NOT NULL,
            key TEXT NOT NULL,
            data TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            PRIMARY KEY (company_id, type, key)
        );
    )sql"},
    {2, "TOTP secrets and recovery codes", R"sql(
        CREATE TABLE totp_credentials (
            user_id INTEGER PRIMARY KEY REFERENCES users(id),
            sealed_secret BLOB NOT NULL,
            last_step INTEGER NOT NULL DEFAULT -1,
            enabled_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        );
        CREATE TABLE totp_recovery_codes (
            user_id INTEGER NOT NULL REFERENCES users(id),
            code_hash BLOB NOT NULL,
            used_at TEXT,
            PRIMARY KEY (user_id, code_hash)
        );
    )sql"},
    // Records get a sequence number that read cursors page by. It is the
    // rowid, which SQLite assigns as the largest rowid plus one; records are
    // never deleted, so it only grows. AUTOINCREMENT would keep that true
    // with deletes too, at the cost of a sqlite_sequence write per insert.
    // data_records_by_seq serves the pages of one company and type, and
    // data_records_by_key finds the record an upload merges into. Events
    // have no key and are only appended. Type numbers are store::RecordType.
    {4, "data records with sequence numbers for cursor pagination", R"sql(
        CREATE TABLE data_records (
            seq INTEGER PRIMARY KEY,
            company_id INTEGER NOT NULL REFERENCES companies(id),
            type INTEGER NOT NULL,
            key TEXT,
            data TEXT NOT NULL
        );
        CREATE UNIQUE INDEX data_records_by_key ON data_records (company_id, type, key);
        CREATE INDEX data_records_by_seq ON data_records (company_id, type, seq);
        INSERT INTO data_records (company_id, type, key, data)
            SELECT company_id,
                   CASE type WHEN 'customers' THEN 1 WHEN 'products' THEN 2 WHEN 'sales' THEN 3
                             WHEN 'events' THEN 4 ELSE 5 END,
                   CASE type WHEN 'customers' THEN 'external_id:' || key ELSE key END,
                   data
            FROM records
            WHERE type IN ('customers', 'products', 'sales', 'events', 'shops')
            ORDER BY rowid;
        DROP TABLE records;
    )sql"},
    {5, "integrations and datasources", R"sql(
        CREATE TABLE integrations (
            id INTEGER PRIMARY KEY,
            company_id INTEGER NOT NULL REFERENCES companies(id),
            name TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        );
        CREATE INDEX integrations_by_company ON integrations (company_id);
        CREATE TABLE datasources (
            id INTEGER PRIMARY KEY,
            company_id INTEGER NOT NULL REFERENCES companies(id),
            integration_id INTEGER NOT NULL REFERENCES integrations(id),
            name TEXT NOT NULL,
            type INTEGER NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        );
        CREATE INDEX datasources_by_company ON datasources (company_id);
    )sql"},
    {6, "audit log", R"sql(
        CREATE TABLE audit_events (
            id INTEGER PRIMARY KEY,
            occurred_at TEXT NOT NULL,
            event TEXT NOT NULL,
            company_id INTEGER REFERENCES companies(id),
            username TEXT NOT NULL DEFAULT '',
            token_id INTEGER,
            method TEXT NOT NULL DEFAULT '',
            outcome TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            client_address TEXT NOT NULL DEFAULT '',
            user_agent TEXT NOT NULL DEFAULT '',
            count INTEGER NOT NULL DEFAULT 1,
            -- Set only on rows that count a token's successful requests in
            -- one minute, so later batches of that minute add to the row.
            aggregate_key TEXT UNIQUE
        );
        CREATE INDEX audit_events_by_time ON audit_events (occurred_at);
        CREATE INDEX audit_events_by_company ON audit_events (company_id, occurred_at);
    )sql"},
    {8, "web sessions of the settings pages", R"sql(
        CREATE TABLE web_sessions (
            id_hash BLOB PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            company_id INTEGER NOT NULL REFERENCES companies(id),
            credential_epoch INTEGER NOT NULL,
            second_factor_pending INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            last_seen_at INTEGER NOT NULL
        );
        CREATE INDEX web_sessions_user ON web_sessions (user_id);
    )sql"},
    {9, "unconfirmed TOTP secret of a web session", R"sql(
        ALTER TABLE web_sessions ADD COLUMN pending_totp_secret BLOB;
    )sql"},
    {10, "server key fingerprint", R"sql(
        CREATE TABLE server_key (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            fingerprint BLOB NOT NULL
        );
    )sql"},
    // seq becomes company_id << 41 | type << 38 | counter, so the rows of one
    // company and type are a range of the table's own B-tree, in insertion
    // order, and data_records_by_seq goes away: every insert used to update
    // it, about a quarter of an insert's work. Each record keeps its old seq
    // as its counter, so cursors handed out before the migration stay valid.
    // The layout lives in sqlite_record_store.cpp. shape is a digest of the
    // record's field names (RecordShape), NULL until a write sets it.
    {11, "sequence numbers that group records by company and type; record shapes", R"sql(
        CREATE TABLE data_records_grouped (
            seq INTEGER PRIMARY KEY,
            company_id INTEGER NOT NULL REFERENCES companies(id),
            type INTEGER NOT NULL,
            key TEXT,
            shape BLOB,
            data TEXT NOT NULL
        );
        INSERT INTO data_records_grouped (seq, company_id, type, key, data)
            SELECT (company_id << 41) | (type << 38) | seq, company_id, type, key, data
            FROM data_records
            ORDER BY company_id, type, seq;
        DROP TABLE data_records;
        ALTER TABLE data_records_grouped RENAME TO data_records;
        CREATE UNIQUE INDEX data_records_by_key ON data_records (company_id, type, key);
    )sql",
     R"sql(
        SELECT 'record ' || seq || ' (company ' || company_id || ', type ' || type ||
               ') does not fit the new sequence numbers: company ids must be below 4194304 and ' ||
               'sequence numbers below 274877906944'
        FROM data_records
        WHERE company_id NOT BETWEEN 0 AND 4194303 OR type NOT BETWEEN 0 AND 7
              OR seq NOT BETWEEN 0 AND 274877906943
        LIMIT 1
    )sql"},
    // The key leads data_records_by_key. The rows an upload's key seek
    // meets all have its company and type. With those first, each comparison
    // stepped over two equal integers before it reached the key. Now it
    // compares the keys and stops at their first differing byte.
    // A sale's lines are read as a key range, which in that index would
    // include the lines of the same sale id in every other company, so sales
    // (type 3) get an index of their own by company and key.
    {12, "record keys first in the key index; sales lines by company", R"sql(
        DROP INDEX data_records_by_key;
        CREATE UNIQUE INDEX data_records_by_key ON data_records (key, company_id, type);
        CREATE INDEX data_records_sale_lines ON data_records (company_id, key) WHERE type = 3;
    )sql"},
};

}  // namespace

void apply_migrations(Connection& connection, std::int64_t last_version) {
    connection.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY,"
        " description TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))");

    // A database that a newer openbar migrated has tables this version does
    // not know how to keep consistent, so this version does not touch it.
    std::int64_t newest_known = std::end(migrations)[-1].version;
    std::int64_t newest_applied = 0;
    {
        // Scoped, because a statement left open would lock the table for the migrations.
        auto newest = connection.prepare("SELECT max(version) FROM schema_migrations");
        if (newest.step() && !newest.is_null(0)) newest_applied = newest.int64_at(0);
    }
    if (newest_applied > newest_known) {
        throw StoreError(StoreError::Kind::unavailable,
                         "the database was migrated by a newer openbar (schema version " +
                             std::to_string(newest_applied) + ", this version knows up to " +
                             std::to_string(newest_known) + "); run that version or a newer one");
    }

    for (const Migration& migration : migrations) {
        if (migration.version > last_version) break;
        WriteTransaction transaction(connection);
        auto applied = connection.prepare("SELECT 1 FROM schema_migrations WHERE version = ?");
        applied.bind(1, migration.version);
        bool already = applied.step();
        if (already) {
            continue;
        }
        if (migration.precondition) {
            auto blocker = connection.prepare(migration.precondition);
            if (blocker.step()) {
                throw StoreError(StoreError::Kind::unavailable,
                                 "database migration " + std::to_string(migration.version) +
                                     " cannot run: " + blocker.text_at(0));
            }
        }
        connection.execute(migration.sql);
        connection.prepare("INSERT INTO schema_migrations (version, description) VALUES (?, ?)")
            .bind(1, migration.version)
            .bind(2, migration.description)
            .run();
        transaction.commit();
        spdlog::info("applied database migration {}: {}", migration.version, migration.description);
    }
}

}  // namespace openbar::store::sqlite
