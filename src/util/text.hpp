#pragma once

#include <string>
#include <string_view>

namespace openbar::util {

// ASCII case-insensitive comparison, for protocol names and host names.
bool iequals(std::string_view left, std::string_view right);

std::string to_lower_ascii(std::string_view text);

// Strict UTF-8 check: no overlong forms, surrogates or code points past U+10FFFF.
bool is_valid_utf8(std::string_view bytes);

// True for a lower-case DNS label: 1 to 63 of [a-z0-9-], not starting or
// ending with a hyphen.
bool is_dns_label(std::string_view text);

}  // namespace openbar::util
