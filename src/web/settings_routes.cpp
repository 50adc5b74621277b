#include <sodium.h>
#include <spdlog/spdlog.h>

#include "audit/audit_sink.hpp"
#include "web/cookies.hpp"
#include "web/pages.hpp"
#include "web/web_context.hpp"

namespace openbar::web {
namespace {

namespace field = http::beast_http;
using http::Exchange;
using http::Response;
using http::Status;

// Bounds for a new password. The upper bound keeps one argon2id input
// small and still allows long passphrases.
constexpr std::size_t min_password_chars = 8;
constexpr std::size_t max_password_bytes = 1024;

std::optional<std::string> notice_text(std::string_view key) {
    if (key == "token-rotated") return "A new token was generated. The previous token no longer works.";
    if (key == "password-changed") return "Your password was changed. Every other browser was signed out.";
    if (key == "two-factor-off") return "Two-factor authentication is off.";
    return std::nullopt;
}

std::size_t count_code_points(std::string_view utf8) {
    std::size_t count = 0;
    for (char c : utf8) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
    }
    return count;
}

SettingsView settings_view(WebContext& context, const Exchange& exchange, const ActiveSession& active) {
    SettingsView view;
    view.company = exchange.company->name;
    view.username = active.user.username;
    view.csrf_token = context.sessions.csrf_token(active.id);
    view.access_token = context.services.tokens.current_token(active.user.id);
    fill_two_factor_view(context, active, view);
    return view;
}

Response show_settings(WebContext& context, Exchange& exchange) {
    auto active = context.sessions.find(exchange);
    if (!active) return sign_in_redirect("/settings/");

    SettingsView view = settings_view(context, exchange, *active);
    if (auto query = parse_form(exchange.target.encoded_query())) {
        view.notice = notice_text(form_value(*query, "notice"));
    }
    return html_response(Status::ok, render_settings_page(view));
}

Response confirm_new_token(WebContext& context, Exchange& exchange) {
    auto active = context.sessions.find(exchange);
    if (!active) return sign_in_redirect("/settings/new-token/");
    return html_response(Status::ok,
                         render_new_token_confirmation(exchange.company->name, context.sessions.csrf_token(active->id)));
}

Response rotate_token(WebContext& context, Exchange& exchange) {
    FormFields fields = read_form_post(exchange, context.services.config);
    auto active = session_for_post(context, exchange, fields);
    if (!active) return sign_in_redirect("/settings/");

    // The same call as POST /api/auth/new-access-token/.
    context.services.tokens.rotate(active->user.id);
    auto stored = context.services.store.find_current_token(active->user.id);
    record_audit_event(context, exchange, audit::event_token_rotated, active->user.username, {},
                       stored ? std::optional<std::int64_t>(stored->id) : std::nullopt);
    spdlog::info("user {} of company {} generated a new access token on the settings page", active->user.username,
                 exchange.company->name);
    return redirect_response("/settings/?notice=token-rotated");
}

Response password_form_error(WebContext& context, const Exchange& exchange, const ActiveSession& active,
                             Status status, std::string message) {
    SettingsView view = settings_view(context, exchange, active);
    view.password_error = std::move(message);
    return html_response(status, render_settings_page(view));
}

// The settings page with an error in the password section, or an error page
// when even that fails; with Retry-After when `retry_after` is set.
Response password_form_error_page(WebContext& context, const Exchange& exchange, const ActiveSession& active,
                                  Status status, std::string message, std::optional<std::chrono::seconds> retry_after) {
    Response response = render_or_error_page(
        exchange, [&] { return password_form_error(context, exchange, active, status, message); });
    if (retry_after) {
        response.set(field::field::retry_after, std::to_string(std::max<long long>(1, retry_after->count())));
    }
    return response;
}

// Stores the new password, signs out every session of the user and signs
// this browser in again under a new id. Runs on a hashing thread.
Response store_new_password(WebContext& context, const Exchange& exchange, const ActiveSession& active,
                            const std::string& new_password) {
    std::string hash = context.services.hasher.hash(new_password);
    context.services.store.set_password_hash(active.user.id, hash);
    context.sessions.end_all(active.user.id);

    auto user = context.services.store.find_user(active.user.company_id, active.user.username);
    if (!user) throw PageError(Status::not_found, "The user no longer exists.");
    std::string id = context.sessions.create(*user, false);
    record_audit_event(context, exchange, audit::event_password_changed, user->username);
    spdlog::info("user {} of company {} changed the password on the settings page", user->username,
                 exchange.company->name);

    Response response = redirect_response("/settings/?notice=password-changed");
    response.insert(field::field::set_cookie, context.sessions.session_cookie_for(id, exchange.secure));
    return response;
}

void change_password(const std::shared_ptr<WebContext>& context, Exchange& exchange, http::Respond respond) {
    std::optional<ActiveSession> active;
    std::string current_password;
    auto new_password = std::make_shared<std::string>();
    Response early = render_or_error_page(exchange, [&]() -> Response {
        FormFields fields = read_form_post(exchange, context->services.config);
        active = session_for_post(*context, exchange, fields);
        if (!active) return sign_in_redirect("/settings/");

        current_password = std::string(form_value(fields, "current_password"));
        *new_password = std::string(form_value(fields, "new_password"));
        std::string_view confirmation = form_value(fields, "confirm_password");
        std::optional<std::string> problem;
        if (current_password.empty()) {
            problem = "Enter your current password.";
        } else if (count_code_points(*new_password) < min_password_chars) {
            problem = "The new password must have at least " + std::to_string(min_password_chars) + " characters.";
        } else if (new_password->size() > max_password_bytes) {
            problem = "The new password must be at most " + std::to_string(max_password_bytes) + " bytes long.";
        } else if (*new_password != confirmation) {
            problem = "The new password and its repetition differ.";
        }
        if (problem) {
            Response response = password_form_error(*context, exchange, *active, Status::bad_request, *problem);
            active.reset();
            return response;
        }
        return Response{};
    });
    if (!active) {
        respond(std::move(early));
        return;
    }

    // The current password goes through the Authenticator like a sign-in,
    // so guesses here are throttled the same way.
    std::string username = active->user.username;
    authenticate_form(
        exchange, context->services.authenticator, username, current_password, respond,
        [context, &exchange, respond, active = std::move(*active), new_password](auth::AuthResult&& result) {
            using auth::AuthFailure;
            // A TOTP account reports totp_required after a correct password.
            bool password_correct = result.principal || result.failure == AuthFailure::totp_required;
            if (password_correct) {
                // The Authenticator may return a cached result on the network
                // thread, so hashing the new password is queued explicitly.
                bool queued = context->services.hash_pool.try_submit([context, &exchange, respond, active, new_password] {
                    respond(render_or_error_page(
                        exchange, [&] { return store_new_password(*context, exchange, active, *new_password); }));
                    sodium_memzero(new_password->data(), new_password->size());
                });
                if (!queued) {
                    sodium_memzero(new_password->data(), new_password->size());
                    respond(password_form_error_page(*context, exchange, active, Status::service_unavailable,
                                                     "The server is busy. Try again in a moment.",
                                                     std::chrono::seconds(1)));
                }
                return;
            }

            sodium_memzero(new_password->data(), new_password->size());
            if (result.failure == AuthFailure::throttled || result.failure == AuthFailure::overloaded) {
                Status status = result.failure == AuthFailure::throttled ? Status::too_many_requests
                                                                         : Status::service_unavailable;
                respond(password_form_error_page(*context, exchange, active, status,
                                                 "Too many password checks. Wait a little and try again.",
                                                 result.retry_after));
                return;
            }
            respond(password_form_error_page(*context, exchange, active, Status::bad_request,
                                             "The current password is incorrect.", std::nullopt));
        });
    sodium_memzero(current_password.data(), current_password.size());
}

}  // namespace

void register_settings_routes(http::Router& router, const std::shared_ptr<WebContext>& context) {
    using field::verb;
    router.add("/settings", http::Access::tenant_public, verb::get,
               page_handler([context](Exchange& exchange) { return show_settings(*context, exchange); }));
    router.add("/settings/new-token", http::Access::tenant_public, verb::get,
               page_handler([context](Exchange& exchange) { return confirm_new_token(*context, exchange); }));
    router.add("/settings/new-token", http::Access::tenant_public, verb::post,
               page_handler([context](Exchange& exchange) { return rotate_token(*context, exchange); }));
    router.add_async("/settings/password", http::Access::tenant_public, verb::post,
                     [context](Exchange& exchange, http::Respond respond) {
                         change_password(context, exchange, std::move(respond));
                     });
}

}  // namespace openbar::web
