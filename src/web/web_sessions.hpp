#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/key_ring.hpp"
#include "config/config.hpp"
#include "http/exchange.hpp"
#include "store/store.hpp"

namespace openbar::web {

// A session that passed every check, with its user as stored now.
struct ActiveSession {
    store::WebSession session;
    store::User user;
    std::string id;  // the cookie value; never logged
};

// Creates, finds and ends browser sessions of the settings pages, and
// derives their CSRF tokens.
//
// A session id is 256 random bits (the OWASP Session Management Cheat Sheet
// requires at least 64) sent base64url-encoded in a cookie. The store keeps only
// an HMAC of it under the server key. The CSRF token of a form is an HMAC of
// the cookie value under a different label, so it is tied to one session,
// needs no storage, and cannot be turned back into the session id.
class WebSessions {
public:
    static constexpr std::string_view session_cookie = "openbar_session";
    // Before sign-in the login form's CSRF token is tied to this cookie.
    static constexpr std::string_view login_cookie = "openbar_login";

    WebSessions(const config::ServerConfig& config, store::Store& store, const auth::KeyRing& keys)
        : config_(config), store_(store), keys_(keys) {}

    // Returns the session named by the request's session cookie, or nothing
    // when there is no cookie, the id is unknown, idle too long or past its
    // lifetime (or, while waiting for the TOTP code, past the second-factor
    // timeout), belongs to another company, or its user was deactivated or
    // changed credentials since. Records the request as the session's last
    // activity. A session still waiting for its TOTP code counts only with
    // `allow_second_factor_pending`.
    std::optional<ActiveSession> find(const http::Exchange& exchange, bool allow_second_factor_pending = false);

    // Stores a session under a new random id and returns the id. Every sign-in
    // gets a new id, so an id planted before sign-in is never promoted to a
    // signed-in session (session fixation).
    std::string create(const store::User& user, bool second_factor_pending);

    // Keeps a TOTP secret, sealed, with the session until the user confirms
    // it with a code; `secret` empty clears it.
    void set_pending_totp_secret(std::string_view id, std::string_view secret);
    // Returns the session's unconfirmed TOTP secret (raw bytes), if any.
    std::optional<std::string> pending_totp_secret(const ActiveSession& active) const;

    void end(std::string_view id);
    void end_all(std::int64_t user_id);

    // The Set-Cookie value that stores `id` in the browser, and the one
    // that deletes it.
    std::string session_cookie_for(std::string_view id, bool secure) const;
    std::string session_cookie_deletion(bool secure) const;

    // A fresh random value for a cookie: 256 bits, base64url without padding.
    static std::string random_cookie_value();
    static bool is_well_formed_cookie_value(std::string_view value);

    // The CSRF token for forms shown to the holder of `cookie_value`.
    std::string csrf_token(std::string_view cookie_value) const;
    // Compares in constant time, so response timing does not reveal how
    // much of a guessed token was right.
    bool csrf_token_matches(std::string_view cookie_value, std::string_view token) const;

private:
    auth::Bytes id_hash(std::string_view id) const;

    const config::ServerConfig& config_;
    store::Store& store_;
    const auth::KeyRing& keys_;
};

// Current Unix time in seconds.
std::int64_t unix_now();

}  // namespace openbar::web
