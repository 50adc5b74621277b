#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace openbar::cli {

// Each adds its subcommands to `app`; the callbacks run after parsing.
void add_serve_command(CLI::App& app, const GlobalOptions& options);
void add_account_commands(CLI::App& app, const GlobalOptions& options);
void add_totp_commands(CLI::App& app, const GlobalOptions& options);
void add_audit_commands(CLI::App& app, const GlobalOptions& options);

}  // namespace openbar::cli
