#include "web/pages.hpp"

#include "web/html.hpp"

namespace openbar::web {
namespace {

std::string layout(std::string_view title, std::string_view body) {
    std::string html;
    html += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    html += "<title>" + escape_html(title) + " - openbar</title>\n";
    html += "<link rel=\"stylesheet\" href=\"/static/openbar.css\">\n";
    html += "<script src=\"/static/settings.js\" defer></script>\n";
    html += "</head>\n<body>\n";
    html += body;
    html += "</body>\n</html>\n";
    return html;
}

std::string hidden_field(std::string_view name, std::string_view value) {
    return "<input type=\"hidden\" name=\"" + escape_html(name) + "\" value=\"" + escape_html(value) + "\">\n";
}

std::string csrf_field(std::string_view csrf_token) { return hidden_field("csrf_token", csrf_token); }

std::string message_box(std::string_view css_class, std::string_view text) {
    return "<p class=\"" + std::string(css_class) + "\" role=\"status\">" + escape_html(text) + "</p>\n";
}

std::string header_bar(std::string_view company, std::string_view username, std::string_view csrf_token) {
    std::string html = "<header class=\"bar\">\n<span class=\"brand\">openbar</span>\n";
    html += "<span class=\"who\">" + escape_html(company) + " &middot; <strong id=\"username\">" +
            escape_html(username) + "</strong></span>\n";
    html += "<form method=\"post\" action=\"/logout/\" class=\"inline\">\n" + csrf_field(csrf_token);
    html += "<button type=\"submit\" class=\"link\" id=\"sign-out\">Sign out</button>\n</form>\n</header>\n";
    return html;
}

std::string code_input(std::string_view id) {
    return "<input id=\"" + std::string(id) +
           "\" name=\"code\" autocomplete=\"one-time-code\" spellcheck=\"false\" required>\n";
}

}  // namespace

std::string mask_token(std::string_view token) {
    constexpr std::size_t shown = 4;
    constexpr std::size_t dots = 12;  // fixed, so the mask does not tell the length
    if (token.size() <= shown) return std::string(token.size(), '*');
    std::string masked;
    for (std::size_t i = 0; i < dots; ++i) masked += "\xe2\x80\xa2";  // U+2022 bullet
    masked.append(token.substr(token.size() - shown));
    return masked;
}

std::string render_login_page(const LoginView& view) {
    std::string body = "<main class=\"card narrow\">\n";
    body += "<h1>Sign in</h1>\n<p class=\"muted\">Company <strong>" + escape_html(view.company) + "</strong></p>\n";
    if (view.error) body += message_box("error", *view.error);
    body += "<form method=\"post\" action=\"/login/\">\n" + csrf_field(view.csrf_token) + hidden_field("next", view.next);
    body += "<label for=\"username\">Username</label>\n";
    body += "<input id=\"username\" name=\"username\" autocomplete=\"username\" value=\"" + escape_html(view.username) +
            "\" required autofocus>\n";
    body += "<label for=\"password\">Password</label>\n";
    body += "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\n";
    body += "<button type=\"submit\" id=\"sign-in\">Sign in</button>\n</form>\n</main>\n";
    return layout("Sign in", body);
}

std::string render_second_factor_page(const SecondFactorView& view) {
    std::string body = "<main class=\"card narrow\">\n<h1>Two-factor authentication</h1>\n";
    body += "<p class=\"muted\">Company <strong>" + escape_html(view.company) + "</strong></p>\n";
    if (view.error) body += message_box("error", *view.error);
    body += "<p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>\n";
    body += "<form method=\"post\" action=\"/login/code/\">\n" + csrf_field(view.csrf_token) + hidden_field("next", view.next);
    body += "<label for=\"code\">Code</label>\n" + code_input("code");
    body += "<button type=\"submit\" id=\"verify-code\">Verify</button>\n</form>\n";
    body += "<p><a href=\"/login/\">Start over</a></p>\n</main>\n";
    return layout("Two-factor authentication", body);
}

std::string render_settings_page(const SettingsView& view) {
    std::string body = header_bar(view.company, view.username, view.csrf_token);
    body += "<main class=\"card\">\n<h1>Settings</h1>\n";
    if (view.notice) body += message_box("notice", *view.notice);

    body += "<section aria-labelledby=\"token-heading\">\n<h2 id=\"token-heading\">API access token</h2>\n";
    body += "<p class=\"muted\">Send it as <code>Authorization: Token &lt;token&gt;</code>. Treat it like a "
            "password.</p>\n";
    body += "<p class=\"token-row\"><code id=\"masked-token\">" + escape_html(mask_token(view.access_token)) +
            "</code>\n";
    body += "<button type=\"button\" id=\"copy-token\" data-copy-target=\"api-token\" hidden>Copy</button></p>\n";
    body += "<details id=\"reveal-token\">\n<summary>Reveal token</summary>\n";
    body += "<code id=\"api-token\" class=\"secret\">" + escape_html(view.access_token) + "</code>\n</details>\n";
    body += "<p><a class=\"button secondary\" id=\"new-token\" href=\"/settings/new-token/\">Generate new token</a></p>\n";
    body += "</section>\n";

    if (view.two_factor_available) {
        body += "<section aria-labelledby=\"totp-heading\">\n<h2 id=\"totp-heading\">Two-factor authentication</h2>\n";
        if (view.two_factor_error) body += message_box("error", *view.two_factor_error);
        if (view.two_factor_enabled) {
            body += "<p><span class=\"badge on\" id=\"totp-status\">On</span> Password sign-ins need a code from "
                    "your authenticator app.</p>\n";
            body += "<form method=\"post\" action=\"/settings/two-factor/disable/\">\n" + csrf_field(view.csrf_token);
            body += "<label for=\"disable-code\">Current code</label>\n" + code_input("disable-code");
            body += "<button type=\"submit\" class=\"danger\" id=\"disable-totp\">Turn off two-factor "
                    "authentication</button>\n</form>\n";
        } else {
            body += "<p><span class=\"badge off\" id=\"totp-status\">Off</span> Add a code from an authenticator "
                    "app to password sign-ins.</p>\n";
            body += "<form method=\"post\" action=\"/settings/two-factor/\">\n" + csrf_field(view.csrf_token);
            body += "<button type=\"submit\" id=\"enable-totp\">Set up two-factor authentication</button>\n</form>\n";
        }
        body += "</section>\n";
    }

    body += "<section aria-labelledby=\"password-heading\">\n<h2 id=\"password-heading\">Change password</h2>\n";
    if (view.password_error) body += message_box("error", *view.password_error);
    body += "<form method=\"post\" action=\"/settings/password/\">\n" + csrf_field(view.csrf_token);
    body += "<label for=\"current-password\">Current password</label>\n";
    body += "<input id=\"current-password\" name=\"current_password\" type=\"password\" "
            "autocomplete=\"current-password\" required>\n";
    body += "<label for=\"new-password\">New password</label>\n";
    body += "<input id=\"new-password\" name=\"new_password\" type=\"password\" autocomplete=\"new-password\" "
            "minlength=\"8\" required>\n";
    body += "<label for=\"confirm-password\">Repeat new password</label>\n";
    body += "<input id=\"confirm-password\" name=\"confirm_password\" type=\"password\" autocomplete=\"new-password\" "
            "minlength=\"8\" required>\n";
    body += "<button type=\"submit\" id=\"change-password\">Change password</button>\n</form>\n";
    body += "<p class=\"muted\">Changing the password signs out every other browser.</p>\n</section>\n</main>\n";
    return layout("Settings", body);
}

std::string render_new_token_confirmation(std::string_view company, std::string_view csrf_token) {
    std::string body = "<main class=\"card narrow\">\n<h1>Generate a new token?</h1>\n";
    body += "<p>The current token of <strong>" + escape_html(company) +
            "</strong> stops working at once. Every integration that uses it must be given the new one.</p>\n";
    body += "<form method=\"post\" action=\"/settings/new-token/\">\n" + csrf_field(csrf_token);
    body += "<button type=\"submit\" class=\"danger\" id=\"confirm-new-token\">Generate new token</button>\n";
    body += "<a class=\"button secondary\" href=\"/settings/\">Cancel</a>\n</form>\n</main>\n";
    return layout("Generate a new token", body);
}

std::string render_two_factor_setup_page(const TwoFactorSetupView& view) {
    std::string body = "<main class=\"card narrow\">\n<h1>Set up two-factor authentication</h1>\n";
    if (view.error) body += message_box("error", *view.error);
    body += "<p>Scan the QR code with an authenticator app, or type the secret into it by hand. Then enter the "
            "code the app shows.</p>\n";
    body += "<div class=\"qr\">" + view.qr_code_svg + "</div>\n";
    body += "<p>Secret: <code id=\"totp-secret\" class=\"secret\">" + escape_html(view.secret_base32) + "</code></p>\n";
    body += "<form method=\"post\" action=\"/settings/two-factor/confirm/\">\n" + csrf_field(view.csrf_token);
    body += "<label for=\"code\">Code from the app</label>\n" + code_input("code");
    body += "<button type=\"submit\" id=\"confirm-totp\">Turn on</button>\n";
    body += "<a class=\"button secondary\" href=\"/settings/\">Cancel</a>\n</form>\n</main>\n";
    return layout("Set up two-factor authentication", body);
}

std::string render_recovery_codes_page(const RecoveryCodesView& view) {
    std::string body = "<main class=\"card narrow\">\n<h1>Two-factor authentication is on</h1>\n";
    body += "<p>Save these recovery codes somewhere safe. Each one signs you in once without the app. They are "
            "shown only now.</p>\n<ul class=\"codes\" id=\"recovery-codes\">\n";
    for (const std::string& code : view.recovery_codes) body += "<li><code>" + escape_html(code) + "</code></li>\n";
    body += "</ul>\n<p><a class=\"button\" href=\"/settings/\">Back to settings</a></p>\n</main>\n";
    return layout("Recovery codes", body);
}

std::string render_error_page(http::Status status, std::string_view message) {
    std::string body = "<main class=\"card narrow\">\n<h1>" + std::to_string(static_cast<unsigned>(status)) + " " +
                       escape_html(std::string(http::beast_http::obsolete_reason(status))) + "</h1>\n";
    body += "<p id=\"error-message\">" + escape_html(message) + "</p>\n";
    body += "<p><a href=\"/settings/\">Back to settings</a></p>\n</main>\n";
    return layout("Error", body);
}

}  // namespace openbar::web
