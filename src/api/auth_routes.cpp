#include <boost/json/object.hpp>

#include "api/services.hpp"

namespace openbar::api {

// GET returns the caller's single valid token, creating it on first use;
// POST replaces it. Both answer {"token": "..."}.
void register_auth_routes(http::Router& router, Services& services) {
    using http::beast_http::verb;

    router.add("/api/auth/access-token", http::Access::tenant_api, verb::get, [&services](http::Exchange& exchange) {
        std::string token = services.tokens.current_token(exchange.principal->user.id);
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
