#include "auth/authenticator.hpp"

#include <sodium.h>

#include <spdlog/spdlog.h>

#include <cstring>
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
    // a response never reveals which part was wrong.
    return failure(AuthFailure::invalid_credentials, "invalid credentials");
}

AuthResult throttled(std::string reason, std::chrono::seconds retry_after) {
    AuthResult result = failure(AuthFailure::throttled, std::move(reason));
    result.retry_after = retry_after;
    return result;
}

// No principal and no failure kind: the pipeline responds with 500.
AuthResult internal_failure() {
    return failure(AuthFailure::none, "authentication failed unexpectedly");
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

Authenticator::Authenticator(store::Store& store, AccessTokenService& tokens, const PasswordHasher& hasher,
                             WorkerPool& hash_pool, TotpService& totp, const PasswordAuthSettings& settings)
    : store_(store),
      tokens_(tokens),
      hasher_(hasher),
      hash_pool_(hash_pool),
      totp_(totp),
      account_throttle_(settings.account_lockout, settings.max_throttled_keys),
      address_throttle_(settings.address_failure_limit, settings.address_failure_window, settings.max_throttled_keys),
      cache_(settings.cache_ttl, settings.cache_max_entries) {}

std::size_t Authenticator::VerificationHash::operator()(const Verification& verification) const {
    // The credentials key is a keyed hash, so its first bytes are uniformly
    // spread already.
    std::size_t value;
    std::memcpy(&value, verification.credentials.data(), sizeof value);
    return value ^ static_cast<std::size_t>(verification.credential_epoch);
}

void Authenticator::authenticate(AuthRequest request, std::function<void(AuthResult&&)> done) {
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
        AuthResult result = authenticate_token(request, token->token, AuthMethod::token);
        result.method = AuthMethod::token;
        done(std::move(result));
        return;
    }

    auto& basic = std::get<BasicCredentials>(parsed);
    if (basic.user_id == access_token_user_id) {
        AuthResult result = authenticate_token(request, basic.password, AuthMethod::access_token);
        sodium_memzero(basic.password.data(), basic.password.size());
        result.method = AuthMethod::access_token;
        done(std::move(result));
        return;
    }

    authenticate_password(std::move(request), std::move(basic), std::move(done));
}

AuthResult Authenticator::authenticate_token(const AuthRequest& request, std::string_view token, AuthMethod method) {
    auto owner = tokens_.find_owner(request.company.id, token);
    if (!owner || !owner->user.active) {
        return invalid_credentials();
    }
    AuthResult result;
    result.principal = Principal{request.company, std::move(owner->user), method, owner->token_id, TokenText(token)};
    return result;
}

