#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace openbar::config {

// Settings of `openbar serve`. Every resource limit lives here under a name
// with its unit, so operators and tests can find and change it.
struct ServerConfig {
    std::string listen_host = "127.0.0.1";
    unsigned short listen_port = 8080;
    std::string base_domain = "localhost";
    unsigned threads = 0;  // network threads; 0 means two per core

    // HTTP limits.
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_body_bytes = 32 * 1024 * 1024;
    std::size_t max_connections = 10000;
    // Arrays and objects nested in a JSON body (400 above).
    std::size_t max_json_depth = 64;
    // Records that one read of /api/data/ may request with `limit`.
    std::size_t max_read_limit = 10000;
    std::chrono::seconds header_timeout{30};    // idle keep-alive wait included
    std::chrono::seconds body_timeout{120};
    std::chrono::seconds write_timeout{60};
    std::chrono::seconds shutdown_grace{10};    // wait for in-flight requests

    // Password hashing runs on its own bounded pool so it never blocks the
    // network threads; a full queue gets 503.
    unsigned hash_threads = 0;                  // 0 means the number of cores
    std::size_t hash_queue_limit = 256;

    // Settings web pages. A browser session ends after the idle timeout
    // without a request or at the end of its lifetime, whichever is first.
    std::chrono::seconds web_session_idle_timeout{30 * 60};
    std::chrono::seconds web_session_lifetime{12 * 60 * 60};
    // Time from a correct password to the TOTP code on the sign-in page.
    std::chrono::seconds web_second_factor_timeout{5 * 60};
    std::size_t max_form_bytes = 16 * 1024;  // larger form posts get 413
    // Password throttling, for Basic with a username and password only.
    // Consecutive failures per (company, username) before its password
    // attempts get 429; the lockout starts at first_lockout and doubles
    // with each further failure up to max_lockout.
    unsigned password_lockout_failures = 10;
    std::chrono::seconds password_first_lockout{1};
    std::chrono::seconds password_max_lockout{900};
    // A client address with more than address_failure_limit failed
    // passwords within address_failure_window gets 429 for passwords.
    std::size_t address_failure_limit = 100;
    std::chrono::seconds address_failure_window{600};

    // Successful Basic verifications kept in memory, so repeated requests
    // skip argon2id. 0 for either turns the cache off.
    std::chrono::seconds basic_cache_ttl{300};
    std::size_t basic_cache_max_entries = 10000;

    // Maximum time a token owner, user or current token read from the
    // database is reused. Changes made through openbar (server or CLI)
    // retire them at once, so this time only bounds how long a change made
    // by other means goes unseen. 0 for either field turns the cache off.
    std::chrono::milliseconds identity_cache_ttl{1000};
    std::size_t identity_cache_max_entries = 10000;  // per network thread and kind

    // Failed TOTP codes per user before code attempts get 429, and the
    // lockout that follows: first_lockout, doubling with each further
    // failure up to max_lockout.
    unsigned totp_lockout_failures = 5;
    std::chrono::seconds totp_first_lockout{30};
    std::chrono::seconds totp_max_lockout{900};
    // Keys (users, account names, client addresses) each failure throttle
    // tracks at most, bounding its memory.
    std::size_t throttle_max_tracked_keys = 100000;

    // TLS (both set, or neither).
    std::string tls_cert_file;
    std::string tls_key_file;
    // Peers whose X-Forwarded-For and X-Forwarded-Proto are believed.
    std::vector<std::string> trusted_proxies;   // CIDR blocks

    // Audit log: rows are written in batches off the request path.
    unsigned audit_retention_days = 90;
    std::chrono::milliseconds audit_flush_interval{1000};
    std::size_t audit_queue_limit = 100000;     // queued events; more are dropped and counted

    // Uploads: the writer thread stops adding queued uploads to one
    // transaction at this many records (one larger upload still commits alone).
    std::size_t upload_group_max_records = 50000;
    // Uploads: WAL pages (8 KiB each in a new database) after which the
    // checkpointer thread copies the WAL into the database file. The writer
    // copies too at eight times this size, which bounds the WAL file.
    std::size_t wal_checkpoint_pages = 5000;
};

}  // namespace openbar::config
