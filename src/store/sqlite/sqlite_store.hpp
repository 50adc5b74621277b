#pragma once

#include <memory>
#include <string>

#include "store/sqlite/connection_pool.hpp"
#include "store/sqlite/shared_counter.hpp"
#include "store/sqlite/sqlite_audit_store.hpp"
#include "store/sqlite/sqlite_integration_store.hpp"
#include "store/sqlite/sqlite_record_store.hpp"
#include "store/sqlite/sqlite_web_session_store.hpp"
#include "store/sqlite/sqlite_totp_store.hpp"
#include "store/store.hpp"

namespace openbar::store::sqlite {

// Store backed by one SQLite file in WAL mode.
class SqliteStore final : public Store {
public:
    explicit SqliteStore(std::string path);

    void ping() override;
    std::optional<Bytes> key_fingerprint() override;
    void set_key_fingerprint(std::span<const std::uint8_t> fingerprint) override;

    std::uint64_t credential_generation() const override { return credential_changes_->load(); }

    std::optional<Company> find_company(std::string_view name) override;
    Company create_company(std::string_view name) override;

    std::optional<User> find_user(std::int64_t company_id, std::string_view username) override;
    User create_user(std::int64_t company_id, std::string_view username, std::string_view password_hash) override;
    void set_password_hash(std::int64_t user_id, std::string_view password_hash) override;
    bool set_user_active(std::int64_t user_id, bool active) override;

    std::optional<TokenOwner> find_token_owner(std::int64_t company_id,
                                               std::span<const std::uint8_t> lookup_hash) override;
    std::optional<AccessTokenRecord> find_current_token(std::int64_t user_id) override;
    AccessTokenRecord create_token_if_missing(std::int64_t user_id, std::span<const std::uint8_t> lookup_hash,
                                              const Bytes& sealed) override;
    AccessTokenRecord replace_token(std::int64_t user_id, std::span<const std::uint8_t> lookup_hash,
                                    const Bytes& sealed) override;

    RecordStore& records() override { return records_; }
    WebSessionStore& web_sessions() override { return web_sessions_; }
    TotpStore& totp() override { return totp_; }
    AuditStore& audit() override { return audit_; }
    IntegrationStore& integrations() override { return integrations_; }

private:
    std::optional<AccessTokenRecord> find_current_token(Connection& connection, std::int64_t user_id);

    ConnectionPool pool_;
    std::unique_ptr<SharedCounter> credential_changes_;
    SqliteRecordStore records_;
    SqliteWebSessionStore web_sessions_;
    SqliteTotpStore totp_;
    SqliteAuditStore audit_;
    SqliteIntegrationStore integrations_;
};

}  // namespace openbar::store::sqlite
