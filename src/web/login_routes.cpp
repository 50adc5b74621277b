#include <sodium.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "audit/audit_sink.hpp"
#include "auth/authorization_header.hpp"
#include "http/pipeline.hpp"
#include "util/text.hpp"
#include "web/cookies.hpp"
#include "web/pages.hpp"
#include "web/web_context.hpp"

namespace openbar::web {
namespace {

namespace field = http::beast_http;
using http::Exchange;
using http::Response;
using http::Status;

// One message for every failed sign-in, so the page never reveals whether the
// username exists.
constexpr std::string_view sign_in_failed = "Incorrect username or password.";

// The login cookie only has to outlive filling in the form.
constexpr std::chrono::seconds login_cookie_max_age{3600};

std::string next_from_query(const Exchange& exchange) {
    auto query = parse_form(exchange.target.encoded_query());
    return same_origin_path_or_default(query ? form_value(*query, "next") : std::string_view{});
}

std::string login_cookie_deletion(bool secure) {
    return set_cookie_value(WebSessions::login_cookie, "", "/login", std::chrono::seconds(0), secure);
}

Response retry_later_page(Status status, const std::string& reason, std::chrono::seconds retry_after) {
    Response response = html_response(status, render_error_page(status, reason));
    response.set(field::field::retry_after, std::to_string(std::max<long long>(1, retry_after.count())));
    return response;
}

// Ends any session the browser had and stores a new one; returns its id.
std::string replace_session(WebContext& context, const Exchange& exchange, const store::User& user,
                            bool second_factor_pending) {
    if (auto previous = find_cookie(exchange.request, WebSessions::session_cookie)) {
        context.sessions.end(*previous);
    }
    return context.sessions.create(user, second_factor_pending);
}

}  // namespace

Response signed_in_redirect(WebContext& context, const Exchange& exchange, std::string_view session_id,
                            std::string_view next) {
    Response response = redirect_response(next);
    response.insert(field::field::set_cookie, context.sessions.session_cookie_for(session_id, exchange.secure));
    response.insert(field::field::set_cookie, login_cookie_deletion(exchange.secure));
    return response;
}

namespace {

Response show_login_form(WebContext& context, Exchange& exchange) {
    std::string next = next_from_query(exchange);
    if (context.sessions.find(exchange)) {
        return redirect_response(next);
    }

    auto nonce = find_cookie(exchange.request, WebSessions::login_cookie);
    bool new_nonce = !nonce || !WebSessions::is_well_formed_cookie_value(*nonce);
    if (new_nonce) nonce = WebSessions::random_cookie_value();

    LoginView view{exchange.company->name, context.sessions.csrf_token(*nonce), next, "", std::nullopt};
    Response response = html_response(Status::ok, render_login_page(view));
    if (new_nonce) {
        response.insert(field::field::set_cookie, set_cookie_value(WebSessions::login_cookie, *nonce, "/login",
                                                                   login_cookie_max_age, exchange.secure));
    }
    return response;
}

// Sends the sign-in response once the Authenticator has checked the password.
Response finish_sign_in(WebContext& context, const Exchange& exchange, const LoginView& form_view,
                        const auth::AuthResult& result) {
    using auth::AuthFailure;
    if (result.principal) {
        std::string id = replace_session(context, exchange, result.principal->user, false);
        record_audit_event(context, exchange, audit::event_authentication, form_view.username);
        spdlog::info("user {} of company {} signed in to the settings pages from {}", form_view.username,
                     exchange.company->name, exchange.client_address);
        return signed_in_redirect(context, exchange, id, form_view.next);
    }

    if (result.failure == AuthFailure::totp_required) {
        // The password was right and the account has TOTP on: keep a
        // session that only the code form accepts.
        if (auto user = context.services.store.find_user(exchange.company->id, form_view.username)) {
            std::string id = replace_session(context, exchange, *user, true);
            SecondFactorView view{exchange.company->name, context.sessions.csrf_token(id), form_view.next,
                                  std::nullopt};
            Response response = html_response(Status::ok, render_second_factor_page(view));
            response.insert(field::field::set_cookie, context.sessions.session_cookie_for(id, exchange.secure));
            return response;
        }
    }

    record_audit_event(context, exchange, audit::event_authentication, form_view.username,
                       http::audit_reason(result.failure));
    if (result.throttling_started) {
        record_audit_event(context, exchange, audit::event_throttling_started, form_view.username,
                           "password_failures");
    }
    switch (result.failure) {
        case AuthFailure::throttled:
            return retry_later_page(Status::too_many_requests,
                                    "Too many failed sign-in attempts. Wait a little and try again.",
                                    result.retry_after);
        case AuthFailure::overloaded:
            return retry_later_page(Status::service_unavailable,
                                    "The server is busy checking passwords. Try again in a moment.",
                                    result.retry_after);
        default:
            break;
    }
    LoginView view = form_view;
    view.error = std::string(sign_in_failed);
    return html_response(Status::unauthorized, render_login_page(view));
}

void submit_login_form(const std::shared_ptr<WebContext>& context, Exchange& exchange, http::Respond respond) {
    std::optional<LoginView> view;
    std::string password;
    Response early = render_or_error_page(exchange, [&]() -> Response {
        FormFields fields = read_form_post(exchange, context->services.config);
        auto nonce = find_cookie(exchange.request, WebSessions::login_cookie);
        if (!nonce || !context->sessions.csrf_token_matches(*nonce, form_value(fields, "csrf_token"))) {
            throw PageError(Status::forbidden,
                            "The sign-in form has expired or did not come from this site. Reload it and try again.");
        }
        view = LoginView{exchange.company->name, context->sessions.csrf_token(*nonce),
                         same_origin_path_or_default(form_value(fields, "next")),
                         std::string(form_value(fields, "username")), std::nullopt};
        password = std::string(form_value(fields, "password"));

        // Basic credentials cannot carry a colon in the username, and the
        // reserved name would turn the password field into a token check.
        if (view->username.empty() || password.empty() || view->username.find(':') != std::string::npos ||
            util::iequals(view->username, auth::access_token_user_id)) {
            LoginView failed = *view;
            failed.error = std::string(sign_in_failed);
            view.reset();
            return html_response(Status::unauthorized, render_login_page(failed));
        }
        return Response{};
    });
    if (!view) {
        respond(std::move(early));
        return;
    }

    // The callback may run on a hashing thread; the exchange outlives it
    // because the connection waits for this response.
    std::string username = view->username;
    authenticate_form(exchange, context->services.authenticator, username, password, respond,
                      [context, &exchange, respond, view = std::move(*view)](auth::AuthResult&& result) {
                          respond(render_or_error_page(
                              exchange, [&] { return finish_sign_in(*context, exchange, view, result); }));
                      });
    sodium_memzero(password.data(), password.size());
}

Response sign_out(WebContext& context, Exchange& exchange) {
    FormFields fields = read_form_post(exchange, context.services.config);
    auto active = context.sessions.find(exchange, true);
    if (active) {
        if (!context.sessions.csrf_token_matches(active->id, form_value(fields, "csrf_token"))) {
            throw PageError(Status::forbidden, "The form has expired or did not come from this site.");
        }
        context.sessions.end(active->id);
        spdlog::info("user {} of company {} signed out of the settings pages", active->user.username,
                     exchange.company->name);
    }
    Response response = redirect_response("/login/");
    response.insert(field::field::set_cookie, context.sessions.session_cookie_deletion(exchange.secure));
    return response;
}

}  // namespace

void register_login_routes(http::Router& router, const std::shared_ptr<WebContext>& context) {
    using field::verb;
    router.add("/login", http::Access::tenant_public, verb::get,
               page_handler([context](Exchange& exchange) { return show_login_form(*context, exchange); }));
    router.add_async("/login", http::Access::tenant_public, verb::post,
                     [context](Exchange& exchange, http::Respond respond) {
                         submit_login_form(context, exchange, std::move(respond));
                     });
    router.add("/logout", http::Access::tenant_public, verb::post,
               page_handler([context](Exchange& exchange) { return sign_out(*context, exchange); }));
}

}  // namespace openbar::web
