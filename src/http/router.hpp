#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/exchange.hpp"
#include "http/message.hpp"

namespace openbar::http {

using Handler = std::function<Response(Exchange&)>;

// Delivers a handler's response. May be called from any thread, exactly once.
using Respond = std::function<void(Response)>;

// A handler that finishes later, for example after password hashing on the
// worker pool, so the network thread is free while it waits. It must call
// `respond` exactly once and must not throw after it has handed work off.
using AsyncHandler = std::function<void(Exchange&, Respond)>;

// The callers a route admits.
enum class Access {
    public_any_host,     // no tenant, no credentials (health checks)
    tenant_public,       // tenant host required, no credentials
    tenant_api,          // tenant host and API credentials required
};

struct Route {
    std::string pattern;                          // "/api/datasources/{id}/import"
    Access access = Access::tenant_api;
    std::map<beast_http::verb, AsyncHandler> methods;  // GET, POST, ...
    std::vector<std::string> segments;            // pattern split at '/'
};

struct RouteMatch {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
};

// Maps paths to routes. Every path matches with and without its trailing
// slash; a `{name}` segment matches any one non-empty segment.
class Router {
public:
    void add(std::string pattern, Access access, beast_http::verb method, Handler handler);
    void add_async(std::string pattern, Access access, beast_http::verb method, AsyncHandler handler);

    std::optional<RouteMatch> match(std::string_view path) const;

    // The value of the Allow header for a route.
    static std::string allow_header(const Route& route);

    // The maximum number of segments in a route pattern.
    static constexpr std::size_t max_segments = 16;

private:
    std::vector<Route> routes_;
};

}  // namespace openbar::http
