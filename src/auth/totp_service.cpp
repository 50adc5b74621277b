#include "auth/totp_service.hpp"

#include <sodium.h>

namespace openbar::auth {

std::array<std::uint8_t, 32> recovery_code_hash(const KeyRing& keys, std::int64_t user_id, std::string_view canonical) {
    std::string message = "openbar-totp-recovery:" + std::to_string(user_id) + ":" + std::string(canonical);
    auto hash = keys.lookup_hash(message);
    sodium_memzero(message.data(), message.size());
    return hash;
}

TotpService::TotpService(store::Store& store, const KeyRing& keys, TotpVerifier verifier,
                         BackoffPolicy throttle_policy, std::size_t max_throttled_users)
    : store_(store), keys_(keys), verifier_(std::move(verifier)), throttle_(throttle_policy, max_throttled_users) {}

std::vector<std::string> TotpService::enable(std::int64_t user_id, std::string_view secret) {
    std::vector<std::string> codes;
    std::vector<std::vector<std::uint8_t>> hashes;
    while (codes.size() < recovery::codes_per_user) {
        std::string code = recovery::generate_code();
        auto hash = recovery_code_hash(keys_, user_id, *recovery::normalize(code));
        codes.push_back(std::move(code));
        hashes.emplace_back(hash.begin(), hash.end());
    }
    store_.totp().enable_totp(user_id, keys_.seal(secret), hashes);
    return codes;
}

bool TotpService::disable(std::int64_t user_id) {
    return store_.totp().disable_totp(user_id);
}

TotpOutcome TotpService::check(std::int64_t user_id, const std::vector<std::string>& codes) {
    auto credential = store_.totp().find_totp(user_id);
    if (!credential) {
        return {TotpOutcome::Kind::not_enrolled};
    }
    if (codes.empty()) {
        return {TotpOutcome::Kind::required};
    }

    // Six digits leave 10^6 codes, three of them valid at any time: without
    // a lockout, someone holding the password could guess one in hours.
    std::string throttle_key = std::to_string(user_id);
    if (auto wait = throttle_.locked_for(throttle_key); wait.count() > 0) {
        return {TotpOutcome::Kind::throttled, wait};
    }

    TotpOutcome outcome{verify(user_id, *credential, codes)};
    if (outcome.kind == TotpOutcome::Kind::accepted) {
        throttle_.record_success(throttle_key);
    } else {
        outcome.throttling_started = throttle_.record_failure(throttle_key);
    }
    return outcome;
}

TotpOutcome::Kind TotpService::verify(std::int64_t user_id, const store::TotpCredential& credential,
                                      const std::vector<std::string>& codes) {
    // A repeated header is ambiguous (which value counts?), so it never matches.
    if (codes.size() != 1) {
        return TotpOutcome::Kind::invalid;
    }
    const std::string& value = codes.front();

    if (totp::is_well_formed_code(value)) {
        std::string secret = keys_.open(credential.sealed_secret);
        auto steps = verifier_.matching_steps(secret, value);
        sodium_memzero(secret.data(), secret.size());
        if (steps.empty()) {
            return TotpOutcome::Kind::invalid;
        }
        // RFC 6238 section 5.2: each time step is accepted at most once, and
        // only after the last accepted one. Oldest first, so a code that
        // matches two steps uses up the earlier one.
        for (std::int64_t step : steps) {
            if (store_.totp().advance_totp_step(user_id, step)) {
                return TotpOutcome::Kind::accepted;
            }
        }
        return TotpOutcome::Kind::reused;
    }

    if (auto canonical = recovery::normalize(value)) {
        auto hash = recovery_code_hash(keys_, user_id, *canonical);
        sodium_memzero(canonical->data(), canonical->size());
        switch (store_.totp().use_recovery_code(user_id, hash)) {
            case store::RecoveryCodeUse::accepted: return TotpOutcome::Kind::accepted;
            case store::RecoveryCodeUse::already_used: return TotpOutcome::Kind::reused;
            case store::RecoveryCodeUse::unknown: return TotpOutcome::Kind::invalid;
        }
    }
    return TotpOutcome::Kind::invalid;
}

}  // namespace openbar::auth
