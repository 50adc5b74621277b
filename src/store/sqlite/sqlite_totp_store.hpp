#pragma once

#include "store/sqlite/connection_pool.hpp"
#include "store/sqlite/shared_counter.hpp"
#include "store/totp_store.hpp"

namespace openbar::store::sqlite {

class SqliteTotpStore final : public TotpStore {
public:
    SqliteTotpStore(ConnectionPool& pool, SharedCounter& credential_changes)
        : pool_(pool), credential_changes_(credential_changes) {}

    std::optional<TotpCredential> find_totp(std::int64_t user_id) override;
    void enable_totp(std::int64_t user_id, std::span<const std::uint8_t> sealed_secret,
                     const std::vector<std::vector<std::uint8_t>>& recovery_code_hashes) override;
    bool disable_totp(std::int64_t user_id) override;
    bool advance_totp_step(std::int64_t user_id, std::int64_t step) override;
    RecoveryCodeUse use_recovery_code(std::int64_t user_id, std::span<const std::uint8_t> code_hash) override;

private:
    ConnectionPool& pool_;
    SharedCounter& credential_changes_;
};

}  // namespace openbar::store::sqlite
