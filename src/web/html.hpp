#pragma once

#include <string>
#include <string_view>

namespace openbar::web {

// Escapes text for an HTML element body or a double- or single-quoted
// attribute value: & < > " ' become character references (OWASP XSS
// prevention, rules 1 and 2).
std::string escape_html(std::string_view text);

}  // namespace openbar::web
