#include <qrencode.h>

#include <iostream>
#include <memory>

#include "auth/totp.hpp"
#include "auth/totp_service.hpp"
#include "audit/audit_sink.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"

namespace openbar::cli {
namespace {

constexpr const char* totp_issuer = "openbar";

// Draws a QR code with Unicode half blocks, two module rows per text line,
// inside a 4-module quiet zone, the margin QR readers expect. Light modules
// are drawn as blocks, which suits terminals with a dark background.
std::string render_qr_code(const std::string& text) {
    std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
        QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
    if (!code) {
        throw CommandError("could not draw the QR code; add the secret to the authenticator app by hand");
    }
    constexpr int quiet_zone = 4;
    int width = code->width;
    auto dark = [&](int x, int y) {
        x -= quiet_zone;
        y -= quiet_zone;
        if (x < 0 || y < 0 || x >= width || y >= width) return false;
        return (code->data[y * width + x] & 1) != 0;
    };

    std::string drawing;
    int size = width + 2 * quiet_zone;
    for (int y = 0; y < size; y += 2) {
        for (int x = 0; x < size; ++x) {
            bool top_light = !dark(x, y);
            bool bottom_light = y + 1 < size ? !dark(x, y + 1) : false;
            if (top_light && bottom_light) {
                drawing += "\u2588";
            } else if (top_light) {
                drawing += "\u2580";
            } else if (bottom_light) {
                drawing += "\u2584";
            } else {
                drawing += " ";
            }
        }
        drawing += "\n";
    }
    return drawing;
}

void enable_totp(const GlobalOptions& options, const std::string& company_name, const std::string& username,
                 const std::optional<std::string>& secret_base32) {
    std::string secret;
    if (secret_base32) {
        auto decoded = auth::totp::decode_secret(*secret_base32);
        if (!decoded) {
            throw CommandError("invalid --secret: use base32 (letters A-Z and digits 2-7) encoding " +
                               std::to_string(auth::totp::min_secret_bytes) + " to " +
                               std::to_string(auth::totp::max_secret_bytes) + " bytes, or omit it to generate one");
        }
        secret = std::move(*decoded);
    } else {
        secret = auth::totp::generate_secret();
    }

    auto context = Context::open(options);
    auto company = require_company(*context.store, company_name);
    auto user = require_user(*context.store, company, username);
    if (context.store->totp().find_totp(user.id)) {
        throw CommandError("user '" + username + "' in company '" + company_name +
                           "' already has TOTP enabled; run 'openbar totp disable " + company_name + " " + username +
                           "' first to enrol a new secret");
    }

    auth::TotpService totp(*context.store, *context.keys, auth::TotpVerifier(auth::system_unix_clock()),
                           auth::BackoffPolicy{}, 1);
    auto recovery_codes = totp.enable(user.id, secret);
    record_cli_change(*context.store, audit::event_totp_enabled, company, username);
    std::string uri = auth::totp::provisioning_uri(secret, totp_issuer, username + "@" + company_name);

    std::cout << "TOTP enabled for user " << username << " in company " << company_name << ".\n"
              << "secret: " << auth::totp::encode_secret(secret) << "\n"
              << "uri: " << uri << "\n\n"
              << render_qr_code(uri) << "\n"
              << "recovery codes (each works once, and they are not shown again):\n";
    for (const auto& code : recovery_codes) {
        std::cout << "  " << code << "\n";
    }
}

void disable_totp(const GlobalOptions& options, const std::string& company_name, const std::string& username) {
    auto context = Context::open(options);
    auto company = require_company(*context.store, company_name);
    auto user = require_user(*context.store, company, username);
    if (context.store->totp().disable_totp(user.id)) {
        record_cli_change(*context.store, audit::event_totp_disabled, company, username);
        std::cout << "TOTP disabled for user " << username << " in company " << company_name << "\n";
    } else {
        std::cout << "TOTP was not enabled for user " << username << " in company " << company_name << "\n";
    }
}

void show_totp_status(const GlobalOptions& options, const std::string& company_name, const std::string& username) {
    auto context = Context::open(options);
    auto company = require_company(*context.store, company_name);
    auto user = require_user(*context.store, company, username);
    auto credential = context.store->totp().find_totp(user.id);
    if (!credential) {
        std::cout << "TOTP disabled for user " << username << " in company " << company_name << "\n";
        return;
    }
    std::cout << "TOTP enabled for user " << username << " in company " << company_name << " since "
              << credential->enabled_at << "; " << credential->unused_recovery_codes << " of "
              << auth::recovery::codes_per_user << " recovery codes unused\n";
}

}  // namespace

void add_totp_commands(CLI::App& app, const GlobalOptions& options) {
    struct Arguments {
        std::string company;
        std::string username;
        std::optional<std::string> secret;
    };
    auto arguments = std::make_shared<Arguments>();
    auto add_user_arguments = [arguments](CLI::App* command) {
        command->add_option("COMPANY", arguments->company, "Company name")->required();
        command->add_option("USERNAME", arguments->username, "Username")->required();
    };

    auto* totp = app.add_subcommand("totp", "Manage two-factor authentication (TOTP) for password logins");
    totp->require_subcommand(1);

    auto* enable = totp->add_subcommand(
        "enable", "Enrol a user: print the secret, an otpauth:// URI, a QR code and 10 single-use recovery codes");
    add_user_arguments(enable);
    enable->add_option("--secret", arguments->secret,
                       "Use this base32 secret instead of a new random 160-bit one (case and spaces ignored)");
    enable->callback([&options, arguments] {
        enable_totp(options, arguments->company, arguments->username, arguments->secret);
    });

    auto* disable = totp->add_subcommand("disable", "Remove a user's TOTP secret and recovery codes");
    add_user_arguments(disable);
    disable->callback([&options, arguments] { disable_totp(options, arguments->company, arguments->username); });

    auto* status = totp->add_subcommand("status", "Show whether a user has TOTP enabled");
    add_user_arguments(status);
    status->callback([&options, arguments] { show_totp_status(options, arguments->company, arguments->username); });
}

}  // namespace openbar::cli
