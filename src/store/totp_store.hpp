#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace openbar::store {

// A user's TOTP enrolment. The secret is sealed with the server key, so the
// database holds only ciphertext.
struct TotpCredential {
    std::int64_t user_id = 0;
    std::vector<std::uint8_t> sealed_secret;
    // The last time step whose code was accepted, or -1 before the first.
    std::int64_t last_step = -1;
    std::string enabled_at;
    std::size_t unused_recovery_codes = 0;
};

enum class RecoveryCodeUse { accepted, already_used, unknown };

// TOTP secrets, replay state and recovery codes. Enabling and disabling
// change the user's credential epoch in the same transaction.
class TotpStore {
public:
    virtual ~TotpStore() = default;

    virtual std::optional<TotpCredential> find_totp(std::int64_t user_id) = 0;

    // Stores the sealed secret and the recovery code hashes, replacing any
    // earlier enrolment, and increments the user's credential epoch.
    // Throws StoreError(not_found) when the user does not exist.
    virtual void enable_totp(std::int64_t user_id, std::span<const std::uint8_t> sealed_secret,
                             const std::vector<std::vector<std::uint8_t>>& recovery_code_hashes) = 0;

    // Removes the enrolment and its recovery codes and increments the
    // credential epoch. Returns false, changing nothing, when TOTP was not
    // enabled.
    virtual bool disable_totp(std::int64_t user_id) = 0;

    // Records `step` as the last accepted time step if it is later than the
    // stored one. The check and the write are one conditional UPDATE, so of
    // two requests carrying the same code only one gets true.
    virtual bool advance_totp_step(std::int64_t user_id, std::int64_t step) = 0;

    // Marks the recovery code with this hash as used, if it is unused. The
    // check and the write are one conditional UPDATE.
    virtual RecoveryCodeUse use_recovery_code(std::int64_t user_id, std::span<const std::uint8_t> code_hash) = 0;
};

}  // namespace openbar::store
