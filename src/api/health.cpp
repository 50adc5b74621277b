#include <boost/json/object.hpp>
#include <spdlog/spdlog.h>

#include "api/services.hpp"
#include "http/api_error.hpp"

namespace openbar::api {

void register_health_routes(http::Router& router, Services& services) {
    router.add("/healthz", http::Access::public_any_host, http::beast_http::verb::get, [&services](http::Exchange&) {
        try {
            services.store.ping();
        } catch (const std::exception& error) {
            spdlog::error("health check: database unreachable: {}", error.what());
            throw http::ApiError(http::ErrorKind::unavailable, "database_unavailable", "the database is unreachable");
        }
        return http::json_response(http::Status::ok, boost::json::object{{"status", "ok"}});
    });
}

}  // namespace openbar::api
