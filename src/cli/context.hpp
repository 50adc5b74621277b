#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/key_ring.hpp"
#include "store/store.hpp"

namespace openbar::cli {

// Options shared by every command.
struct GlobalOptions {
    std::string database_url = "sqlite:openbar.db";
    std::string key_file;  // empty: derived from the database URL
    std::string log_level = "info";
};

// The key file used when --key-file is not given: PATH.key beside an SQLite
// database, otherwise openbar.key in the working directory.
std::string default_key_file(const std::string& database_url);

// Opens the database and the key ring that commands work on.
struct Context {
    std::unique_ptr<store::Store> store;
    std::unique_ptr<auth::KeyRing> keys;

    static Context open(const GlobalOptions& options);
};

// Looks up a company and user by name or throws CommandError saying which is missing.
store::Company require_company(store::Store& store, const std::string& name);
store::User require_user(store::Store& store, const store::Company& company, const std::string& username);

// Writes an audit row, at once, for a credential change made with the
// command line (method "cli"): `event` is one of the audit::event_* names.
void record_cli_change(store::Store& store, std::string_view event, const store::Company& company,
                       const std::string& username, std::optional<std::int64_t> token_id = std::nullopt);

// Reads one line from stdin as a password; throws CommandError when it is empty.
std::string read_password_from_stdin();

}  // namespace openbar::cli
