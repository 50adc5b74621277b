#include <iostream>

#include "audit/audit_sink.hpp"
#include "auth/access_token_service.hpp"
#include "auth/authorization_header.hpp"
#include "auth/password_hasher.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "util/text.hpp"

namespace openbar::cli {
namespace {

// Usernames travel in Basic credentials, which cannot carry a colon in the
// user-id (RFC 7617 section 2), and `access-token` is the marker for token
// credentials in Basic auth, so neither may name a user.
void validate_username(const std::string& username) {
    if (username.empty() || username.size() > 150) {
        throw CommandError("invalid username '" + username + "': use 1 to 150 characters");
    }
    if (username.find(':') != std::string::npos) {
        throw CommandError("invalid username '" + username + "': a username cannot contain ':'");
    }
    if (!util::is_valid_utf8(username) || auth::has_control_character(username) ||
        username.find(' ') != std::string::npos) {
        throw CommandError("invalid username: use printable UTF-8 without spaces");
    }
    if (util::iequals(username, auth::access_token_user_id)) {
        throw CommandError("username '" + username +
                           "' is reserved: Basic auth with it sends an access token; choose another name");
    }
}

void create_company(const GlobalOptions& options, const std::string& name) {
    if (!util::is_dns_label(name)) {
        throw CommandError("invalid company name '" + name +
                           "': use a lower-case DNS label (a-z, 0-9 and '-', at most 63 characters)");
    }
    auto context = Context::open(options);
    if (context.store->find_company(name)) {
        throw CommandError("company '" + name + "' already exists; choose another name");
    }
    try {
        context.store->create_company(name);
    } catch (const store::StoreError& error) {
        if (error.kind() == store::StoreError::Kind::conflict) {
            throw CommandError("company '" + name + "' already exists; choose another name");
        }
        throw;
    }
    std::cout << "created company " << name << "\n";
}

void create_user(const GlobalOptions& options, const std::string& company_name, const std::string& username) {
    validate_username(username);
    auto context = Context::open(options);
    auto company = require_company(*context.store, company_name);
    if (context.store->find_user(company.id, username)) {
        throw CommandError("user '" + username + "' already exists in company '" + company_name +
                           "'; use 'openbar user set-password' to change its password");
    }
    std::string password = read_password_from_stdin();
    std::string hash = auth::PasswordHasher().hash(password);
    try {
        context.store->create_user(company.id, username, hash);
    } catch (const store::StoreError& error) {
        if (error.kind() == store::StoreError::Kind::conflict) {
            throw CommandError("user '" + username + "' already exists in company '" + company_name + "'");
        }
        throw;
    }
    record_cli_change(*context.store, audit::event_user_created, company, username);
    std::cout << "created user " << username << " in company " << company_name << "\n";
}

void set_password(const GlobalOptions& options, const std::string& company_name, const std::string& username) {
    auto context = Context::open(options);
    auto company = require_company(*context.store, company_name);
    auto user = require_user(*context.store, company, username);
    std::string password = read_password_from_stdin();
    context.store->set_password_hash(user.id, auth::PasswordHasher().hash(password));
    record_cli_change(*context.store, audit::event_password_changed, company, username);
    std::cout << "password changed for user " << username << " in company " << company_name << "\n";
}

void set_user_active(const GlobalOptions& options, const std::string& company_name, const std::string& username,
                     bool active) {
    auto context = Context::open(options);
    auto company = require_company(*context.store, company_name);
    auto user = require_user(*context.store, company, username);
    bool changed = context.store->set_user_active(user.id, active);
    std::cout << "user " << username << " in company " << company_name << (changed ? " is now " : " was already ")
              << (active ? "enabled" : "disabled") << "\n";
}

void show_token(const GlobalOptions& options, const std::string& company_name, const std::string& username,
                bool rotate) {
    auto context = Context::open(options);
    auto company = require_company(*context.store, company_name);
    auto user = require_user(*context.store, company, username);
    auth::AccessTokenService tokens(*context.store, *context.keys);

    bool created = false;
    std::string token = rotate ? tokens.rotate(user.id) : tokens.current_token(user.id, &created);
    auto stored = context.store->find_current_token(user.id);
    std::optional<std::int64_t> token_id;
    if (stored) token_id = stored->id;
    if (rotate || created) {
        record_cli_change(*context.store, rotate ? audit::event_token_rotated : audit::event_token_created, company,
                          username, token_id);
    }

    // The token alone goes to stdout, so scripts can capture it with $(...).
    std::cout << token << "\n";
    if (!rotate) {
        if (stored && stored->last_used_at) {
            std::cerr << "last used: " << *stored->last_used_at << " from " << stored->last_used_address.value_or("")
                      << "\n";
        } else {
            std::cerr << "last used: never\n";
        }
    }
}

}  // namespace

void add_account_commands(CLI::App& app, const GlobalOptions& options) {
    struct Arguments {
        std::string company;
        std::string username;
        bool password_stdin = false;
    };
    auto arguments = std::make_shared<Arguments>();

    auto* company = app.add_subcommand("company", "Manage companies (tenants)");
    company->require_subcommand(1);
    auto* company_create = company->add_subcommand("create", "Create a company served at NAME.BASE_DOMAIN");
    company_create->add_option("NAME", arguments->company, "Company name: a lower-case DNS label")->required();
    company_create->callback([&options, arguments] { create_company(options, arguments->company); });

    auto* user = app.add_subcommand("user", "Manage users");
    user->require_subcommand(1);
    auto add_user_arguments = [arguments](CLI::App* command) {
        command->add_option("COMPANY", arguments->company, "Company name")->required();
        command->add_option("USERNAME", arguments->username, "Username")->required();
        command->add_flag("--password-stdin", arguments->password_stdin, "Read the password as one line from stdin")
            ->required();
    };
    auto* user_create = user->add_subcommand("create", "Create a user with a password read from stdin");
    add_user_arguments(user_create);
    user_create->callback([&options, arguments] { create_user(options, arguments->company, arguments->username); });
    auto* user_password = user->add_subcommand("set-password", "Replace a user's password with one read from stdin");
    add_user_arguments(user_password);
    user_password->callback([&options, arguments] { set_password(options, arguments->company, arguments->username); });

    auto add_user_name_arguments = [arguments](CLI::App* command) {
        command->add_option("COMPANY", arguments->company, "Company name")->required();
        command->add_option("USERNAME", arguments->username, "Username")->required();
    };
    auto* user_disable = user->add_subcommand("disable", "Reject every credential of the user until it is enabled");
    add_user_name_arguments(user_disable);
    user_disable->callback(
        [&options, arguments] { set_user_active(options, arguments->company, arguments->username, false); });
    auto* user_enable = user->add_subcommand("enable", "Accept the credentials of a disabled user again");
    add_user_name_arguments(user_enable);
    user_enable->callback(
        [&options, arguments] { set_user_active(options, arguments->company, arguments->username, true); });

    auto* token = app.add_subcommand("token", "Show or rotate a user's API access token");
    token->require_subcommand(1);
    auto add_token_arguments = [arguments](CLI::App* command) {
        command->add_option("COMPANY", arguments->company, "Company name")->required();
        command->add_option("USERNAME", arguments->username, "Username")->required();
    };
    auto* token_show = token->add_subcommand(
        "show",
        "Print the user's current token on stdout, creating it if needed, and on stderr when and from which client "
        "address it was last used: 'last used: 2026-12-04T20:00:00Z from 203.0.113.7' or 'last used: never'. "
        "The server records a token's last use at most once a minute per token");
    add_token_arguments(token_show);
    token_show->callback([&options, arguments] { show_token(options, arguments->company, arguments->username, false); });
    auto* token_rotate = token->add_subcommand("rotate", "Replace the user's token and print the new one");
    add_token_arguments(token_rotate);
    token_rotate->callback([&options, arguments] { show_token(options, arguments->company, arguments->username, true); });
}

}  // namespace openbar::cli
