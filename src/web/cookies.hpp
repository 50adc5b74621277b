#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace openbar::web {

// Returns the value of the first cookie named `name` in the request's
// Cookie headers (RFC 6265 section 5.4), or nothing.
std::optional<std::string> find_cookie(const http::Request& request, std::string_view name);

// Builds a Set-Cookie value with HttpOnly and SameSite=Lax, plus Secure
// when the page was served over TLS. A zero `max_age` deletes the cookie.
std::string set_cookie_value(std::string_view name, std::string_view value, std::string_view path,
                             std::chrono::seconds max_age, bool secure);

}  // namespace openbar::web
