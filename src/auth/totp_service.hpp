#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/failure_throttle.hpp"
#include "auth/key_ring.hpp"
#include "auth/totp.hpp"
#include "store/store.hpp"

namespace openbar::auth {

// The result of checking the Custobar-TOTP-Code header of one request.
struct TotpOutcome {
    enum class Kind {
        not_enrolled,  // the user has no TOTP: nothing to check
        accepted,
        required,      // enrolled, but the request carried no code
        invalid,       // wrong or malformed code, or the header repeated
        reused,        // right code for a time step already used
        throttled,     // too many failed codes for this user
    };
    Kind kind = Kind::not_enrolled;
    std::chrono::seconds retry_after{0};  // for throttled
    bool throttling_started = false;      // this failure locked the user out of codes
};

// Enrols users in TOTP and checks their codes. Secrets are sealed with the
// server key; recovery codes are stored only as keyed hashes.
class TotpService {
public:
    TotpService(store::Store& store, const KeyRing& keys, TotpVerifier verifier, BackoffPolicy throttle_policy,
                std::size_t max_throttled_users);

    // Enrols the user with `secret` (raw bytes), replacing any earlier
    // enrolment, and returns the new recovery codes. They are shown once:
    // only their hashes are stored.
    std::vector<std::string> enable(std::int64_t user_id, std::string_view secret);

    // Removes the enrolment; returns false when there was none.
    bool disable(std::int64_t user_id);

    // Checks the code values of a request for a user whose password was
    // right. An enrolled user needs exactly one value: a 6-digit code for a
    // time step later than the last one accepted, or an unused recovery code.
    TotpOutcome check(std::int64_t user_id, const std::vector<std::string>& codes);

private:
    TotpOutcome::Kind verify(std::int64_t user_id, const store::TotpCredential& credential,
                             const std::vector<std::string>& codes);

    store::Store& store_;
    const KeyRing& keys_;
    TotpVerifier verifier_;
    BackoffThrottle throttle_;
};

// The keyed hash stored for a recovery code in canonical form; the user id
// is part of the message, so a hash is valid for one user only.
std::array<std::uint8_t, 32> recovery_code_hash(const KeyRing& keys, std::int64_t user_id, std::string_view canonical);

}  // namespace openbar::auth
