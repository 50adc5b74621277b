#pragma once

#include <string>
#include <string_view>

namespace openbar::web {

// Escapes text for an HTML element body or a double- or single-quoted
// attribute value: & < > " ' become character references. Unquoted
// attributes, URLs, scripts and styles need other encodings.
std::string escape_html(std::string_view text);

}  // namespace openbar::web
