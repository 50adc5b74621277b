#include "auth/authenticator.hpp"

#include <sodium.h>

#include <memory>

#include "auth/authorization_header.hpp"

namespace openbar::auth {
namespace {

AuthResult failure(AuthFailure kind, std::string reason) {
    AuthResult result;
    result.failure = kind;
    result.reason = std::move(reason);
    return result;
}

AuthResult invalid_credentials() {
    // One message for unknown users, wrong passwords and unknown tokens, so
    // a response never tells which part was wrong.
    return failure(AuthFailure::invalid_credentials, "invalid credentials");
}

}  // namespace

std::string_view to_string(AuthMethod method) {
    switch (method) {
        case AuthMethod::token: return "token";
        case AuthMethod::basic: return "basic";
        case AuthMethod::access_token: return "access-token";
    }
    return "unknown";
}

void Authenticator::authenticate(AuthRequest request, std::function<void(AuthResult)> done) {
    if (request.authorization.empty()) {
        done(failure(AuthFailure::missing_credentials, "authentication credentials were not provided"));
        return;
    }
    if (request.authorization.size() > 1) {
        done(failure(AuthFailure::duplicate_header, "send exactly one Authorization header"));
        return;
    }

    ParsedAuthorization parsed = parse_authorization(request.authorization.front());
    if (auto* malformed = std::get_if<MalformedAuthorization>(&parsed)) {
        done(failure(AuthFailure::malformed_credentials, malformed->reason));
        return;
    }
    if (auto* token = std::get_if<TokenCredentials>(&parsed)) {
        done(authenticate_token(request, token->token, AuthMethod::token));
        return;
    }

    auto& basic = std::get<BasicCredentials>(parsed);
    if (basic.user_id == access_token_user_id) {
        AuthResult result = authenticate_token(request, basic.password, AuthMethod::access_token);
        sodium_memzero(basic.password.data(), basic.password.size());
        done(std::move(result));
        return;
    }

    // Argon2id takes tens of milliseconds: verify on the hashing pool.
    auto shared_request = std::make_shared<AuthRequest>(std::move(request));
    auto credentials = std::make_shared<BasicCredentials>(std::move(basic));
    bool queued = hash_pool_.try_submit([this, shared_request, credentials, done] {
        AuthResult result = verify_password(*shared_request, credentials->user_id, credentials->password);
        sodium_memzero(credentials->password.data(), credentials->password.size());
        done(std::move(result));
    });
    if (!queued) {
        AuthResult result = failure(AuthFailure::overloaded, "the server is busy verifying passwords; retry shortly");
        result.retry_after = std::chrono::seconds(1);
        done(std::move(result));
    }
}

AuthResult Authenticator::authenticate_token(const AuthRequest& request, std::string_view token, AuthMethod method) {
    auto owner = tokens_.find_owner(request.company.id, token);
    if (!owner || !owner->user.active) {
        return invalid_credentials();
    }
    AuthResult result;
    result.principal = Principal{request.company, std::move(owner->user), method, owner->token_id};
    return result;
}

AuthResult Authenticator::verify_password(const AuthRequest& request, const std::string& username,
                                          const std::string& password) {
    auto user = store_.find_user(request.company.id, username);
    // An unknown user is verified against a dummy hash so that it costs the
    // same time as a wrong password.
    bool valid = hasher_.verify(password, user ? std::string_view(user->password_hash) : std::string_view{});
    if (!valid || !user || !user->active) {
        return invalid_credentials();
    }
    return check_second_factor(request, Principal{request.company, std::move(*user), AuthMethod::basic, std::nullopt});
}

AuthResult Authenticator::check_second_factor(const AuthRequest& request, Principal principal) {
    TotpOutcome outcome = totp_.check(principal.user.id, request.totp_codes);
    switch (outcome.kind) {
        case TotpOutcome::Kind::not_enrolled:
        case TotpOutcome::Kind::accepted: {
            AuthResult result;
            result.principal = std::move(principal);
            return result;
        }
        case TotpOutcome::Kind::required:
            return failure(AuthFailure::totp_required,
                           "this user has two-factor authentication enabled: send the current code in the "
                           "Custobar-TOTP-Code header, or use token authentication");
        case TotpOutcome::Kind::invalid:
            return failure(AuthFailure::totp_invalid, "the two-factor authentication code is invalid");
        case TotpOutcome::Kind::reused:
            return failure(AuthFailure::totp_reused,
                           "this two-factor authentication code was already used; wait for the next code");
        case TotpOutcome::Kind::throttled: {
            AuthResult result = failure(AuthFailure::throttled,
                                        "too many failed two-factor authentication codes for this user; retry later");
            result.retry_after = outcome.retry_after;
            return result;
        }
    }
    return failure(AuthFailure::totp_invalid, "the two-factor authentication code is invalid");
}

}  // namespace openbar::auth
