#include <boost/json/object.hpp>

#include <optional>
#include <string_view>

#include "api/services.hpp"
#include "auth/access_token.hpp"
#include "auth/authorization_header.hpp"

namespace openbar::api {
namespace {

// Returns the reply {"token": TOKEN}. Tokens contain only letters, digits
// and `_`, so the body is built without a JSON serializer. A token with
// any other character goes through Boost.JSON.
http::Response token_response(std::string_view token) {
    // A token of openbar's format is letters, digits and `_`, which JSON
    // strings hold as they are; anything else goes through the serializer.
    if (!auth::has_access_token_shape(token)) {
        auto response = http::json_response(http::Status::ok, boost::json::object{{"token", token}});
        response.set(http::beast_http::field::cache_control, "no-store");
        return response;
    }

    // A new response has no fields, so insert() need not look for one to
    // replace as set() does. The connection adds the Content-Length.
    http::Response response{http::Status::ok, 11};
    std::string& body = response.body();
    body.reserve(token.size() + 13);
    body += "{\"token\":\"";
    body += token;
    body += "\"}";
    response.insert(http::beast_http::field::content_type, "application/json");
    response.insert(http::beast_http::field::cache_control, "no-store");
    return response;
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
        // A caller with a token sent the current one, which the store
        // matched, so the reply skips reading and decrypting the stored copy.
        if (!exchange.principal->token.empty()) {
            return token_response(exchange.principal->token.view());
        }
        bool created = false;
        std::string token = services.tokens.current_token(exchange.principal->user.id, &created);
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
