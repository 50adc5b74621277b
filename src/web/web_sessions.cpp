#include "web/web_sessions.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "web/cookies.hpp"

namespace openbar::web {
namespace {

constexpr std::size_t id_bytes = 32;
// base64url without padding of 32 bytes.
constexpr std::size_t id_chars = 43;

std::string base64url(const std::uint8_t* data, std::size_t size) {
    constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    std::string encoded(sodium_base64_ENCODED_LEN(size, variant), '\0');
    sodium_bin2base64(encoded.data(), encoded.size(), data, size, variant);
    encoded.resize(encoded.size() - 1);  // drop the terminating NUL
    return encoded;
}

}  // namespace

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string WebSessions::random_cookie_value() {
    std::uint8_t bytes[id_bytes];
    randombytes_buf(bytes, sizeof bytes);
    std::string value = base64url(bytes, sizeof bytes);
    sodium_memzero(bytes, sizeof bytes);
    return value;
}

bool WebSessions::is_well_formed_cookie_value(std::string_view value) {
    if (value.size() != id_chars) return false;
    for (char c : value) {
        bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                       c == '_';
        if (!allowed) return false;
    }
    return true;
}

auth::Bytes WebSessions::id_hash(std::string_view id) const {
    std::string labelled = "openbar web session id:";
    labelled.append(id);
    auto hash = keys_.lookup_hash(labelled);
    return auth::Bytes(hash.begin(), hash.end());
}

std::string WebSessions::csrf_token(std::string_view cookie_value) const {
    std::string labelled = "openbar web csrf token:";
    labelled.append(cookie_value);
    auto hash = keys_.lookup_hash(labelled);
    return base64url(hash.data(), hash.size());
}

bool WebSessions::csrf_token_matches(std::string_view cookie_value, std::string_view token) const {
    if (!is_well_formed_cookie_value(cookie_value)) return false;
    std::string expected = csrf_token(cookie_value);
    return token.size() == expected.size() && sodium_memcmp(token.data(), expected.data(), expected.size()) == 0;
}

std::optional<ActiveSession> WebSessions::find(const http::Exchange& exchange, bool allow_second_factor_pending) {
    auto id = find_cookie(exchange.request, session_cookie);
    if (!id || !is_well_formed_cookie_value(*id) || !exchange.company) return std::nullopt;

    auto hash = id_hash(*id);
    auto session = store_.web_sessions().find_session(hash);
    if (!session) return std::nullopt;

    std::int64_t now = unix_now();
    bool idle_expired = now - session->last_seen_at > config_.web_session_idle_timeout.count();
    bool lifetime_expired = now - session->created_at > config_.web_session_lifetime.count();
    bool second_factor_expired = session->second_factor_pending &&
                                 now - session->created_at > config_.web_second_factor_timeout.count();
    if (idle_expired || lifetime_expired || second_factor_expired) {
        store_.web_sessions().delete_session(hash);
        return std::nullopt;
    }
    if (session->company_id != exchange.company->id) return std::nullopt;

    auto user = store_.find_user(session->company_id, session->username);
    if (!user || user->id != session->user_id || !user->active ||
        user->credential_epoch != session->credential_epoch) {
        store_.web_sessions().delete_session(hash);
        return std::nullopt;
    }
    if (session->second_factor_pending && !allow_second_factor_pending) return std::nullopt;

    store_.web_sessions().touch_session(hash, now);
    return ActiveSession{std::move(*session), std::move(*user), std::move(*id)};
}

std::string WebSessions::create(const store::User& user, bool second_factor_pending) {
    std::int64_t now = unix_now();
    // Sign-ins are rare, so this is a cheap moment to drop abandoned sessions.
    auto removed = store_.web_sessions().delete_expired_sessions(now - config_.web_session_idle_timeout.count(),
                                                                 now - config_.web_session_lifetime.count());
    if (removed > 0) spdlog::debug("deleted {} expired web sessions", removed);

    std::string id = random_cookie_value();
    store::NewWebSession session;
    session.user_id = user.id;
    session.company_id = user.company_id;
    session.credential_epoch = user.credential_epoch;
    session.second_factor_pending = second_factor_pending;
    session.now = now;
    store_.web_sessions().create_session(id_hash(id), session);
    return id;
}

void WebSessions::set_pending_totp_secret(std::string_view id, std::string_view secret) {
    std::optional<auth::Bytes> sealed;
    if (!secret.empty()) sealed = keys_.seal(secret);
    store_.web_sessions().set_pending_totp_secret(id_hash(id), sealed);
}

std::optional<std::string> WebSessions::pending_totp_secret(const ActiveSession& active) const {
    if (!active.session.pending_totp_secret) return std::nullopt;
    return keys_.open(*active.session.pending_totp_secret);
}

void WebSessions::end(std::string_view id) {
    if (!is_well_formed_cookie_value(id)) return;
    store_.web_sessions().delete_session(id_hash(id));
}

void WebSessions::end_all(std::int64_t user_id) { store_.web_sessions().delete_user_sessions(user_id); }

std::string WebSessions::session_cookie_for(std::string_view id, bool secure) const {
    return set_cookie_value(session_cookie, id, "/", config_.web_session_lifetime, secure);
}

std::string WebSessions::session_cookie_deletion(bool secure) const {
    return set_cookie_value(session_cookie, "", "/", std::chrono::seconds(0), secure);
}

}  // namespace openbar::web
