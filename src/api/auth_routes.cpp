#include <boost/json/object.hpp>

#include <optional>
#include <variant>

#include "api/services.hpp"
#include "auth/authorization_header.hpp"

namespace openbar::api {
namespace {

// Returns the access token the caller authenticated with (Token, Bearer or
// Basic `access-token`), or nothing for password logins. The authenticator
// matched it against the user's stored current token while admitting this
// request, so answering with it skips reading and decrypting that copy.
std::optional<std::string> authenticated_token(const http::Exchange& exchange) {
    if (!exchange.principal->token_id) return std::nullopt;
    auto header = exchange.request.find(http::beast_http::field::authorization);
    if (header == exchange.request.end()) return std::nullopt;
    auto parsed = auth::parse_authorization(header->value());
    if (auto* token = std::get_if<auth::TokenCredentials>(&parsed)) return std::move(token->token);
    auto* basic = std::get_if<auth::BasicCredentials>(&parsed);
    if (basic && basic->user_id == auth::access_token_user_id) return std::move(basic->password);
    return std::nullopt;
}

}  // namespace

// GET returns the caller's single valid token, creating it on first use;
// POST replaces it. Both answer {"token": "..."}.
void register_auth_routes(http::Router& router, Services& services) {
    using http::beast_http::verb;

    router.add("/api/auth/access-token", http::Access::tenant_api, verb::get, [&services](http::Exchange& exchange) {
        std::optional<std::string> presented = authenticated_token(exchange);
        std::string token = presented ? std::move(*presented) : services.tokens.current_token(exchange.principal->user.id);
        auto response = http::json_response(http::Status::ok, boost::json::object{{"token", token}});
        response.set(http::beast_http::field::cache_control, "no-store");
        return response;
    });

    router.add("/api/auth/new-access-token", http::Access::tenant_api, verb::post,
               [&services](http::Exchange& exchange) {
                   std::string token = services.tokens.rotate(exchange.principal->user.id);
                   auto response = http::json_response(http::Status::ok, boost::json::object{{"token", token}});
                   response.set(http::beast_http::field::cache_control, "no-store");
                   return response;
               });
}

}  // namespace openbar::api
