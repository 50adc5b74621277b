#include "store/sqlite/sqlite_totp_store.hpp"

#include "store/store.hpp"

namespace openbar::store::sqlite {

std::optional<TotpCredential> SqliteTotpStore::find_totp(std::int64_t user_id) {
    auto connection = pool_.lease();
    auto statement = connection->prepare(
        "SELECT t.sealed_secret, t.last_step, t.enabled_at, "
        "(SELECT count(*) FROM totp_recovery_codes r WHERE r.user_id = t.user_id AND r.used_at IS NULL) "
        "FROM totp_credentials t WHERE t.user_id = ?");
    statement.bind(1, user_id);
    if (!statement.step()) return std::nullopt;
    TotpCredential credential;
    credential.user_id = user_id;
    credential.sealed_secret = statement.blob_at(0);
    credential.last_step = statement.int64_at(1);
    credential.enabled_at = statement.text_at(2);
    credential.unused_recovery_codes = static_cast<std::size_t>(statement.int64_at(3));
    return credential;
}

void SqliteTotpStore::enable_totp(std::int64_t user_id, std::span<const std::uint8_t> sealed_secret,
                                  const std::vector<std::vector<std::uint8_t>>& recovery_code_hashes) {
    SharedCounter::IncrementOnExit announce(credential_changes_);
    auto connection = pool_.lease();
    WriteTransaction transaction(*connection);
    connection->prepare("UPDATE users SET credential_epoch = credential_epoch + 1 WHERE id = ?").bind(1, user_id).run();
    if (connection->changes() == 0) {
        throw StoreError(StoreError::Kind::not_found, "user not found");
    }
    connection->prepare("DELETE FROM totp_recovery_codes WHERE user_id = ?").bind(1, user_id).run();
    connection
        ->prepare(
            "INSERT INTO totp_credentials (user_id, sealed_secret) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, last_step = -1, "
            "enabled_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')")
        .bind(1, user_id)
        .bind(2, sealed_secret)
        .run();
    for (const auto& hash : recovery_code_hashes) {
        connection->prepare("INSERT INTO totp_recovery_codes (user_id, code_hash) VALUES (?, ?)")
            .bind(1, user_id)
            .bind(2, std::span<const std::uint8_t>(hash))
            .run();
    }
    transaction.commit();
}

bool SqliteTotpStore::disable_totp(std::int64_t user_id) {
    SharedCounter::IncrementOnExit announce(credential_changes_);
    auto connection = pool_.lease();
    WriteTransaction transaction(*connection);
    connection->prepare("DELETE FROM totp_credentials WHERE user_id = ?").bind(1, user_id).run();
    if (connection->changes() == 0) {
        return false;
    }
    connection->prepare("DELETE FROM totp_recovery_codes WHERE user_id = ?").bind(1, user_id).run();
    connection->prepare("UPDATE users SET credential_epoch = credential_epoch + 1 WHERE id = ?").bind(1, user_id).run();
    transaction.commit();
    return true;
}

bool SqliteTotpStore::advance_totp_step(std::int64_t user_id, std::int64_t step) {
    // RFC 6238 section 5.2: a code must not be accepted twice. The WHERE
    // clause makes check and write atomic: SQLite serialises writers, so a
    // second request with the same step matches no row.
    auto connection = pool_.lease();
    connection->prepare("UPDATE totp_credentials SET last_step = ? WHERE user_id = ? AND last_step < ?")
        .bind(1, step)
        .bind(2, user_id)
        .bind(3, step)
        .run();
    return connection->changes() == 1;
}

RecoveryCodeUse SqliteTotpStore::use_recovery_code(std::int64_t user_id, std::span<const std::uint8_t> code_hash) {
    auto connection = pool_.lease();
    connection
        ->prepare(
            "UPDATE totp_recovery_codes SET used_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
            "WHERE user_id = ? AND code_hash = ? AND used_at IS NULL")
        .bind(1, user_id)
        .bind(2, code_hash)
        .run();
    if (connection->changes() == 1) {
        return RecoveryCodeUse::accepted;
    }
    auto statement = connection->prepare("SELECT 1 FROM totp_recovery_codes WHERE user_id = ? AND code_hash = ?");
    statement.bind(1, user_id).bind(2, code_hash);
    return statement.step() ? RecoveryCodeUse::already_used : RecoveryCodeUse::unknown;
}

}  // namespace openbar::store::sqlite
