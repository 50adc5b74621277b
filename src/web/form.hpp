#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace openbar::web {

// Fields of an application/x-www-form-urlencoded body (WHATWG URL standard,
// section 5.1): '+' is a space, %XX a byte. The first value of a repeated
// name wins.
using FormFields = std::map<std::string, std::string, std::less<>>;

// Parses a form body or a query string. Returns nothing for a malformed
// percent escape or a name or value that is not valid UTF-8.
std::optional<FormFields> parse_form(std::string_view body);

// Returns the field's value, or an empty string when it is absent.
std::string_view form_value(const FormFields& fields, std::string_view name);

}  // namespace openbar::web
