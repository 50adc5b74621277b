#include "web/page_response.hpp"

#include "util/text.hpp"
#include "web/pages.hpp"

namespace openbar::web {
namespace {

namespace field = http::beast_http;

constexpr std::string_view content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";

bool is_own_origin(const http::Exchange& exchange, std::string_view origin) {
    auto host = exchange.request.find(field::field::host);
    if (host == exchange.request.end()) return false;
    std::string_view expected_host = host->value();
    if (!expected_host.empty() && expected_host.back() == '.') expected_host.remove_suffix(1);

    // A page served over TLS can only post from https; a page served over
    // plain HTTP may be behind a TLS-terminating proxy, so either scheme is
    // accepted as long as the host and port match.
    std::string_view rest;
    if (origin.starts_with("https://")) {
        rest = origin.substr(8);
    } else if (origin.starts_with("http://") && !exchange.secure) {
        rest = origin.substr(7);
    } else {
        return false;
    }
    return util::iequals(rest, expected_host);
}

}  // namespace

void add_page_security_headers(http::Response& response) {
    response.set("Content-Security-Policy", content_security_policy);
    response.set("X-Frame-Options", "DENY");
    response.set("Referrer-Policy", "no-referrer");
    response.set("X-Content-Type-Options", "nosniff");
    response.set(field::field::cache_control, "no-store");
}

http::Response html_response(http::Status status, std::string html) {
    http::Response response{status, 11};
    response.set(field::field::content_type, "text/html; charset=utf-8");
    add_page_security_headers(response);
    response.body() = std::move(html);
    response.prepare_payload();
    return response;
}

http::Response redirect_response(std::string_view location) {
    http::Response response{http::Status::see_other, 11};
    response.set(field::field::location, location);
    add_page_security_headers(response);
    response.prepare_payload();
    return response;
}

http::Response error_page_response(const PageError& error) {
    return html_response(error.status(), render_error_page(error.status(), error.what()));
}

FormFields read_form_post(const http::Exchange& exchange, const config::ServerConfig& config) {
    const http::Request& request = exchange.request;

    // Current browsers send Sec-Fetch-Site (Fetch Metadata) and Origin on
    // form POSTs. Under Referrer-Policy: no-referrer the Origin of
    // a same-origin form post is "null", so that value counts only when
    // Sec-Fetch-Site vouches for it. Clients that send neither header (curl,
    // scripts) still need the CSRF token.
    auto fetch_site = request.find("Sec-Fetch-Site");
    bool same_origin_fetch = fetch_site != request.end() && fetch_site->value() == "same-origin";
    if (fetch_site != request.end() && !same_origin_fetch) {
        throw PageError(http::Status::forbidden,
                        "The form was sent from another site. Open this page directly and try again.");
    }
    auto origin = request.find(field::field::origin);
    if (origin != request.end()) {
        bool allowed = origin->value() == "null" ? same_origin_fetch : is_own_origin(exchange, origin->value());
        if (!allowed) {
            throw PageError(http::Status::forbidden,
                            "The form was sent from another site. Open this page directly and try again.");
        }
    }

    auto content_type = request.find(field::field::content_type);
    std::string_view media_type;
    if (content_type != request.end()) media_type = content_type->value();
    media_type = media_type.substr(0, media_type.find(';'));
    while (!media_type.empty() && media_type.back() == ' ') media_type.remove_suffix(1);
    if (!util::iequals(media_type, "application/x-www-form-urlencoded")) {
        throw PageError(http::Status::unsupported_media_type,
                        "The form must be sent as application/x-www-form-urlencoded.");
    }

    if (request.body().size() > config.max_form_bytes) {
        throw PageError(http::Status::payload_too_large,
                        "The form is larger than " + std::to_string(config.max_form_bytes) + " bytes.");
    }
    auto fields = parse_form(request.body());
    if (!fields) {
        throw PageError(http::Status::bad_request, "The form data is not valid URL-encoded UTF-8.");
    }
    return std::move(*fields);
}

std::string same_origin_path_or_default(std::string_view next) {
    constexpr std::string_view fallback = "/settings/";
    if (next.empty() || next.size() > 512 || next.front() != '/') return std::string(fallback);
    if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return std::string(fallback);
    for (char c : next) {
        auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte >= 0x7f || c == '\\') return std::string(fallback);
    }
    return std::string(next);
}

}  // namespace openbar::web
