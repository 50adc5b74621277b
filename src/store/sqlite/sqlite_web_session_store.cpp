#include "store/sqlite/sqlite_web_session_store.hpp"

namespace openbar::store::sqlite {

void SqliteWebSessionStore::create_session(std::span<const std::uint8_t> id_hash, const NewWebSession& session) {
    auto connection = pool_.lease();
    connection
        ->prepare(
            "INSERT INTO web_sessions (id_hash, user_id, company_id, credential_epoch, second_factor_pending, "
            "created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(1, id_hash)
        .bind(2, session.user_id)
        .bind(3, session.company_id)
        .bind(4, session.credential_epoch)
        .bind(5, std::int64_t{session.second_factor_pending ? 1 : 0})
        .bind(6, session.now)
        .bind(7, session.now)
        .run();
}

std::optional<WebSession> SqliteWebSessionStore::find_session(std::span<const std::uint8_t> id_hash) {
    auto connection = pool_.lease();
    auto statement = connection->prepare(
        "SELECT s.user_id, s.company_id, u.username, s.credential_epoch, s.second_factor_pending, s.created_at, "
        "s.last_seen_at, s.pending_totp_secret FROM web_sessions s JOIN users u ON u.id = s.user_id AND u.company_id = s.company_id "
        "WHERE s.id_hash = ?");
    statement.bind(1, id_hash);
    if (!statement.step()) return std::nullopt;
    WebSession session;
    session.user_id = statement.int64_at(0);
    session.company_id = statement.int64_at(1);
    session.username = statement.text_at(2);
    session.credential_epoch = statement.int64_at(3);
    session.second_factor_pending = statement.int64_at(4) != 0;
    session.created_at = statement.int64_at(5);
    session.last_seen_at = statement.int64_at(6);
    if (!statement.is_null(7)) session.pending_totp_secret = statement.blob_at(7);
    return session;
}

void SqliteWebSessionStore::touch_session(std::span<const std::uint8_t> id_hash, std::int64_t now) {
    auto connection = pool_.lease();
    connection->prepare("UPDATE web_sessions SET last_seen_at = ? WHERE id_hash = ? AND last_seen_at < ?")
        .bind(1, now)
        .bind(2, id_hash)
        .bind(3, now)
        .run();
}

void SqliteWebSessionStore::delete_session(std::span<const std::uint8_t> id_hash) {
    auto connection = pool_.lease();
    connection->prepare("DELETE FROM web_sessions WHERE id_hash = ?").bind(1, id_hash).run();
}

void SqliteWebSessionStore::set_pending_totp_secret(std::span<const std::uint8_t> id_hash,
                                                    const std::optional<std::vector<std::uint8_t>>& sealed_secret) {
    auto connection = pool_.lease();
    auto statement = connection->prepare("UPDATE web_sessions SET pending_totp_secret = ? WHERE id_hash = ?");
    if (sealed_secret) {
        statement.bind(1, std::span<const std::uint8_t>(*sealed_secret));
    } else {
        statement.bind_null(1);
    }
    statement.bind(2, id_hash).run();
}

void SqliteWebSessionStore::delete_user_sessions(std::int64_t user_id) {
    auto connection = pool_.lease();
    connection->prepare("DELETE FROM web_sessions WHERE user_id = ?").bind(1, user_id).run();
}

std::int64_t SqliteWebSessionStore::delete_expired_sessions(std::int64_t idle_before, std::int64_t created_before) {
    auto connection = pool_.lease();
    connection->prepare("DELETE FROM web_sessions WHERE last_seen_at < ? OR created_at < ?")
        .bind(1, idle_before)
        .bind(2, created_before)
        .run();
    return connection->changes();
}

}  // namespace openbar::store::sqlite
