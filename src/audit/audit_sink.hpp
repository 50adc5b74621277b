#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "store/audit_store.hpp"
#include "util/coarse_clock.hpp"

namespace openbar::audit {

// Values of AuditEvent::event.
inline constexpr std::string_view event_authentication = "authentication";
inline constexpr std::string_view event_user_created = "user_created";
inline constexpr std::string_view event_password_changed = "password_changed";
inline constexpr std::string_view event_token_created = "token_created";
inline constexpr std::string_view event_token_rotated = "token_rotated";
inline constexpr std::string_view event_totp_enabled = "totp_enabled";
inline constexpr std::string_view event_totp_disabled = "totp_disabled";
inline constexpr std::string_view event_throttling_started = "throttling_started";

// Values of AuditEvent::outcome.
inline constexpr std::string_view outcome_success = "success";
inline constexpr std::string_view outcome_failure = "failure";

// AuditEvent::method for changes made with the openbar command line.
inline constexpr std::string_view method_cli = "cli";
// AuditEvent::method for sign-ins and changes on the settings web pages.
inline constexpr std::string_view method_web = "web";

// Client-supplied text longer than this is cut, so one client cannot make
// audit rows arbitrarily large.
inline constexpr std::size_t max_user_agent_bytes = 256;
inline constexpr std::size_t max_username_bytes = 256;

// Returns the longest prefix of `text` of at most `max_bytes` that does not
// split a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

// Cuts `text` to utf8_prefix(text, max_bytes).
void truncate_utf8(std::string& text, std::size_t max_bytes);

// One successful request authenticated by an access token. Every request
// makes one, so the texts are views: they need to stay valid only during
// the record_token_use() call, and a sink copies what it keeps.
struct TokenUse {
    std::int64_t token_id = 0;
    std::int64_t company_id = 0;
    std::string_view username;
    std::string_view method;  // token or access-token
    std::string_view client_address;
    std::string_view user_agent;  // UTF-8 text of any length
    std::chrono::system_clock::time_point used_at = util::coarse_system_now();
};

// The destination of authentication decisions and credential changes.
// Implementations are thread-safe. Callers never put a password, token,
// TOTP code or TOTP secret into an event.
class AuditSink {
public:
    virtual ~AuditSink() = default;

    // Records one event. An empty `occurred_at` means now.
    virtual void record(store::AuditEvent event) = 0;

    // Counts one successful token request and notes the token's last use.
    virtual void record_token_use(const TokenUse& use) = 0;
};

// Writes each call to the store at once, on the caller's thread: for the
// command line, which makes a handful of changes and then exits.
class StoreAuditSink final : public AuditSink {
public:
    explicit StoreAuditSink(store::AuditStore& store) : store_(store) {}

    void record(store::AuditEvent event) override;
    void record_token_use(const TokenUse& use) override;

private:
    store::AuditStore& store_;
};

}  // namespace openbar::audit
