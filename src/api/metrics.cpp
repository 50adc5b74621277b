#include <string>

#include "api/services.hpp"

namespace openbar::api {
namespace {

void append_counter(std::string& body, const char* name, const char* help, std::uint64_t value) {
    body += std::string("# HELP ") + name + " " + help + "\n";
    body += std::string("# TYPE ") + name + " counter\n";
    body += std::string(name) + " " + std::to_string(value) + "\n";
}

}  // namespace

// GET /metrics on any host: process-wide counters in the Prometheus text
// format. Counts only, with no names, addresses or credentials, so it needs
// no authentication.
void register_metrics_routes(http::Router& router, Services& services) {
    router.add("/metrics", http::Access::public_any_host, http::beast_http::verb::get, [&services](http::Exchange&) {
        std::string body;
        if (const auth::AuthCounters* counters = services.auth_counters) {
            append_counter(body, "openbar_password_hash_verifications_total", "Argon2id password verifications run.",
                           counters->password_hash_verifications.load());
            append_counter(body, "openbar_basic_cache_hits_total",
                           "Basic logins whose password was found in the verification cache.",
                           counters->basic_cache_hits.load());
            append_counter(body, "openbar_password_throttled_total",
                           "Password attempts rejected with 429 by the password throttle.",
                           counters->password_throttled.load());
        }
        http::Response response{http::Status::ok, 11};
        response.set(http::beast_http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        response.set(http::beast_http::field::cache_control, "no-store");
        response.body() = std::move(body);
        response.prepare_payload();
        return response;
    });
}

}  // namespace openbar::api
