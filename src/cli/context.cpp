#include "cli/context.hpp"

#include <sodium.h>

#include <filesystem>
#include <iostream>

#include "audit/audit_sink.hpp"
#include "auth/authorization_header.hpp"
#include "cli/cli.hpp"
#include "util/text.hpp"

namespace openbar::cli {

std::string default_key_file(const std::string& database_url) {
    constexpr std::string_view sqlite_scheme = "sqlite:";
    if (database_url.starts_with(sqlite_scheme) && database_url.size() > sqlite_scheme.size()) {
        return database_url.substr(sqlite_scheme.size()) + ".key";
    }
    return "openbar.key";
}

Context Context::open(const GlobalOptions& options) {
    Context context;
    context.store = store::open_store(options.database_url);
    std::string key_file = options.key_file.empty() ? default_key_file(options.database_url) : options.key_file;

    // A database that was used with a key must never get a new one silently:
    // every stored token and TOTP secret would stop opening.
    auto expected = context.store->key_fingerprint();
    if (expected && !std::filesystem::exists(key_file)) {
        throw CommandError("key file " + key_file +
                           " is missing, but the database was used with a server key; restore the key file from "
                           "a backup, or pass its path with --key-file");
    }
    context.keys = std::make_unique<auth::KeyRing>(auth::KeyRing::load_or_create(key_file));

    auto fingerprint = context.keys->lookup_hash("openbar server key fingerprint");
    if (!expected) {
        context.store->set_key_fingerprint(fingerprint);
    } else if (expected->size() != fingerprint.size() ||
               sodium_memcmp(expected->data(), fingerprint.data(), fingerprint.size()) != 0) {
        throw CommandError("key file " + key_file +
                           " does not belong to this database; restore the key file that was used with it");
    }
    return context;
}

store::Company require_company(store::Store& store, const std::string& name) {
    auto company = store.find_company(name);
    if (!company) {
        throw CommandError("company '" + name + "' not found; create it with: openbar company create " + name);
    }
    return *company;
}

store::User require_user(store::Store& store, const store::Company& company, const std::string& username) {
    auto user = store.find_user(company.id, username);
    if (!user) {
        throw CommandError("user '" + username + "' not found in company '" + company.name +
                           "'; create it with: openbar user create " + company.name + " " + username +
                           " --password-stdin");
    }
    return *user;
}

void record_cli_change(store::Store& store, std::string_view event_name, const store::Company& company,
                       const std::string& username, std::optional<std::int64_t> token_id) {
    store::AuditEvent event;
    event.event = event_name;
    event.company_id = company.id;
    event.username = username;
    event.token_id = token_id;
    event.method = audit::method_cli;
    event.outcome = audit::outcome_success;
    audit::StoreAuditSink(store.audit()).record(std::move(event));
}

std::string read_password_from_stdin() {
    std::string password;
    if (!std::getline(std::cin, password) && password.empty()) {
        throw CommandError("no password on standard input; pipe one line, e.g. printf '%s\\n' \"$PASSWORD\" | openbar ...");
    }
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.empty()) {
        throw CommandError("the password read from standard input is empty; supply a non-empty password");
    }
    // The server decodes Basic credentials as UTF-8 and rejects control
    // characters, so a password outside those rules could never sign in.
    if (!util::is_valid_utf8(password) || auth::has_control_character(password)) {
        throw CommandError("the password read from standard input is not UTF-8 text without control characters; "
                           "choose another password");
    }
    return password;
}

}  // namespace openbar::cli
