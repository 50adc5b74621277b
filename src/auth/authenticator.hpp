#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "auth/access_token_service.hpp"
#include "auth/password_hasher.hpp"
#include "auth/principal.hpp"
#include "auth/totp_service.hpp"
#include "auth/worker_pool.hpp"
#include "store/store.hpp"

namespace openbar::auth {

// Why authentication did not produce a principal.
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
};

struct AuthResult {
    std::optional<Principal> principal;
    AuthFailure failure = AuthFailure::none;
    std::string reason;                    // safe to show; never contains credentials
    std::chrono::seconds retry_after{0};   // for throttled and overloaded
};

// The parts of a request that authentication reads. Values are copied so
// the work can continue on a hashing thread.
struct AuthRequest {
    store::Company company;
    std::vector<std::string> authorization;  // every Authorization header value
    std::vector<std::string> totp_codes;     // every Custobar-TOTP-Code header value
    std::string client_address;
    std::string user_agent;
};

// Decides who is calling. Token credentials are checked inline; passwords
// are verified on the hashing pool, so `done` may run on another thread.
class Authenticator {
public:
    Authenticator(store::Store& store, AccessTokenService& tokens, const PasswordHasher& hasher, WorkerPool& hash_pool,
                  TotpService& totp)
        : store_(store), tokens_(tokens), hasher_(hasher), hash_pool_(hash_pool), totp_(totp) {}

    void authenticate(AuthRequest request, std::function<void(AuthResult)> done);

private:
    AuthResult authenticate_token(const AuthRequest& request, std::string_view token, AuthMethod method);
    AuthResult verify_password(const AuthRequest& request, const std::string& username, const std::string& password);

    // The second factor, checked after the password and only for password
    // logins: token credentials never need a TOTP code.
    AuthResult check_second_factor(const AuthRequest& request, Principal principal);

    store::Store& store_;
    AccessTokenService& tokens_;
    const PasswordHasher& hasher_;
    WorkerPool& hash_pool_;
    TotpService& totp_;
};

}  // namespace openbar::auth
