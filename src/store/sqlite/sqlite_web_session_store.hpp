#pragma once

#include "store/sqlite/connection_pool.hpp"
#include "store/web_session_store.hpp"

namespace openbar::store::sqlite {

class SqliteWebSessionStore final : public WebSessionStore {
public:
    explicit SqliteWebSessionStore(ConnectionPool& pool) : pool_(pool) {}

    void create_session(std::span<const std::uint8_t> id_hash, const NewWebSession& session) override;
    std::optional<WebSession> find_session(std::span<const std::uint8_t> id_hash) override;
    void touch_session(std::span<const std::uint8_t> id_hash, std::int64_t now) override;
    void delete_session(std::span<const std::uint8_t> id_hash) override;
    void set_pending_totp_secret(std::span<const std::uint8_t> id_hash,
                                 const std::optional<std::vector<std::uint8_t>>& sealed_secret) override;
    void delete_user_sessions(std::int64_t user_id) override;
    std::int64_t delete_expired_sessions(std::int64_t idle_before, std::int64_t created_before) override;

private:
    ConnectionPool& pool_;
};

}  // namespace openbar::store::sqlite
