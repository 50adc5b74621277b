#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "audit/audit_sink.hpp"
#include "auth/authenticator.hpp"
#include "config/config.hpp"
#include "http/exchange.hpp"
#include "http/forwarded.hpp"
#include "http/router.hpp"
#include "store/store.hpp"

namespace openbar::http {

// The steps every request goes through once its header has arrived, in
// order: resolve the client address, parse the target, resolve the tenant, match the route, check the
// method, authenticate; then, once the body has arrived, run the handler.
// Every failure becomes an ApiError rendered by error_response().
class Pipeline {
public:
    using Continue = std::function<void(std::optional<Response>)>;

    // Throws std::invalid_argument when config.trusted_proxies holds an invalid block.
    Pipeline(const config::ServerConfig& config, store::Store& store, auth::Authenticator& authenticator,
             const Router& router, audit::AuditSink& audit)
        : config_(config),
          store_(store),
          authenticator_(authenticator),
          router_(router),
          audit_(audit),
          trusted_proxies_(config.trusted_proxies) {}

    // Runs the header steps. Calls `next` exactly once, possibly on another
    // thread: with a response when the request ends before its body is read,
    // or with nothing when the caller should read the body and call
    // handle(). Credentials are checked before the body is read, so an
    // unauthenticated client cannot make the server buffer a large upload.
    void admit(Exchange& exchange, Continue next);

    // Runs the route's handler and passes its response to `done`, possibly
    // on another thread. Never throws: errors become responses.
    void handle(Exchange& exchange, Respond done);

private:
    // The company a Host header value names, if it exists.
    std::optional<store::Company> company_for_host(std::string_view host);
    std::optional<store::Company> find_company(const std::string& name);
    void record_authentication(const Exchange& exchange, const auth::AuthResult& result);

    const config::ServerConfig& config_;
    store::Store& store_;
    auth::Authenticator& authenticator_;
    const Router& router_;
    audit::AuditSink& audit_;
    const TrustedProxies trusted_proxies_;

    // Companies are never deleted or renamed, so a found one can be cached
    // for the life of the process. Misses are not cached, so a company
    // created by the CLI while the server runs is seen at once.
    std::mutex companies_mutex_;
    std::unordered_map<std::string, store::Company> companies_;
    // Distinguishes this pipeline's entries in the per-thread Host cache from
    // those of an earlier pipeline at the same address (tests create many).
    const std::uint64_t instance_ = next_instance_.fetch_add(1);
    static inline std::atomic<std::uint64_t> next_instance_{1};
};

// The audit reason code of an authentication failure: the same code the
// API's error response carries.
std::string_view audit_reason(auth::AuthFailure failure);

// The User-Agent header as text for the audit log, or an empty string: the
// value itself when it is UTF-8, or else its Latin-1 decoding in `storage`.
std::string_view user_agent_text(const Request& request, std::string& storage);

// user_agent_text() as a string of its own.
std::string user_agent_of(const Request& request);

// Maps an exception thrown while handling `exchange` to its error response
// and logs what the client does not see. For asynchronous handlers that
// catch errors on another thread.
Response response_for_exception(const Exchange& exchange, std::exception_ptr error);

// Returns the response for an authentication failure (status, body, and
// WWW-Authenticate or Retry-After headers).
Response auth_failure_response(const auth::AuthResult& result, const std::string& realm);

}  // namespace openbar::http
