#include "cli/cli.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/commands.hpp"
#include "store/store.hpp"

namespace openbar::cli {

int run(int argc, char** argv) {
    CLI::App app{"openbar: a self-hosted, Custobar-compatible customer data API server"};
    app.require_subcommand(1);

    GlobalOptions options;
    app.add_option("--database", options.database_url, "Database URL: sqlite:PATH")
        ->envname("OPENBAR_DATABASE")
        ->capture_default_str();
    app.add_option("--key-file", options.key_file,
                   "Server key file, created with mode 0600 on first use (default: PATH.key beside an SQLite database)")
        ->envname("OPENBAR_KEY_FILE");
    app.add_option("--log-level", options.log_level, "Log level: trace, debug, info, warn, error")
        ->envname("OPENBAR_LOG_LEVEL")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
        ->capture_default_str();
    app.parse_complete_callback([&options] {
        // Logs go to stderr so that stdout carries only command output (tokens, secrets shown once).
        auto logger = spdlog::stderr_color_mt("openbar");
        spdlog::set_default_logger(logger);
        spdlog::set_level(spdlog::level::from_str(options.log_level));
    });

    add_serve_command(app, options);
    add_account_commands(app, options);
    add_totp_commands(app, options);
    add_audit_commands(app, options);

    try {
        app.parse(argc, argv);
        return 0;
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return app.exit(help);
    } catch (const CLI::ParseError& error) {
        std::cerr << "openbar: usage error: " << error.what() << "; run 'openbar --help' for usage\n";
        return 2;
    } catch (const CommandError& error) {
        std::cerr << "openbar: error: " << error.what() << "\n";
        return 1;
    } catch (const store::StoreError& error) {
        std::cerr << "openbar: error: database: " << error.what() << "\n";
        return 1;
    } catch (const std::exception& error) {
        std::cerr << "openbar: error: " << error.what() << "\n";
        return 1;
    }
}

}  // namespace openbar::cli
