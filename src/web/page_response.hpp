#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "http/exchange.hpp"
#include "http/message.hpp"
#include "web/form.hpp"

namespace openbar::web {

// A failure shown to the browser as an HTML error page.
class PageError : public std::runtime_error {
public:
    PageError(http::Status status, std::string message) : std::runtime_error(message), status_(status) {}
    http::Status status() const { return status_; }

private:
    http::Status status_;
};

// Adds the headers of every settings page response. The Content-Security-
// Policy allows scripts and styles only from this origin, so no inline
// script can run. Framing is denied, no Referer is sent and MIME sniffing is
// off. Cache-Control: no-store keeps the tokens, TOTP secrets and CSRF
// tokens on the pages out of browser and proxy caches.
void add_page_security_headers(http::Response& response);

// An HTML page with the security headers.
http::Response html_response(http::Status status, std::string html);

// A 303 redirect to a path on this host, with the security headers.
http::Response redirect_response(std::string_view location);

http::Response error_page_response(const PageError& error);

// Parses the body of a form POST after checking that it came from this
// site's own pages. Sec-Fetch-Site and Origin, when present, must name this
// site (the Fetch Metadata and origin checks of the OWASP CSRF Prevention
// Cheat Sheet). The Content-Type must be application/x-www-form-urlencoded
// and the body must fit max_form_bytes. Throws PageError (403, 415, 413 or
// 400). The caller checks the CSRF token, because only the caller has the cookie that the
// token belongs to.
FormFields read_form_post(const http::Exchange& exchange, const config::ServerConfig& config);

// Returns `next` when it is a path on this host, otherwise /settings/.
// Rejects absolute URLs, scheme-relative "//host" and "/\host" forms that
// browsers treat as another host, and control characters.
std::string same_origin_path_or_default(std::string_view next);

}  // namespace openbar::web
