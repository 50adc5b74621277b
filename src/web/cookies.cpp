#include "web/cookies.hpp"

namespace openbar::web {
namespace {

std::string_view trim_spaces(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

}  // namespace

std::optional<std::string> find_cookie(const http::Request& request, std::string_view name) {
    auto [first, last] = request.equal_range(http::beast_http::field::cookie);
    for (auto header = first; header != last; ++header) {
        std::string_view pairs = header->value();
        while (!pairs.empty()) {
            std::size_t semicolon = pairs.find(';');
            std::string_view pair = trim_spaces(pairs.substr(0, semicolon));
            pairs = semicolon == std::string_view::npos ? std::string_view{} : pairs.substr(semicolon + 1);

            std::size_t equals = pair.find('=');
            if (equals == std::string_view::npos) continue;
            if (trim_spaces(pair.substr(0, equals)) == name) {
                return std::string(trim_spaces(pair.substr(equals + 1)));
            }
        }
    }
    return std::nullopt;
}

std::string set_cookie_value(std::string_view name, std::string_view value, std::string_view path,
                             std::chrono::seconds max_age, bool secure) {
    std::string cookie;
    cookie.append(name).append("=").append(value);
    cookie.append("; Path=").append(path);
    cookie.append("; Max-Age=").append(std::to_string(max_age.count()));
    cookie.append("; HttpOnly; SameSite=Lax");
    if (secure) cookie.append("; Secure");
    return cookie;
}

}  // namespace openbar::web