void Authenticator::authenticate_password(AuthRequest request_value, BasicCredentials credentials,
                                          std::function<void(AuthResult&&)> done_value) {
    struct PasswordWiper {
        std::string& password;
        ~PasswordWiper() { sodium_memzero(password.data(), password.size()); }
    } wiper{credentials.password};

    // Every result, including the overloaded one, is for this Basic
    // attempt. Results decided here go through `finish`, which copies
    // neither the request nor the callback. Only a verification on the
    // hashing pool moves both to the heap, further down.
    const std::string& username = credentials.user_id;
    auto finish = [&](AuthResult result) {
        result.method = AuthMethod::basic;
        result.username = username;
        done_value(std::move(result));
    };
    const AuthRequest* request = &request_value;

    // Throttling comes first and is keyed by the name as sent, so a locked
    // account gets the same response whether or not the user exists, and
    // costs no hash.
    std::string company_id = std::to_string(request->company.id);
    std::string account_key;
    account_key.reserve(company_id.size() + 1 + username.size());
    account_key.append(company_id).append(":").append(username);
    auto wait = std::max(account_throttle_.locked_for(account_key), address_throttle_.locked_for(request->client_address));
    if (wait.count() > 0) {
        counters_.password_throttled.fetch_add(1, std::memory_order_relaxed);
        finish(throttled("too many failed password attempts; retry later or use token authentication", wait));
        return;
    }

    // The user lookup is one indexed query, and its credential epoch
    // catches changes made by another process, such as the CLI. The cache
    // is searched for unknown and disabled users too (an id of 0 never
    // matches), so a miss costs the same in every case.
    auto key = cache_.key_for(request->company.id, credentials.user_id, credentials.password);
    auto user = store_.find_user(request->company.id, credentials.user_id);
    bool usable = user && user->active;
    std::int64_t user_id = usable ? user->id : 0;
    std::int64_t credential_epoch = usable ? user->credential_epoch : 0;
    std::string_view password_hash = usable ? std::string_view(user->password_hash) : std::string_view{};
    auto hit = cache_.find(key, user_id, credential_epoch, password_hash);
    if (hit) {
        counters_.basic_cache_hits.fetch_add(1, std::memory_order_relaxed);
        account_throttle_.record_success(account_key);
        Principal principal{request->company, std::move(*user), AuthMethod::basic, std::nullopt, {}};
        AuthResult result;
        try {
            result = check_second_factor(*request, std::move(principal), hit->totp_enrolled, key);
        } catch (const store::StoreError&) {
            throw;  // the pipeline responds with 503
        } catch (const std::exception& error) {
            spdlog::error("password authentication for company {} failed: {}", request->company.id, error.what());
            result = internal_failure();
        }
        finish(std::move(result));
        return;
    }

    // From here on the attempt may finish on a hashing thread.
    auto shared_request = std::make_shared<AuthRequest>(std::move(request_value));
    request = shared_request.get();
    std::function<void(AuthResult&&)> done = [done = std::move(done_value), username](AuthResult result) {
        result.method = AuthMethod::basic;
        result.username = username;
        done(std::move(result));
    };

    // Every attempt that needs a hash is counted as a failure before it is
    // verified and taken back if it succeeds. Counting only after the hash
    // would let guesses sent in parallel all pass the lockout check above
    // before the first failure was recorded.
    bool throttling_started = record_password_failure(account_key, request->client_address);

    // Join a verification of the same credentials against the same user
    // record that is already running.
    Verification verification{key, user_id, credential_epoch, std::hash<std::string_view>()(password_hash)};
    {
        std::lock_guard lock(in_flight_mutex_);
        auto [entry, first] = in_flight_.try_emplace(verification);
        entry->second.push_back(Waiter{shared_request, std::move(done), throttling_started});
        if (!first) {
            return;
        }
    }

    // Argon2id takes tens of milliseconds: verify on the hashing pool.
    auto password = std::make_shared<std::string>(credentials.password);
    bool queued = hash_pool_.try_submit([this, verification, account_key, user = std::move(user), password] {
        verify_password(verification, account_key, user, *password);
        sodium_memzero(password->data(), password->size());
    });
    if (!queued) {
        sodium_memzero(password->data(), password->size());
        std::vector<Waiter> waiters;
        {
            std::lock_guard lock(in_flight_mutex_);
            waiters = std::move(in_flight_[verification]);
            in_flight_.erase(verification);
        }
        for (auto& waiter : waiters) {
            refund_password_failure(account_key, waiter.request->client_address, false);
            AuthResult result = failure(AuthFailure::overloaded, "the server is busy verifying passwords; retry shortly");
            result.retry_after = std::chrono::seconds(1);
            waiter.done(std::move(result));
        }
    }
}

