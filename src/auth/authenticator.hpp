#pragma once

#include <boost/container/small_vector.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/access_token_service.hpp"
#include "auth/auth_counters.hpp"
#include "auth/authorization_header.hpp"
#include "auth/credential_cache.hpp"
#include "auth/failure_throttle.hpp"
#include "auth/password_hasher.hpp"
#include "auth/principal.hpp"
#include "auth/totp_service.hpp"
#include "auth/worker_pool.hpp"
#include "store/store.hpp"

namespace openbar::auth {

// The reason authentication produced no principal.
enum class AuthFailure {
    none,
    missing_credentials,     // no Authorization header
    duplicate_header,        // more than one Authorization header
    malformed_credentials,   // header syntax is wrong
    invalid_credentials,     // unknown user, wrong password or unknown token
    totp_required,
    totp_invalid,
    totp_reused,
    throttled,
    overloaded,              // the password hashing queue is full
    store_unavailable,       // the database failed during an asynchronous check
};

struct AuthResult {
    std::optional<Principal> principal;
    AuthFailure failure = AuthFailure::none;
    std::string reason;                    // safe to show; never contains credentials
    std::chrono::seconds retry_after{0};   // for throttled and overloaded

    // The credentials the client tried, for the audit log. Set on failures too.
    std::optional<AuthMethod> method;      // empty when no credentials could be parsed
    std::string username;                  // the Basic user-id; empty for token methods
    bool throttling_started = false;       // this failure started a lockout (audited)
};

// The parts of a request that authentication reads. Everything but the
// Authorization values is copied, so the work can continue on a hashing
// thread.
struct AuthRequest {
    store::Company company;
    // Every Authorization header value. authenticate() parses them before it
    // returns, so they need to outlive only that call.
    boost::container::small_vector<std::string_view, 1> authorization;
    std::vector<std::string> totp_codes;  // every Custobar-TOTP-Code header value
    std::string client_address;
};

// Limits of Basic username-and-password authentication.
struct PasswordAuthSettings {
    // Consecutive failures per (company, username), known or not.
    BackoffPolicy account_lockout{10, std::chrono::seconds(1), std::chrono::seconds(900)};
    // Failures per client address within the window before that address
    // gets 429 for password attempts.
    std::size_t address_failure_limit = 100;
    std::chrono::seconds address_failure_window{600};
    std::size_t max_throttled_keys = 100000;
    std::chrono::seconds cache_ttl{300};
    std::size_t cache_max_entries = 10000;
};

// Decides who is calling. Token credentials are checked inline. A password
// is checked inline when the verification cache has it, and otherwise on
// the hashing pool, so `done` may run on another thread.
//
// Password throttling applies only to Basic with a username and password:
// an attacker guessing one user's password must not lock out that user's
// integrations, which send the `Token` header or Basic `access-token`.
class Authenticator {
public:
    Authenticator(store::Store& store, AccessTokenService& tokens, const PasswordHasher& hasher, WorkerPool& hash_pool,
                  TotpService& totp, const PasswordAuthSettings& settings = {});

    void authenticate(AuthRequest request, std::function<void(AuthResult&&)> done);

    const AuthCounters& counters() const { return counters_; }

private:
    // A request waiting for the verification of its credentials. Requests
    // with identical credentials that arrive while one verification runs
    // share its result instead of hashing again.
    struct Waiter {
        std::shared_ptr<AuthRequest> request;
        std::function<void(AuthResult&&)> done;
        bool throttling_started = false;  // counting this attempt started a lockout
    };
    // One running verification: the credentials and the user record it
    // checks them against. A request joins it only if it read the same
    // record, so a request that saw a disable or a password change starts
    // its own verification against the new record.
    struct Verification {
        CredentialCache::Key credentials;
        std::int64_t user_id = 0;
        std::int64_t credential_epoch = 0;
        std::size_t password_hash_digest = 0;
        bool operator==(const Verification&) const = default;
    };
    struct VerificationHash {
        std::size_t operator()(const Verification& verification) const;
    };

    AuthResult authenticate_token(const AuthRequest& request, std::string_view token, AuthMethod method);
    void authenticate_password(AuthRequest request, BasicCredentials credentials, std::function<void(AuthResult&&)> done);
    void verify_password(const Verification& verification, const std::string& account_key,
                         const std::optional<store::User>& user, const std::string& password);
    // Counts a failed password; returns true when that started a lockout.
    bool record_password_failure(const std::string& account_key, const std::string& client_address);
    // Takes back a failure counted in advance for an attempt that succeeded
    // or was never verified.
    void refund_password_failure(const std::string& account_key, const std::string& client_address, bool succeeded);

    // The second factor, checked after the password and only for password
    // logins: token credentials never need a TOTP code.
    AuthResult check_second_factor(const AuthRequest& request, Principal principal, bool totp_enrolled,
                                   const CredentialCache::Key& key);

    store::Store& store_;
    AccessTokenService& tokens_;
    const PasswordHasher& hasher_;
    WorkerPool& hash_pool_;
    TotpService& totp_;

    BackoffThrottle account_throttle_;
    WindowThrottle address_throttle_;
    CredentialCache cache_;
    AuthCounters counters_;

    std::mutex in_flight_mutex_;
    std::unordered_map<Verification, std::vector<Waiter>, VerificationHash> in_flight_;
};

}  // namespace openbar::auth
