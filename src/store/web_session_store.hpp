#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace openbar::store {

// A signed-in browser on the settings pages. The store keeps a keyed hash of
// the session id, never the id itself, so a copy of the database cannot be
// replayed as a cookie.
struct WebSession {
    std::int64_t user_id = 0;
    std::int64_t company_id = 0;
    std::string username;
    // The user's credential epoch at sign-in: a later password or TOTP change
    // makes the session stale even if deleting it failed.
    std::int64_t credential_epoch = 0;
    // The password was correct but the TOTP code is still missing.
    bool second_factor_pending = false;
    std::int64_t created_at = 0;    // Unix time, seconds
    std::int64_t last_seen_at = 0;  // Unix time, seconds
    // A TOTP secret shown on the set-up page and not confirmed with a code
    // yet, sealed with the server key.
    std::optional<std::vector<std::uint8_t>> pending_totp_secret;
};

struct NewWebSession {
    std::int64_t user_id = 0;
    std::int64_t company_id = 0;
    std::int64_t credential_epoch = 0;
    bool second_factor_pending = false;
    std::int64_t now = 0;  // Unix time, seconds
};

// Storage of web sessions, keyed by the hash of the session id.
class WebSessionStore {
public:
    virtual ~WebSessionStore() = default;

    virtual void create_session(std::span<const std::uint8_t> id_hash, const NewWebSession& session) = 0;
    // Returns the session with its user's name, or nothing when the id is unknown.
    virtual std::optional<WebSession> find_session(std::span<const std::uint8_t> id_hash) = 0;
    virtual void touch_session(std::span<const std::uint8_t> id_hash, std::int64_t now) = 0;
    virtual void delete_session(std::span<const std::uint8_t> id_hash) = 0;
    // Stores or, with nothing, clears the session's unconfirmed TOTP secret.
    virtual void set_pending_totp_secret(std::span<const std::uint8_t> id_hash,
                                         const std::optional<std::vector<std::uint8_t>>& sealed_secret) = 0;
    // Signs the user out everywhere.
    virtual void delete_user_sessions(std::int64_t user_id) = 0;
    // Deletes sessions idle since before `idle_before` or created before
    // `created_before` (both Unix seconds); returns how many.
    virtual std::int64_t delete_expired_sessions(std::int64_t idle_before, std::int64_t created_before) = 0;
};

}  // namespace openbar::store
