#include "store/sqlite/sqlite_store.hpp"

#include <algorithm>

namespace openbar::store::sqlite {
namespace {

constexpr const char* select_user_columns =
    "SELECT id, company_id, username, password_hash, credential_epoch, active FROM users ";

User read_user(Statement& statement, int first_column = 0) {
    User user;
    user.id = statement.int64_at(first_column);
    user.company_id = statement.int64_at(first_column + 1);
    user.username = statement.text_at(first_column + 2);
    user.password_hash = statement.text_at(first_column + 3);
    user.credential_epoch = statement.int64_at(first_column + 4);
    user.active = statement.int64_at(first_column + 5) != 0;
    return user;
}

AccessTokenRecord read_token(Statement& statement) {
    AccessTokenRecord token;
    token.id = statement.int64_at(0);
    token.user_id = statement.int64_at(1);
    token.sealed = statement.blob_at(2);
    token.created_at = statement.text_at(3);
    token.last_used_at = statement.optional_text_at(4);
    token.last_used_address = statement.optional_text_at(5);
    return token;
}

// Opens the change counter beside the database file, named after the path
// SQLite resolved (absolute, symbolic links followed, a file: URI decoded),
// so processes that name the database differently still share one counter.
// No other process can open a database without a file (in memory or
// temporary), so a counter private to this process serves it.
// NOTE: two hard links to one database file still get two counters.
std::unique_ptr<SharedCounter> counter_for(ConnectionPool& pool) {
    auto connection = pool.lease();
    const char* file = sqlite3_db_filename(connection->handle(), "main");
    if (file == nullptr || *file == '\0') {
        return std::make_unique<SharedCounter>();
    }
    return std::make_unique<SharedCounter>(std::string(file) + "-generation");
}

}  // namespace

SqliteStore::SqliteStore(std::string path)
    : pool_(path),
      credential_changes_(counter_for(pool_)),
      records_(pool_),
      web_sessions_(pool_),
      totp_(pool_, *credential_changes_),
      audit_(pool_),
      integrations_(pool_) {}

void SqliteStore::ping() {
    auto connection = pool_.lease();
    auto statement = connection->prepare("SELECT count(*) FROM schema_migrations");
    statement.step();
}

std::optional<Bytes> SqliteStore::key_fingerprint() {
    auto connection = pool_.lease();
    auto statement = connection->prepare("SELECT fingerprint FROM server_key WHERE id = 1");
    if (!statement.step()) return std::nullopt;
    return statement.blob_at(0);
}

void SqliteStore::set_key_fingerprint(std::span<const std::uint8_t> fingerprint) {
    auto connection = pool_.lease();
    connection->prepare("INSERT INTO server_key (id, fingerprint) VALUES (1, ?) ON CONFLICT (id) DO NOTHING")
        .bind(1, fingerprint)
        .run();
}

std::optional<Company> SqliteStore::find_company(std::string_view name) {
    auto connection = pool_.lease();
    auto statement = connection->prepare("SELECT id, name FROM companies WHERE name = ?");
    statement.bind(1, name);
    if (!statement.step()) return std::nullopt;
    return Company{statement.int64_at(0), statement.text_at(1)};
}

Company SqliteStore::create_company(std::string_view name) {
    SharedCounter::IncrementOnExit announce(*credential_changes_);
    auto connection = pool_.lease();
    connection->prepare("INSERT INTO companies (name) VALUES (?)").bind(1, name).run();
    return Company{connection->last_insert_rowid(), std::string(name)};
}

std::optional<User> SqliteStore::find_user(std::int64_t company_id, std::string_view username) {
    static const std::string sql = std::string(select_user_columns) + "WHERE company_id = ? AND username = ?";
    auto connection = pool_.lease();
    auto statement = connection->prepare(sql.c_str());
    statement.bind(1, company_id).bind(2, username);
    if (!statement.step()) return std::nullopt;
    return read_user(statement);
}

User SqliteStore::create_user(std::int64_t company_id, std::string_view username, std::string_view password_hash) {
    SharedCounter::IncrementOnExit announce(*credential_changes_);
    auto connection = pool_.lease();
    connection->prepare("INSERT INTO users (company_id, username, password_hash) VALUES (?, ?, ?)")
        .bind(1, company_id)
        .bind(2, username)
        .bind(3, password_hash)
        .run();
    User user;
    user.id = connection->last_insert_rowid();
    user.company_id = company_id;
    user.username = std::string(username);
    user.password_hash = std::string(password_hash);
    return user;
}

void SqliteStore::set_password_hash(std::int64_t user_id, std::string_view password_hash) {
    SharedCounter::IncrementOnExit announce(*credential_changes_);
    auto connection = pool_.lease();
    connection
        ->prepare("UPDATE users SET password_hash = ?, credential_epoch = credential_epoch + 1 WHERE id = ?")
        .bind(1, password_hash)
        .bind(2, user_id)
        .run();
    if (connection->changes() == 0) {
        throw StoreError(StoreError::Kind::not_found, "user not found");
    }
}

bool SqliteStore::set_user_active(std::int64_t user_id, bool active) {
    SharedCounter::IncrementOnExit announce(*credential_changes_);
    auto connection = pool_.lease();
    WriteTransaction transaction(*connection);
    bool was_active = false;
    {
        auto current = connection->prepare("SELECT active FROM users WHERE id = ?");
        current.bind(1, user_id);
        if (!current.step()) {
            throw StoreError(StoreError::Kind::not_found, "user not found");
        }
        was_active = current.int64_at(0) != 0;
    }
    if (was_active == active) {
        return false;
    }
    connection->prepare("UPDATE users SET active = ?, credential_epoch = credential_epoch + 1 WHERE id = ?")
        .bind(1, std::int64_t{active ? 1 : 0})
        .bind(2, user_id)
        .run();
    transaction.commit();
    return true;
}

std::optional<TokenOwner> SqliteStore::find_token_owner(std::int64_t company_id,
                                                        std::span<const std::uint8_t> lookup_hash) {
    auto connection = pool_.lease();
    auto statement = connection->prepare(
        "SELECT t.id, t.lookup_hash, u.id, u.company_id, u.username, '', u.credential_epoch, u.active "
        "FROM access_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.lookup_hash = ? AND t.company_id = ?");
    statement.bind(1, lookup_hash).bind(2, company_id);
    if (!statement.step()) return std::nullopt;
    TokenOwner owner;
    owner.token_id = statement.int64_at(0);
    // The query matched the 32 bytes it was given, so the stored hash has that size.
    Bytes stored_hash = statement.blob_at(1);
    if (stored_hash.size() != owner.lookup_hash.size()) return std::nullopt;
    std::copy(stored_hash.begin(), stored_hash.end(), owner.lookup_hash.begin());
    owner.user = read_user(statement, 2);
    return owner;
}

std::optional<AccessTokenRecord> SqliteStore::find_current_token(Connection& connection, std::int64_t user_id) {
    auto statement = connection.prepare(
        "SELECT id, user_id, sealed, created_at, last_used_at, last_used_address FROM access_tokens "
        "WHERE user_id = ?");
    statement.bind(1, user_id);
    if (!statement.step()) return std::nullopt;
    return read_token(statement);
}

std::optional<AccessTokenRecord> SqliteStore::find_current_token(std::int64_t user_id) {
    auto connection = pool_.lease();
    return find_current_token(*connection, user_id);
}

AccessTokenRecord SqliteStore::create_token_if_missing(std::int64_t user_id, std::span<const std::uint8_t> lookup_hash,
                                                       const Bytes& sealed) {
    SharedCounter::IncrementOnExit announce(*credential_changes_);
    auto connection = pool_.lease();
    WriteTransaction transaction(*connection);
    connection
        ->prepare(
            "INSERT INTO access_tokens (user_id, company_id, lookup_hash, sealed) "
            "SELECT id, company_id, ?, ? FROM users WHERE id = ? "
            "ON CONFLICT (user_id) DO NOTHING")
        .bind(1, lookup_hash)
        .bind(2, std::span<const std::uint8_t>(sealed))
        .bind(3, user_id)
        .run();
    auto token = find_current_token(*connection, user_id);
    transaction.commit();
    if (!token) {
        throw StoreError(StoreError::Kind::not_found, "user not found");
    }
    return *token;
}

AccessTokenRecord SqliteStore::replace_token(std::int64_t user_id, std::span<const std::uint8_t> lookup_hash,
                                             const Bytes& sealed) {
    SharedCounter::IncrementOnExit announce(*credential_changes_);
    auto connection = pool_.lease();
    WriteTransaction transaction(*connection);
    connection->prepare("DELETE FROM access_tokens WHERE user_id = ?").bind(1, user_id).run();
    connection
        ->prepare(
            "INSERT INTO access_tokens (user_id, company_id, lookup_hash, sealed) "
            "SELECT id, company_id, ?, ? FROM users WHERE id = ?")
        .bind(1, lookup_hash)
        .bind(2, std::span<const std::uint8_t>(sealed))
        .bind(3, user_id)
        .run();
    auto token = find_current_token(*connection, user_id);
    if (!token) {
        throw StoreError(StoreError::Kind::not_found, "user not found");
    }
    transaction.commit();
    return *token;
}

}  // namespace openbar::store::sqlite
