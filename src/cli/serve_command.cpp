#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include "api/services.hpp"
#include "audit/audit_log.hpp"
#include "auth/authenticator.hpp"
#include "store/caching_store.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"
#include "http/forwarded.hpp"
#include "http/pipeline.hpp"
#include "http/server.hpp"
#include "util/text.hpp"

namespace openbar::cli {
namespace {

void parse_listen(const std::string& listen, config::ServerConfig& config) {
    std::size_t colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
        throw CommandError("invalid --listen '" + listen + "': use HOST:PORT, e.g. 127.0.0.1:8080");
    }
    std::string host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    unsigned long port = 0;
    try {
        std::size_t used = 0;
        port = std::stoul(listen.substr(colon + 1), &used);
        if (used != listen.size() - colon - 1) throw std::invalid_argument("trailing characters");
    } catch (const std::exception&) {
        port = 70000;
    }
    if (port > 65535) {
        throw CommandError("invalid port in --listen '" + listen + "': use 0 to 65535");
    }
    config.listen_host = host;
    config.listen_port = static_cast<unsigned short>(port);
}

// Raises the soft open-file limit to the hard one, then lowers
// max_connections if it still does not fit, so the connection limit (503)
// is reached before accept() starts failing for lack of descriptors.
void fit_connection_limit(config::ServerConfig& config) {
    constexpr rlim_t reserved_descriptors = 64;  // database, key file, logs, listener
    struct rlimit limit {};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return;
    }
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur <= reserved_descriptors) {
        return;
    }
    auto fitting = static_cast<std::size_t>(limit.rlim_cur - reserved_descriptors);
    if (config.max_connections > fitting) {
        spdlog::warn("max_connections {} exceeds the open-file limit {}; using {} (raise it with ulimit -n)",
                     config.max_connections, static_cast<unsigned long long>(limit.rlim_cur), fitting);
        config.max_connections = fitting;
    }
}

void serve(const GlobalOptions& options, config::ServerConfig config, const std::string& listen) {
    parse_listen(listen, config);
    fit_connection_limit(config);
    config.base_domain = util::to_lower_ascii(config.base_domain);
    if (config.base_domain.ends_with('.')) config.base_domain.pop_back();
    for (std::string_view rest = config.base_domain;;) {
        std::size_t dot = rest.find('.');
        if (!util::is_dns_label(rest.substr(0, dot))) {
            throw CommandError("invalid --base-domain '" + config.base_domain +
                               "': use a DNS name such as localhost or api.example.com");
        }
        if (dot == std::string_view::npos) break;
        rest.remove_prefix(dot + 1);
    }
    if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
        throw CommandError("--tls-cert and --tls-key must be given together");
    }
    try {
        http::TrustedProxies checked(config.trusted_proxies);
    } catch (const std::invalid_argument& error) {
        throw CommandError(std::string("--trusted-proxy: ") + error.what());
    }

    spdlog::info("openbar starting: database {}", options.database_url.substr(0, options.database_url.find(':')));
    auto context = Context::open(options);

    // Every part of the server reads credentials through the cache, while
    // the CLI reads the database directly.
    store::CachingStore cached_store(*context.store, store::CachingStoreSettings{config.identity_cache_ttl,
                                                                                 config.identity_cache_max_entries});

    auth::PasswordHasher hasher;
    auth::WorkerPool hash_pool(config.hash_threads, config.hash_queue_limit);
    auth::AccessTokenService tokens(cached_store, *context.keys);
    // Constructed before the parts that record into it, and stopped after them.
    audit::AuditLog::Options audit_options;
    audit_options.flush_interval = config.audit_flush_interval;
    audit_options.queue_limit = config.audit_queue_limit;
    audit_options.retention_days = config.audit_retention_days;
    audit::AuditLog audit_log(cached_store.audit(), audit_options);

    auth::TotpService totp(cached_store, *context.keys, auth::TotpVerifier(auth::system_unix_clock()),
                           auth::BackoffPolicy{config.totp_lockout_failures, config.totp_first_lockout,
                                               config.totp_max_lockout},
                           config.throttle_max_tracked_keys);
    auth::PasswordAuthSettings password_settings;
    password_settings.account_lockout = {config.password_lockout_failures, config.password_first_lockout,
                                         config.password_max_lockout};
    password_settings.address_failure_limit = config.address_failure_limit;
    password_settings.address_failure_window = config.address_failure_window;
    password_settings.max_throttled_keys = config.throttle_max_tracked_keys;
    password_settings.cache_ttl = config.basic_cache_ttl;
    password_settings.cache_max_entries = config.basic_cache_max_entries;
    auth::Authenticator authenticator(cached_store, tokens, hasher, hash_pool, totp, password_settings);

    context.store->records().set_max_group_records(config.upload_group_max_records);
    context.store->records().set_wal_checkpoint_pages(config.wal_checkpoint_pages);

    http::Router router;
    api::Services services{config, cached_store, tokens,    authenticator, hasher, hash_pool,
                           *context.keys, totp,           audit_log, &authenticator.counters()};
    api::register_routes(router, services);

    http::Pipeline pipeline(config, cached_store, authenticator, router, audit_log);
    http::Server server(config, pipeline);
    server.bind();
    server.run();
    // Uploads still queued after the shutdown grace period are committed
    // here, while the sessions' io_contexts that their replies post to exist.
    context.store->records().wait_for_writes();

    // Password checks still queued may record audit events, so the audit
    // log stops last and writes whatever they left.
    hash_pool.stop();
    audit_log.stop();
}

}  // namespace

