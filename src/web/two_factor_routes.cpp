#include <sodium.h>
#include <spdlog/spdlog.h>

#include "audit/audit_sink.hpp"
#include "auth/totp.hpp"
#include "auth/totp_service.hpp"
#include "web/cookies.hpp"
#include "web/pages.hpp"
#include "web/qr_code.hpp"
#include "web/web_context.hpp"

namespace openbar::web {
namespace {

namespace field = http::beast_http;
using auth::TotpOutcome;
using http::Exchange;
using http::Response;
using http::Status;

// Name shown in authenticator apps above the account.
constexpr std::string_view totp_issuer = "openbar";

std::string_view code_error(TotpOutcome::Kind kind) {
    switch (kind) {
        case TotpOutcome::Kind::reused: return "That code was already used. Wait for the next one.";
        case TotpOutcome::Kind::throttled: return "Too many wrong codes. Wait a little and try again.";
        default: return "The code is not correct.";
    }
}

// The audit reason of a failed second sign-in step, in the API's codes.
std::string_view sign_in_code_reason(TotpOutcome::Kind kind) {
    switch (kind) {
        case TotpOutcome::Kind::reused: return "totp_reused";
        case TotpOutcome::Kind::throttled: return "throttled";
        default: return "totp_invalid";
    }
}

Status code_error_status(TotpOutcome::Kind kind) {
    return kind == TotpOutcome::Kind::throttled ? Status::too_many_requests : Status::bad_request;
}

Response with_retry_after(Response response, const TotpOutcome& outcome) {
    if (outcome.kind == TotpOutcome::Kind::throttled) {
        response.set(field::field::retry_after, std::to_string(std::max<long long>(1, outcome.retry_after.count())));
    }
    return response;
}

// Enabling and disabling TOTP change the credential epoch, which ends every
// session of the user; this browser continues under a new session id.
Response with_new_session(WebContext& context, const Exchange& exchange, const ActiveSession& active,
                          Response response) {
    context.sessions.end_all(active.user.id);
    auto user = context.services.store.find_user(active.user.company_id, active.user.username);
    if (!user) throw PageError(Status::not_found, "The user no longer exists.");
    std::string id = context.sessions.create(*user, false);
    response.insert(field::field::set_cookie, context.sessions.session_cookie_for(id, exchange.secure));
    return response;
}

bool totp_enabled(WebContext& context, std::int64_t user_id) {
    return context.services.store.totp().find_totp(user_id).has_value();
}

Response setup_page(WebContext& context, const Exchange& exchange, const ActiveSession& active,
                    const std::string& secret, Status status, std::optional<std::string> error) {
    std::string account = active.user.username + "@" + exchange.company->name;
    TwoFactorSetupView view;
    view.company = exchange.company->name;
    view.username = active.user.username;
    view.csrf_token = context.sessions.csrf_token(active.id);
    view.secret_base32 = auth::totp::encode_secret(secret);
    view.qr_code_svg = qr_code_svg(auth::totp::provisioning_uri(secret, totp_issuer, account));
    view.error = std::move(error);
    return html_response(status, render_two_factor_setup_page(view));
}

// POST /settings/two-factor/: makes a new secret and keeps it with the
// session until it is confirmed, then shows it (post/redirect/get).
Response start_setup(WebContext& context, Exchange& exchange) {
    FormFields fields = read_form_post(exchange, context.services.config);
    auto active = session_for_post(context, exchange, fields);
    if (!active) return sign_in_redirect("/settings/");
    if (totp_enabled(context, active->user.id)) return redirect_response("/settings/");

    std::string secret = auth::totp::generate_secret();
    context.sessions.set_pending_totp_secret(active->id, secret);
    sodium_memzero(secret.data(), secret.size());
    return redirect_response("/settings/two-factor/");
}

Response show_setup(WebContext& context, Exchange& exchange) {
    auto active = context.sessions.find(exchange);
    if (!active) return sign_in_redirect("/settings/");
    auto secret = context.sessions.pending_totp_secret(*active);
    if (!secret || totp_enabled(context, active->user.id)) return redirect_response("/settings/");
    return setup_page(context, exchange, *active, *secret, Status::ok, std::nullopt);
}

// TOTP becomes active only once the user proves that the app produces the
// right codes. The recovery codes are shown on this one response and never again.
Response confirm_setup(WebContext& context, Exchange& exchange) {
    FormFields fields = read_form_post(exchange, context.services.config);
    auto active = session_for_post(context, exchange, fields);
    if (!active) return sign_in_redirect("/settings/");
    auto secret = context.sessions.pending_totp_secret(*active);
    if (!secret || totp_enabled(context, active->user.id)) return redirect_response("/settings/");

    std::string_view code = auth::totp::trim(form_value(fields, "code"));
    std::vector<std::int64_t> steps;
    if (auth::totp::is_well_formed_code(code)) {
        auth::TotpVerifier verifier(auth::system_unix_clock());
        steps = verifier.matching_steps(*secret, code);
    }
    if (steps.empty()) {
        return setup_page(context, exchange, *active, *secret, Status::bad_request,
                          "The code is not correct. Check the time on your device and enter the current code.");
    }

    RecoveryCodesView view;
    view.company = exchange.company->name;
    view.recovery_codes = context.services.totp.enable(active->user.id, *secret);
    // The code that confirmed the set-up must not also work for a sign-in.
    context.services.store.totp().advance_totp_step(active->user.id, steps.back());
    sodium_memzero(secret->data(), secret->size());
    record_audit_event(context, exchange, audit::event_totp_enabled, active->user.username);
    spdlog::info("user {} of company {} turned on two-factor authentication on the settings page",
                 active->user.username, exchange.company->name);
    return with_new_session(context, exchange, *active, html_response(Status::ok, render_recovery_codes_page(view)));
}

Response settings_with_error(WebContext& context, const Exchange& exchange, const ActiveSession& active,
                             const TotpOutcome& outcome) {
    SettingsView view;
    view.company = exchange.company->name;
    view.username = active.user.username;
    view.csrf_token = context.sessions.csrf_token(active.id);
    view.access_token = context.services.tokens.current_token(active.user.id);
    fill_two_factor_view(context, active, view);
    view.two_factor_error = std::string(code_error(outcome.kind));
    return with_retry_after(html_response(code_error_status(outcome.kind), render_settings_page(view)), outcome);
}

// Turning TOTP off needs a current code (or a recovery code), so a stolen
// session alone cannot remove the second factor.
Response disable(WebContext& context, Exchange& exchange) {
    FormFields fields = read_form_post(exchange, context.services.config);
    auto active = session_for_post(context, exchange, fields);
    if (!active) return sign_in_redirect("/settings/");
    if (!totp_enabled(context, active->user.id)) return redirect_response("/settings/");

    TotpOutcome outcome = context.services.totp.check(active->user.id, {std::string(form_value(fields, "code"))});
    if (outcome.kind != TotpOutcome::Kind::accepted) {
        if (outcome.kind == TotpOutcome::Kind::required) outcome.kind = TotpOutcome::Kind::invalid;
        return settings_with_error(context, exchange, *active, outcome);
    }
    context.services.totp.disable(active->user.id);
    record_audit_event(context, exchange, audit::event_totp_disabled, active->user.username);
    spdlog::info("user {} of company {} turned off two-factor authentication on the settings page",
                 active->user.username, exchange.company->name);
    return with_new_session(context, exchange, *active, redirect_response("/settings/?notice=two-factor-off"));
}

// POST /login/code/: the second sign-in step, for a session whose password
// was right. A correct code replaces the half-signed-in session with a full
// one under a new id.
Response verify_sign_in_code(WebContext& context, Exchange& exchange) {
    FormFields fields = read_form_post(exchange, context.services.config);
    auto active = context.sessions.find(exchange, true);
    if (!active || !active->session.second_factor_pending) return redirect_response("/login/");
    if (!context.sessions.csrf_token_matches(active->id, form_value(fields, "csrf_token"))) {
        throw PageError(Status::forbidden, "The form has expired or did not come from this site. Sign in again.");
    }
    std::string next = same_origin_path_or_default(form_value(fields, "next"));

    TotpOutcome outcome = context.services.totp.check(active->user.id, {std::string(form_value(fields, "code"))});
    if (outcome.kind == TotpOutcome::Kind::accepted || outcome.kind == TotpOutcome::Kind::not_enrolled) {
        context.sessions.end(active->id);
        std::string id = context.sessions.create(active->user, false);
        record_audit_event(context, exchange, audit::event_authentication, active->user.username);
        spdlog::info("user {} of company {} signed in to the settings pages with a second factor from {}",
                     active->user.username, exchange.company->name, exchange.client_address);
        return signed_in_redirect(context, exchange, id, next);
    }

    if (outcome.kind == TotpOutcome::Kind::required) outcome.kind = TotpOutcome::Kind::invalid;
    record_audit_event(context, exchange, audit::event_authentication, active->user.username,
                       sign_in_code_reason(outcome.kind));
    SecondFactorView view{exchange.company->name, context.sessions.csrf_token(active->id), next,
                          std::string(code_error(outcome.kind))};
    Status status = outcome.kind == TotpOutcome::Kind::throttled ? Status::too_many_requests : Status::unauthorized;
    return with_retry_after(html_response(status, render_second_factor_page(view)), outcome);
}

}  // namespace

void fill_two_factor_view(WebContext& context, const ActiveSession& active, SettingsView& view) {
    view.two_factor_available = true;
    view.two_factor_enabled = totp_enabled(context, active.user.id);
}

void register_two_factor_routes(http::Router& router, const std::shared_ptr<WebContext>& context) {
    using field::verb;
    auto add = [&](const char* path, verb method, Response (*handler)(WebContext&, Exchange&)) {
        router.add(path, http::Access::tenant_public, method,
                   page_handler([context, handler](Exchange& exchange) { return handler(*context, exchange); }));
    };
    add("/settings/two-factor", verb::post, start_setup);
    add("/settings/two-factor", verb::get, show_setup);
    add("/settings/two-factor/confirm", verb::post, confirm_setup);
    add("/settings/two-factor/disable", verb::post, disable);
    add("/login/code", verb::post, verify_sign_in_code);
}

}  // namespace openbar::web