void Authenticator::verify_password(const Verification& verification, const std::string& account_key,
                                    const std::optional<store::User>& user, const std::string& password) {
    const CredentialCache::Key& key = verification.credentials;
    // An unknown user is verified against a dummy hash so that it costs the
    // same time as a wrong password.
    bool valid = hasher_.verify(password, user ? std::string_view(user->password_hash) : std::string_view{});
    counters_.password_hash_verifications.fetch_add(1, std::memory_order_relaxed);
    bool accepted = valid && user && user->active;

    // Cached before the waiters are released, so a request arriving now
    // finds the entry instead of starting another verification. Whether the
    // user has TOTP is not known yet, so the entry marks it as enrolled,
    // which makes the next request look it up.
    if (accepted) {
        cache_.insert(key, user->id, user->credential_epoch, user->password_hash, true);
    }
    std::vector<Waiter> waiters;
    {
        std::lock_guard lock(in_flight_mutex_);
        waiters = std::move(in_flight_[verification]);
        in_flight_.erase(verification);
    }

    for (auto& waiter : waiters) {
        AuthResult result;
        try {
            if (!accepted) {
                result = invalid_credentials();
                result.throttling_started = waiter.throttling_started;
            } else {
                refund_password_failure(account_key, waiter.request->client_address, true);
                Principal principal{waiter.request->company, *user, AuthMethod::basic, std::nullopt, {}};
                result = check_second_factor(*waiter.request, std::move(principal), true, key);
            }
        } catch (const store::StoreError& error) {
            spdlog::error("password authentication for company {}: database error: {}", waiter.request->company.id,
                          error.what());
            result = failure(AuthFailure::store_unavailable, "the database is unavailable");
        } catch (const std::exception& error) {
            spdlog::error("password authentication for company {} failed: {}", waiter.request->company.id,
                          error.what());
            result = internal_failure();
        }
        waiter.done(std::move(result));
    }
}

void Authenticator::refund_password_failure(const std::string& account_key, const std::string& client_address,
                                            bool succeeded) {
    // A success resets the account's count, as any successful login does.
    // NOTE: an attempt rejected for a full queue keeps its account count,
    // because BackoffThrottle has no partial undo; the next success resets it.
    if (succeeded) {
        account_throttle_.record_success(account_key);
    }
    address_throttle_.forgive_one(client_address);
}

bool Authenticator::record_password_failure(const std::string& account_key, const std::string& client_address) {
    bool account_locked = account_throttle_.record_failure(account_key);
    bool address_locked = address_throttle_.record_failure(client_address);
    return account_locked || address_locked;
}

AuthResult Authenticator::check_second_factor(const AuthRequest& request, Principal principal, bool totp_enrolled,
                                              const CredentialCache::Key& key) {
    if (!totp_enrolled) {
        AuthResult result;
        result.principal = std::move(principal);
        return result;
    }

    TotpOutcome outcome = totp_.check(principal.user.id, request.totp_codes);
    switch (outcome.kind) {
        case TotpOutcome::Kind::not_enrolled: {
            // Later requests with these credentials can skip the TOTP lookup
            // until the epoch changes.
            cache_.insert(key, principal.user.id, principal.user.credential_epoch, principal.user.password_hash,
                          false);
            AuthResult result;
            result.principal = std::move(principal);
            return result;
        }
        case TotpOutcome::Kind::accepted: {
            AuthResult result;
            result.principal = std::move(principal);
            return result;
        }
        case TotpOutcome::Kind::required:
            return failure(AuthFailure::totp_required,
                           "this user has two-factor authentication enabled: send the current code in the "
                           "Custobar-TOTP-Code header, or use token authentication");
        case TotpOutcome::Kind::invalid: {
            AuthResult result = failure(AuthFailure::totp_invalid, "the two-factor authentication code is invalid");
            result.throttling_started = outcome.throttling_started;
            return result;
        }
        case TotpOutcome::Kind::reused: {
            AuthResult result = failure(AuthFailure::totp_reused,
                                        "this two-factor authentication code was already used; wait for the next code");
            result.throttling_started = outcome.throttling_started;
            return result;
        }
        case TotpOutcome::Kind::throttled:
            return throttled("too many failed two-factor authentication codes for this user; retry later",
                             outcome.retry_after);
    }
    return failure(AuthFailure::totp_invalid, "the two-factor authentication code is invalid");
}

}  // namespace openbar::auth
