#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace openbar::http {

// Extracts the company name from a Host header of the form
// COMPANY.BASE_DOMAIN[:PORT]. Letter case and one trailing dot are ignored.
// Returns nothing for any other host: the bare base domain, an IP address,
// more than one label before the base domain, or a malformed value.
std::optional<std::string> company_from_host(std::string_view host, std::string_view base_domain);

}  // namespace openbar::http
