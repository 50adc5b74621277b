#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace openbar::web {

// Server-rendered HTML of the settings pages. Every function escapes the
// values it is given; callers pass plain text.

struct LoginView {
    std::string company;
    std::string csrf_token;
    std::string next;      // same-origin path to go to after sign-in
    std::string username;  // refilled after a failed attempt
    std::optional<std::string> error;
};

struct SecondFactorView {
    std::string company;
    std::string csrf_token;
    std::string next;
    std::optional<std::string> error;
};

struct SettingsView {
    std::string company;
    std::string username;
    std::string csrf_token;
    std::string access_token;
    std::optional<std::string> notice;
    std::optional<std::string> password_error;
    bool two_factor_available = false;  // the server supports TOTP
    bool two_factor_enabled = false;
    std::optional<std::string> two_factor_error;
};

struct TwoFactorSetupView {
    std::string company;
    std::string username;
    std::string csrf_token;
    std::string secret_base32;
    std::string qr_code_svg;  // trusted markup made by qr_code_svg()
    std::optional<std::string> error;
};

struct RecoveryCodesView {
    std::string company;
    std::vector<std::string> recovery_codes;
};

std::string render_login_page(const LoginView& view);
std::string render_second_factor_page(const SecondFactorView& view);
std::string render_settings_page(const SettingsView& view);
std::string render_new_token_confirmation(std::string_view company, std::string_view csrf_token);
std::string render_two_factor_setup_page(const TwoFactorSetupView& view);
std::string render_recovery_codes_page(const RecoveryCodesView& view);
std::string render_error_page(http::Status status, std::string_view message);

// Shows the last four characters of a token after a fixed row of dots.
std::string mask_token(std::string_view token);

}  // namespace openbar::web
