#include "api/services.hpp"

namespace openbar::api {

void register_routes(http::Router& router, Services& services) {
    register_health_routes(router, services);
    register_auth_routes(router, services);
    register_upload_routes(router, services);
    register_read_routes(router, services);
    register_metrics_routes(router, services);
}

}  // namespace openbar::api
