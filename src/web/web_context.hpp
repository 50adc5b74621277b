#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "api/services.hpp"
#include "http/router.hpp"
#include "web/page_response.hpp"
#include "web/pages.hpp"
#include "web/web_sessions.hpp"

namespace openbar::web {

// The state that the settings page handlers share. Created by register_web_routes()
// and kept alive by the handlers that capture it.
struct WebContext {
    explicit WebContext(api::Services& services_in)
        : services(services_in), sessions(services_in.config, services_in.store, services_in.keys) {}

    api::Services& services;
    WebSessions sessions;
};

// Runs `body` and turns what it throws into an HTML error page: PageError
// with its own status and message, anything else with the status the API
// would use and a generic message. For code that runs after an
// asynchronous step, where the pipeline can no longer catch.
http::Response render_or_error_page(const http::Exchange& exchange, const std::function<http::Response()>& body);

// Wraps a synchronous page handler with render_or_error_page().
http::Handler page_handler(std::function<http::Response(http::Exchange&)> handler);

// Checks a username and password from a form with the Authenticator, as
// Basic credentials, so a form sign-in is verified, throttled and bounded by
// the hashing queue exactly like an API request. `done` may run on a hashing
// thread. A store error during the check calls `respond` with the HTML error
// page instead. The Basic text built from the password is wiped
// however the check ends.
void authenticate_form(const http::Exchange& exchange, auth::Authenticator& authenticator, std::string_view username,
                       std::string_view password, const http::Respond& respond,
                       std::function<void(auth::AuthResult&&)> done);

// The redirect after a completed sign-in: sets the session cookie and
// deletes the login form's cookie.
http::Response signed_in_redirect(WebContext& context, const http::Exchange& exchange, std::string_view session_id,
                                  std::string_view next);

// Returns the signed-in session of a form POST after checking its CSRF
// token, or nothing when the browser has no valid session (the caller then
// redirects to the sign-in page). Throws PageError(403) when the session
// exists but the token is missing or wrong.
std::optional<ActiveSession> session_for_post(WebContext& context, const http::Exchange& exchange,
                                              const FormFields& fields);

// The redirect for a page that needs a signed-in browser.
http::Response sign_in_redirect(std::string_view next);

// Fills the two-factor part of the settings page for the signed-in user.
void fill_two_factor_view(WebContext& context, const ActiveSession& active, SettingsView& view);

// Records a sign-in or a change made on the settings pages in the audit
// log, with method "web". `reason` is empty on success.
void record_audit_event(WebContext& context, const http::Exchange& exchange, std::string_view event,
                        std::string_view username, std::string_view reason = {},
                        std::optional<std::int64_t> token_id = std::nullopt);

// Registration of each group of pages.
void register_login_routes(http::Router& router, const std::shared_ptr<WebContext>& context);
void register_settings_routes(http::Router& router, const std::shared_ptr<WebContext>& context);
void register_two_factor_routes(http::Router& router, const std::shared_ptr<WebContext>& context);

}  // namespace openbar::web
