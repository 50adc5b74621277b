#include <sodium.h>

#include "audit/audit_sink.hpp"
#include "http/pipeline.hpp"
#include "web/pages.hpp"
#include "web/static_assets.hpp"
#include "web/web_context.hpp"

namespace openbar::web {

http::Response render_or_error_page(const http::Exchange& exchange, const std::function<http::Response()>& body) {
    try {
        return body();
    } catch (const PageError& error) {
        return error_page_response(error);
    } catch (...) {
        // Logs the cause and picks the status; the page shows only a generic message.
        http::Response api_response = http::response_for_exception(exchange, std::current_exception());
        auto status = api_response.result();
        std::string message = status == http::Status::service_unavailable
                                  ? "The service is temporarily unavailable. Try again shortly."
                                  : "The server failed to handle the request.";
        return html_response(status, render_error_page(status, message));
    }
}

http::Handler page_handler(std::function<http::Response(http::Exchange&)> handler) {
    return [handler = std::move(handler)](http::Exchange& exchange) {
        return render_or_error_page(exchange, [&] { return handler(exchange); });
    };
}

namespace {

// The Authorization header value that Basic authentication with these
// credentials would send.
std::string basic_authorization(std::string_view username, std::string_view password) {
    std::string credentials;
    credentials.reserve(username.size() + 1 + password.size());
    credentials.append(username).append(":").append(password);

    constexpr int variant = sodium_base64_VARIANT_ORIGINAL;
    std::string encoded(sodium_base64_ENCODED_LEN(credentials.size(), variant), '\0');
    sodium_bin2base64(encoded.data(), encoded.size(), reinterpret_cast<const unsigned char*>(credentials.data()),
                      credentials.size(), variant);
    encoded.resize(encoded.size() - 1);  // drop the terminating NUL
    sodium_memzero(credentials.data(), credentials.size());
    return "Basic " + encoded;
}

}  // namespace

void authenticate_form(const http::Exchange& exchange, auth::Authenticator& authenticator, std::string_view username,
                       std::string_view password, const http::Respond& respond,
                       std::function<void(auth::AuthResult&&)> done) {
    std::string authorization = basic_authorization(username, password);
    struct Wiper {
        std::string& text;
        ~Wiper() { sodium_memzero(text.data(), text.size()); }
    } wiper{authorization};

    auth::AuthRequest request;
    request.company = *exchange.company;
    request.authorization.push_back(authorization);
    request.client_address = exchange.client_address;
    try {
        authenticator.authenticate(std::move(request), std::move(done));
    } catch (...) {
        // authenticate() throws only before it calls `done`, which the
        // pipeline relies on too, so `respond` runs once.
        auto error = std::current_exception();
        respond(render_or_error_page(exchange, [&]() -> http::Response { std::rethrow_exception(error); }));
    }
}

std::optional<ActiveSession> session_for_post(WebContext& context, const http::Exchange& exchange,
                                              const FormFields& fields) {
    auto active = context.sessions.find(exchange);
    if (active && !context.sessions.csrf_token_matches(active->id, form_value(fields, "csrf_token"))) {
        throw PageError(http::Status::forbidden,
                        "The form has expired or did not come from this site. Reload the page and try again.");
    }
    return active;
}

http::Response sign_in_redirect(std::string_view next) {
    // `next` is one of this server's own paths, which need no escaping
    // beyond the slashes.
    std::string location = "/login/?next=";
    for (char c : next) {
        if (c == '/') location += "%2F";
        else location += c;
    }
    return redirect_response(location);
}

void record_audit_event(WebContext& context, const http::Exchange& exchange, std::string_view event,
                        std::string_view username, std::string_view reason, std::optional<std::int64_t> token_id) {
    store::AuditEvent audit_event;
    audit_event.event = event;
    audit_event.company_id = exchange.company->id;
    audit_event.username = username;
    audit::truncate_utf8(audit_event.username, audit::max_username_bytes);
    audit_event.token_id = token_id;
    audit_event.method = audit::method_web;
    audit_event.outcome = reason.empty() ? audit::outcome_success : audit::outcome_failure;
    audit_event.reason = reason;
    audit_event.client_address = exchange.client_address;
    audit_event.user_agent = http::user_agent_of(exchange.request);
    audit::truncate_utf8(audit_event.user_agent, audit::max_user_agent_bytes);
    context.services.audit.record(std::move(audit_event));
}

namespace {

http::Response static_asset(std::string_view body, std::string_view content_type) {
    http::Response response{http::Status::ok, 11};
    response.set(http::beast_http::field::content_type, content_type);
    response.set("X-Content-Type-Options", "nosniff");
    response.set(http::beast_http::field::cache_control, "no-cache");
    response.body() = std::string(body);
    response.prepare_payload();
    return response;
}

}  // namespace

}  // namespace openbar::web

namespace openbar::api {

void register_web_routes(http::Router& router, Services& services) {
    using http::beast_http::verb;
    auto context = std::make_shared<web::WebContext>(services);

    router.add("/static/openbar.css", http::Access::tenant_public, verb::get, [](http::Exchange&) {
        return web::static_asset(web::stylesheet, "text/css; charset=utf-8");
    });
    router.add("/static/settings.js", http::Access::tenant_public, verb::get, [](http::Exchange&) {
        return web::static_asset(web::settings_script, "text/javascript; charset=utf-8");
    });

    web::register_login_routes(router, context);
    web::register_settings_routes(router, context);
    web::register_two_factor_routes(router, context);
}

}  // namespace openbar::api