void add_serve_command(CLI::App& app, const GlobalOptions& options) {
    struct Arguments {
        config::ServerConfig config;
        std::string listen = "127.0.0.1:8080";
        long long header_timeout = 30;
        long long body_timeout = 120;
        long long write_timeout = 60;
        long long shutdown_grace = 10;
        long long web_session_idle_timeout = 30 * 60;
        long long web_session_lifetime = 12 * 60 * 60;
        long long web_second_factor_timeout = 5 * 60;
        long long password_first_lockout = 1;
        long long password_max_lockout = 900;
        long long address_failure_window = 600;
        long long basic_cache_ttl = 300;
        long long identity_cache_ttl_ms = 1000;
        long long totp_first_lockout = 30;
        long long totp_max_lockout = 900;
        long long audit_flush_interval_ms = 1000;
    };
    auto arguments = std::make_shared<Arguments>();
    auto& config = arguments->config;

    auto* serve_command = app.add_subcommand("serve", "Run the HTTP API server");
    serve_command->add_option("--listen", arguments->listen, "Address and port to listen on, HOST:PORT")
        ->capture_default_str();
    serve_command->add_option("--base-domain", config.base_domain, "Tenants are served at COMPANY.BASE_DOMAIN")
        ->capture_default_str();
    serve_command->add_option("--threads", config.threads, "Network threads (0: two per core)")
        ->check(CLI::Range(0u, 1024u))
        ->capture_default_str();
    serve_command->add_option("--max-header-bytes", config.max_header_bytes, "Largest request header, in bytes (431 above)")
        ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 20))
        ->capture_default_str();
    serve_command->add_option("--max-body-bytes", config.max_body_bytes, "Largest request body, in bytes (413 above)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 32))
        ->capture_default_str();
    serve_command->add_option("--max-json-depth", config.max_json_depth,
                              "Deepest nesting of arrays and objects in a JSON body (400 above)")
        // SQLite 3.40's JSON functions treat a document nested deeper than
        // 2000 levels as invalid (checked with json_valid), so stored records
        // must stay well below that to remain filterable.
        ->check(CLI::Range(std::size_t{2}, store::max_record_depth))
        ->capture_default_str();
    serve_command->add_option("--max-read-limit", config.max_read_limit,
                              "Largest `limit` of a read from /api/data/, in records")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))
        ->capture_default_str();
    serve_command->add_option("--max-connections", config.max_connections, "Open connections before new ones get 503")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))
        ->capture_default_str();
    serve_command->add_option("--header-timeout", arguments->header_timeout,
                              "Seconds to wait for a request header, keep-alive idle time included")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    serve_command->add_option("--body-timeout", arguments->body_timeout, "Seconds to receive a request body")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    serve_command->add_option("--write-timeout", arguments->write_timeout, "Seconds to send a response")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    serve_command->add_option("--shutdown-grace", arguments->shutdown_grace,
                              "Seconds to let in-flight requests finish after SIGINT or SIGTERM")
        ->check(CLI::Range(0, 3600))
        ->capture_default_str();
    serve_command->add_option("--hash-threads", config.hash_threads, "Password hashing threads (0: one per core)")
        ->check(CLI::Range(0u, 1024u))
        ->capture_default_str();
    serve_command->add_option("--hash-queue-limit", config.hash_queue_limit,
                              "Password checks waiting for a hashing thread before new ones get 503")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))
        ->capture_default_str();
    serve_command->add_option("--web-session-idle-timeout", arguments->web_session_idle_timeout,
                              "Seconds without a request before a settings page sign-in ends")
        ->check(CLI::Range(1, 7 * 24 * 3600))
        ->capture_default_str();
    serve_command->add_option("--web-session-lifetime", arguments->web_session_lifetime,
                              "Seconds after which a settings page sign-in ends even when in use")
        ->check(CLI::Range(1, 30 * 24 * 3600))
        ->capture_default_str();
    serve_command->add_option("--web-second-factor-timeout", arguments->web_second_factor_timeout,
                              "Seconds a settings page sign-in waits for the TOTP code after a correct password")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    serve_command->add_option("--max-form-bytes", config.max_form_bytes,
                              "Largest settings page form body, in bytes (413 above)")
        ->check(CLI::Range(std::size_t{256}, std::size_t{1} << 20))
        ->capture_default_str();
    serve_command->add_option("--password-lockout-failures", config.password_lockout_failures,
                              "Consecutive failed passwords for an account before its password attempts get 429")
        ->check(CLI::Range(1u, 1000000u))
        ->capture_default_str();
    serve_command->add_option("--password-first-lockout", arguments->password_first_lockout,
                              "Seconds of the first password lockout; each further failure doubles it")
        ->check(CLI::Range(1, 86400))
        ->capture_default_str();
    serve_command->add_option("--password-max-lockout", arguments->password_max_lockout,
                              "Longest password lockout, in seconds")
        ->check(CLI::Range(1, 86400))
        ->capture_default_str();
    serve_command->add_option("--address-failure-limit", config.address_failure_limit,
                              "Failed passwords from one client address within the window before it gets 429")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))
        ->capture_default_str();
    serve_command->add_option("--address-failure-window", arguments->address_failure_window,
                              "Seconds over which failed passwords per client address are counted")
        ->check(CLI::Range(1, 86400))
        ->capture_default_str();
    serve_command->add_option("--basic-cache-ttl", arguments->basic_cache_ttl,
                              "Seconds a verified Basic username and password stays cached (0: no cache)")
        ->check(CLI::Range(0, 86400))
        ->capture_default_str();
    serve_command->add_option("--basic-cache-max-entries", config.basic_cache_max_entries,
                              "Verified Basic credentials kept in the cache at most (0: no cache)")
        ->check(CLI::Range(std::size_t{0}, std::size_t{10000000}))
        ->capture_default_str();
    serve_command->add_option("--identity-cache-ttl-ms", arguments->identity_cache_ttl_ms,
                              "Milliseconds a token owner or user read from the database is reused; changes made "
                              "through openbar end it at once, other changes to the database are seen after this "
                              "time (0: no cache)")
        ->check(CLI::Range(0, 3600 * 1000))
        ->capture_default_str();
    serve_command->add_option("--identity-cache-max-entries", config.identity_cache_max_entries,
                              "Cached token owners, users and current tokens per network thread and kind at most "
                              "(0: no cache)")
        ->check(CLI::Range(std::size_t{0}, std::size_t{10000000}))
        ->capture_default_str();
    serve_command->add_option("--totp-lockout-failures", config.totp_lockout_failures,
                              "Consecutive failed TOTP codes for a user before its code attempts get 429")
        ->check(CLI::Range(1u, 1000u))
        ->capture_default_str();
    serve_command->add_option("--totp-first-lockout", arguments->totp_first_lockout,
                              "Seconds of the first TOTP lockout; each further failure doubles it")
        ->check(CLI::Range(1, 86400))
        ->capture_default_str();
    serve_command->add_option("--totp-max-lockout", arguments->totp_max_lockout, "Longest TOTP lockout, in seconds")
        ->check(CLI::Range(1, 86400))
        ->capture_default_str();
    serve_command->add_option("--throttle-max-tracked-keys", config.throttle_max_tracked_keys,
                              "Users, account names or client addresses each failure throttle tracks at most")
        ->check(CLI::Range(std::size_t{16}, std::size_t{100000000}))
        ->capture_default_str();
    serve_command->add_option("--tls-cert", config.tls_cert_file, "PEM certificate chain; serves HTTPS with --tls-key")
        ->check(CLI::ExistingFile);
    serve_command->add_option("--tls-key", config.tls_key_file, "PEM private key for --tls-cert")->check(CLI::ExistingFile);
    serve_command->add_option("--trusted-proxy", config.trusted_proxies,
                              "CIDR block (or address) of a reverse proxy whose X-Forwarded-For and "
                              "X-Forwarded-Proto are believed; repeatable. From other peers both are ignored")
        ->take_all()
        ->allow_extra_args(false);
    serve_command->add_option("--audit-retention-days", config.audit_retention_days,
                              "Days to keep audit rows; older ones are deleted at start and every hour")
        ->check(CLI::Range(1u, 36500u))
        ->capture_default_str();
    serve_command->add_option("--audit-flush-interval-ms", arguments->audit_flush_interval_ms,
                              "Milliseconds between batched writes of the audit log (also written at shutdown)")
        ->check(CLI::Range(10, 3600 * 1000))
        ->capture_default_str();
    serve_command->add_option("--audit-queue-limit", config.audit_queue_limit,
                              "Audit events (and token use counters) waiting for a write; more are dropped and "
                              "counted in a warning")
        ->check(CLI::Range(std::size_t{1}, std::size_t{100000000}))
        ->capture_default_str();

    serve_command->add_option("--upload-group-max-records", config.upload_group_max_records,
                              "Maximum records that the upload writer commits in one transaction when several "
                              "uploads wait (a larger single upload commits alone)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{100000000}))
        ->capture_default_str();

    serve_command->add_option("--wal-checkpoint-pages", config.wal_checkpoint_pages,
                              "WAL pages (8 KiB, or 4 KiB in a database created by an older openbar) after "
                              "which a background thread copies the SQLite WAL into the database file; "
                              "uploads also copy it at eight times this size")
        ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}))
        ->capture_default_str();

    serve_command->callback([&options, arguments] {
        auto config = arguments->config;
        config.header_timeout = std::chrono::seconds(arguments->header_timeout);
        config.body_timeout = std::chrono::seconds(arguments->body_timeout);
        config.write_timeout = std::chrono::seconds(arguments->write_timeout);
        config.shutdown_grace = std::chrono::seconds(arguments->shutdown_grace);
        config.web_session_idle_timeout = std::chrono::seconds(arguments->web_session_idle_timeout);
        config.web_session_lifetime = std::chrono::seconds(arguments->web_session_lifetime);
        config.web_second_factor_timeout = std::chrono::seconds(arguments->web_second_factor_timeout);
        config.password_first_lockout = std::chrono::seconds(arguments->password_first_lockout);
        config.password_max_lockout = std::chrono::seconds(arguments->password_max_lockout);
        config.address_failure_window = std::chrono::seconds(arguments->address_failure_window);
        config.basic_cache_ttl = std::chrono::seconds(arguments->basic_cache_ttl);
        config.identity_cache_ttl = std::chrono::milliseconds(arguments->identity_cache_ttl_ms);
        config.totp_first_lockout = std::chrono::seconds(arguments->totp_first_lockout);
        config.totp_max_lockout = std::chrono::seconds(arguments->totp_max_lockout);
        config.audit_flush_interval = std::chrono::milliseconds(arguments->audit_flush_interval_ms);
        serve(options, config, arguments->listen);
    });
}

}  // namespace openbar::cli
