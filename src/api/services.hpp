#pragma once

#include "audit/audit_sink.hpp"
#include "auth/access_token_service.hpp"
#include "auth/auth_counters.hpp"
#include "config/config.hpp"
#include "http/router.hpp"
#include "store/store.hpp"

namespace openbar::api {

// What the route handlers use. Owned by the serve command; outlives the server.
struct Services {
    const config::ServerConfig& config;
    store::Store& store;
    auth::AccessTokenService& tokens;
    audit::AuditSink& audit;
    const auth::AuthCounters* auth_counters = nullptr;  // published at /metrics when set
};

// Registers every HTTP route of openbar.
void register_routes(http::Router& router, Services& services);

// Per-area registration, called by register_routes().
void register_health_routes(http::Router& router, Services& services);
void register_auth_routes(http::Router& router, Services& services);
void register_upload_routes(http::Router& router, Services& services);
void register_read_routes(http::Router& router, Services& services);
void register_metrics_routes(http::Router& router, Services& services);

}  // namespace openbar::api
