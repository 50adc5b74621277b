#include "http/router.hpp"

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

}  // namespace

void Router::add(std::string pattern, Access access, beast_http::verb method, Handler handler) {
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
    std::vector<std::string> segments = split_path(trimmed);

    for (const Route& route : routes_) {
        if (route.segments.size() != segments.size()) continue;
        RouteMatch match{&route, {}};
        bool matched = true;
        for (std::size_t i = 0; i < segments.size() && matched; ++i) {
            const std::string& expected = route.segments[i];
            if (expected.size() > 2 && expected.front() == '{' && expected.back() == '}') {
                if (segments[i].empty()) matched = false;
                match.params[expected.substr(1, expected.size() - 2)] = segments[i];
            } else if (expected != segments[i]) {
                matched = false;
            }
        }
        if (matched) return match;
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
