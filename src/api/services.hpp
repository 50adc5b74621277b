#pragma once

#include "audit/audit_sink.hpp"
#include "auth/access_token_service.hpp"
#include "auth/auth_counters.hpp"
#include "auth/authenticator.hpp"
#include "auth/key_ring.hpp"
#include "auth/password_hasher.hpp"
#include "auth/totp_service.hpp"
#include "auth/worker_pool.hpp"
#include "config/config.hpp"
#include "http/router.hpp"
#include "store/store.hpp"

namespace openbar::api {

// The services that the route handlers use. Owned by the serve command; outlives the server.
struct Services {
    const config::ServerConfig& config;
    store::Store& store;
    auth::AccessTokenService& tokens;
    auth::Authenticator& authenticator;
    const auth::PasswordHasher& hasher;
    auth::WorkerPool& hash_pool;
    const auth::KeyRing& keys;
    auth::TotpService& totp;
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
// The settings web pages; defined in web/routes.cpp.
void register_web_routes(http::Router& router, Services& services);
void register_metrics_routes(http::Router& router, Services& services);

}  // namespace openbar::api
