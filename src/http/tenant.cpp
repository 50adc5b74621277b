#include "http/tenant.hpp"

#include <algorithm>

#include "util/text.hpp"

namespace openbar::http {
namespace {

// Removes ":PORT" when PORT is 1 to 5 digits. IPv6 literals ("[::1]:8080")
// never name a company, so they are rejected by the caller's label check.
std::optional<std::string_view> strip_port(std::string_view host) {
    std::size_t colon = host.rfind(':');
    if (colon == std::string_view::npos) {
        return host;
    }
    std::string_view port = host.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    return host.substr(0, colon);
}

}  // namespace

std::optional<std::string> company_from_host(std::string_view host, std::string_view base_domain) {
    auto name = strip_port(host);
    if (!name || name->empty()) {
        return std::nullopt;
    }
    std::string_view fqdn = *name;
    if (fqdn.back() == '.') {
        fqdn.remove_suffix(1);
    }
    // Compared in place: only the label is copied, once it is known to be one.
    if (fqdn.size() <= base_domain.size() + 1) {
        return std::nullopt;
    }
    std::size_t label_size = fqdn.size() - base_domain.size() - 1;
    if (fqdn[label_size] != '.' || !util::iequals(fqdn.substr(label_size + 1), base_domain)) {
        return std::nullopt;
    }
    std::string label = util::to_lower_ascii(fqdn.substr(0, label_size));
    if (!util::is_dns_label(label)) {
        return std::nullopt;
    }
    return label;
}

}  // namespace openbar::http
