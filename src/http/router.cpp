#include "http/router.hpp"

#include <array>
#include <stdexcept>

namespace openbar::http {
namespace {

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> segments;
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    std::size_t start = 0;
    while (start <= path.size() && !path.empty()) {
        std::size_t slash = path.find('/', start);
        if (slash == std::string_view::npos) {
            segments.emplace_back(path.substr(start));
            break;
        }
        segments.emplace_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return segments;
}

// A `{name}` pattern segment.
bool is_parameter(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::add(std::string pattern, Access access, beast_http::verb method, Handler handler) {
    add_async(std::move(pattern), access, method,
              [handler = std::move(handler)](Exchange& exchange, Respond respond) { respond(handler(exchange)); });
}

void Router::add_async(std::string pattern, Access access, beast_http::verb method, AsyncHandler handler) {
    for (Route& route : routes_) {
        if (route.pattern == pattern) {
            if (route.access != access) {
                throw std::logic_error("route " + pattern + " registered with two access levels");
            }
            route.methods[method] = std::move(handler);
            return;
        }
    }
    Route route;
    route.segments = split_path(pattern);
    if (route.segments.size() > max_segments) {
        throw std::logic_error("route " + pattern + " has more than " + std::to_string(max_segments) + " segments");
    }
    route.pattern = std::move(pattern);
    route.access = access;
    route.methods[method] = std::move(handler);
    routes_.push_back(std::move(route));
}

std::optional<RouteMatch> Router::match(std::string_view path) const {
    // One trailing slash is optional; anything else (double slashes) is not a route.
    if (path.empty() || path.front() != '/') return std::nullopt;
    std::string_view trimmed = path;
    if (trimmed.size() > 1 && trimmed.back() == '/') trimmed.remove_suffix(1);
    if ((trimmed.size() > 1 && trimmed.back() == '/') || trimmed.find("//") != std::string_view::npos) {
        return std::nullopt;
    }

    // The segments are views into `path`, split on the stack: matching
    // allocates only the parameters of the route that matched.
    std::string_view rest = trimmed.substr(1);
    std::array<std::string_view, max_segments> segments;
    std::size_t count = 0;
    while (!rest.empty()) {
        if (count == segments.size()) return std::nullopt;  // longer than any route
        std::size_t slash = rest.find('/');
        segments[count++] = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    }

    for (const Route& route : routes_) {
        if (route.segments.size() != count) continue;
        bool matched = true;
        for (std::size_t i = 0; i < count && matched; ++i) {
            const std::string& expected = route.segments[i];
            if (is_parameter(expected)) {
                matched = !segments[i].empty();
            } else {
                matched = expected == segments[i];
            }
        }
        if (!matched) continue;

        RouteMatch match{&route, {}};
        for (std::size_t i = 0; i < count; ++i) {
            const std::string& expected = route.segments[i];
            if (is_parameter(expected)) match.params[expected.substr(1, expected.size() - 2)] = segments[i];
        }
        return match;
    }
    return std::nullopt;
}

std::string Router::allow_header(const Route& route) {
    std::string allow;
    for (const auto& [method, handler] : route.methods) {
        if (!allow.empty()) allow += ", ";
        allow += std::string(beast_http::to_string(method));
    }
    return allow;
}

}  // namespace openbar::http
