#include <boost/json/object.hpp>

#include <algorithm>
#include <optional>
#include <string_view>
#include <variant>

#include "api/services.hpp"
#include "auth/authorization_header.hpp"
#include "util/text.hpp"

namespace openbar::api {
namespace {

std::string_view trim_space(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// Returns the reply {"token": TOKEN}. Tokens contain only letters, digits
// and `_`, so the body is built without a JSON serializer. A token with
// any other character goes through Boost.JSON.
http::Response token_response(std::string_view token) {
    bool plain = std::all_of(token.begin(), token.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    });
    if (!plain) {
        auto response = http::json_response(http::Status::ok, boost::json::object{{"token", token}});
        response.set(http::beast_http::field::cache_control, "no-store");
        return response;
    }

    // A new response has no fields, so insert() need not look for one to replace as set() does.
    http::Response response{http::Status::ok, 11};
    std::string& body = response.body();
    body.reserve(token.size() + 13);
    body += "{\"token\":\"";
    body += token;
    body += "\"}";
    response.insert(http::beast_http::field::content_type, "application/json");
    response.insert(http::beast_http::field::content_length, std::to_string(body.size()));
    response.insert(http::beast_http::field::cache_control, "no-store");
    return response;
}

// Returns the access token the caller authenticated with (Token, Bearer or
// Basic `access-token`), or nothing for password logins. The authenticator
// matched it against the user's stored current token while admitting this
// request, so returning it skips reading and decrypting that copy. The
// view points into the request's header, or into `decoded` for Basic.
std::optional<std::string_view> authenticated_token(const http::Exchange& exchange, std::string& decoded) {
    if (!exchange.principal->token_id) return std::nullopt;
    auto header = http::find_field(exchange.request, http::beast_http::field::authorization);
    if (header == exchange.request.end()) return std::nullopt;

    // `Token` and `Bearer`: the authenticator has checked the token's form,
    // so splitting off the scheme name as parse_authorization() does is enough.
    std::string_view value = trim_space(header->value());
    std::size_t space = value.find_first_of(" \t");
    if (space != std::string_view::npos) {
        std::string_view scheme = value.substr(0, space);
        if (util::iequals(scheme, "token") || util::iequals(scheme, "bearer")) {
            return trim_space(value.substr(space));
        }
    }

    auto parsed = auth::parse_authorization(header->value());
    if (auto* token = std::get_if<auth::TokenCredentials>(&parsed)) {
        decoded = std::move(token->token);
        return decoded;
    }
    auto* basic = std::get_if<auth::BasicCredentials>(&parsed);
    if (basic && basic->user_id == auth::access_token_user_id) {
        decoded = std::move(basic->password);
        return decoded;
    }
    return std::nullopt;
}

// An audit row for a change, by the caller of `exchange`, to the caller's
// own token, which now has the id the store returns.
store::AuditEvent token_change_event(std::string_view event_name, const http::Exchange& exchange,
                                     store::Store& store) {
    store::AuditEvent event;
    event.event = event_name;
    event.company_id = exchange.company->id;
    event.username = exchange.principal->user.username;
    if (auto stored = store.find_current_token(exchange.principal->user.id)) event.token_id = stored->id;
    event.method = auth::to_string(exchange.principal->method);
    event.outcome = audit::outcome_success;
    event.client_address = exchange.client_address;
    auto agent = exchange.request.find(http::beast_http::field::user_agent);
    if (agent != exchange.request.end()) event.user_agent = auth::decode_utf8_or_latin1(agent->value());
    return event;
}

}  // namespace

// GET returns the caller's single valid token, creating it on first use;
// POST replaces it. Both return {"token": "..."}.
void register_auth_routes(http::Router& router, Services& services) {
    using http::beast_http::verb;

    router.add("/api/auth/access-token", http::Access::tenant_api, verb::get, [&services](http::Exchange& exchange) {
        std::string token;
        if (auto presented = authenticated_token(exchange, token)) {
            // The caller's token is the current one, so no token was created.
            return token_response(*presented);
        }
        bool created = false;
        token = services.tokens.current_token(exchange.principal->user.id, &created);
        if (created) {
            services.audit.record(token_change_event(audit::event_token_created, exchange, services.store));
        }
        return token_response(token);
    });

    router.add("/api/auth/new-access-token", http::Access::tenant_api, verb::post,
               [&services](http::Exchange& exchange) {
                   std::string token = services.tokens.rotate(exchange.principal->user.id);
                   services.audit.record(token_change_event(audit::event_token_rotated, exchange, services.store));
                   return token_response(token);
               });
}

}  // namespace openbar::api
