#include "http/pipeline.hpp"

#include <spdlog/spdlog.h>

#include "auth/authorization_header.hpp"
#include "http/api_error.hpp"
#include "http/content_encoding.hpp"
#include "http/tenant.hpp"
#include "util/text.hpp"

namespace openbar::http {
namespace {

// Adds the values of every field `known` to `values`, walking the field
// list as find_field() does. Beast has an enum value for standard field
// names but not for `Custobar-TOTP-Code`. For that one, pass field::unknown
// and the name, which is then compared as text, ignoring case.
template <class Values>
void add_header_values(const Request& request, beast_http::field known, std::string_view name, Values& values) {
    for (const auto& field : request) {
        bool match = known != beast_http::field::unknown
                         ? field.name() == known
                         : field.name() == beast_http::field::unknown && util::iequals(field.name_string(), name);
        if (match) values.emplace_back(field.value());
    }
}

// Returns the next field after `field` with the same name, or request.end().
beast_http::fields::const_iterator find_field_after(const Request& request, beast_http::fields::const_iterator field) {
    for (auto it = std::next(field); it != request.end(); ++it) {
        if (it->name() == field->name()) return it;
    }
    return request.end();
}

ApiError not_found_error() {
    return ApiError(ErrorKind::not_found, "not_found", "no such resource");
}

}  // namespace

// The audit reason code of a failure: the same code the response carries.
std::string_view audit_reason(auth::AuthFailure failure) {
    using auth::AuthFailure;
    switch (failure) {
        case AuthFailure::none: return "";
        case AuthFailure::missing_credentials: return "not_authenticated";
        case AuthFailure::duplicate_header: return "duplicate_authorization";
        case AuthFailure::malformed_credentials: return "malformed_credentials";
        case AuthFailure::invalid_credentials: return "authentication_failed";
        case AuthFailure::totp_required: return "totp_required";
        case AuthFailure::totp_invalid: return "totp_invalid";
        case AuthFailure::totp_reused: return "totp_reused";
        case AuthFailure::throttled: return "throttled";
        case AuthFailure::overloaded: return "overloaded";
        case AuthFailure::store_unavailable: return "database_unavailable";
    }
    return "unknown";
}

std::string_view user_agent_text(const Request& request, std::string& storage) {
    auto agent = find_field(request, beast_http::field::user_agent);
    if (agent == request.end()) return {};
    // Header values may hold bytes that are not UTF-8; the audit log keeps text.
    std::string_view value = agent->value();
    if (util::is_valid_utf8(value)) return value;
    storage = auth::decode_utf8_or_latin1(value);
    return storage;
}

std::string user_agent_of(const Request& request) {
    std::string storage;
    return std::string(user_agent_text(request, storage));
}

Response auth_failure_response(const auth::AuthResult& result, const std::string& realm) {
    using auth::AuthFailure;
    auto challenge = [&](ApiError error) {
        // Offer both schemes (RFC 7235 section 4.1); the charset parameter
        // asks clients to send UTF-8 (RFC 7617 section 2.1).
        error.with_header("WWW-Authenticate", "Basic realm=\"" + realm + "\", charset=\"UTF-8\"")
            .with_header("WWW-Authenticate", "Token realm=\"" + realm + "\"");
        return error_response(error);
    };
    auto retry_after = std::to_string(std::max<long long>(1, result.retry_after.count()));

    switch (result.failure) {
        case AuthFailure::missing_credentials:
            return challenge(ApiError(ErrorKind::unauthorized, "not_authenticated", result.reason));
        case AuthFailure::duplicate_header:
            return error_response(ApiError(ErrorKind::bad_request, "duplicate_authorization", result.reason));
        case AuthFailure::malformed_credentials:
            return challenge(ApiError(ErrorKind::unauthorized, "malformed_credentials", result.reason));
        case AuthFailure::invalid_credentials:
            return challenge(ApiError(ErrorKind::unauthorized, "authentication_failed", result.reason));
        case AuthFailure::totp_required:
            return challenge(ApiError(ErrorKind::unauthorized, "totp_required", result.reason)
                                 .with_header("Custobar-TOTP-Code", "required"));
        case AuthFailure::totp_invalid:
            return challenge(ApiError(ErrorKind::unauthorized, "totp_invalid", result.reason));
        case AuthFailure::totp_reused:
            return challenge(ApiError(ErrorKind::unauthorized, "totp_reused", result.reason));
        case AuthFailure::throttled:
            return error_response(ApiError(ErrorKind::too_many_requests, "throttled", result.reason)
                                      .with_header("Retry-After", retry_after));
        case AuthFailure::overloaded:
            return error_response(ApiError(ErrorKind::unavailable, "overloaded", result.reason)
                                      .with_header("Retry-After", retry_after));
        case AuthFailure::store_unavailable:
            return error_response(ApiError(ErrorKind::unavailable, "database_unavailable", result.reason));
        case AuthFailure::none:
            break;
    }
    return error_response(ApiError(ErrorKind::internal, "internal_error", "authentication failed unexpectedly"));
}

std::optional<store::Company> Pipeline::company_for_host(std::string_view host) {
    // The connections a thread serves mostly send one Host value over and
    // over, so the thread keeps the last one it resolved. A byte-equal value
    // names the same company.
    struct LastHost {
        std::uint64_t pipeline = 0;
        std::string host;
        store::Company company;
    };
    thread_local LastHost last;
    if (last.pipeline == instance_ && last.host == host) return last.company;

    auto name = company_from_host(host, config_.base_domain);
    if (!name) return std::nullopt;
    auto company = find_company(*name);
    if (company) {
        last.pipeline = instance_;
        last.host = host;
        last.company = *company;
    }
    return company;
}

std::optional<store::Company> Pipeline::find_company(const std::string& name) {
    {
        std::lock_guard lock(companies_mutex_);
        auto found = companies_.find(name);
        if (found != companies_.end()) return found->second;
    }
    auto company = store_.find_company(name);
    if (company) {
        std::lock_guard lock(companies_mutex_);
        companies_.emplace(name, *company);
    }
    return company;
}

void Pipeline::record_authentication(const Exchange& exchange, const auth::AuthResult& result) {
    // Successful token requests are the bulk of all traffic, so they are
    // only counted; every other decision gets its own row.
    const auth::Principal* principal = result.principal ? &*result.principal : nullptr;
    if (principal && principal->token_id) {
        std::string decoded_agent;
        audit_.record_token_use(audit::TokenUse{*principal->token_id, principal->company.id, principal->user.username,
                                                auth::to_string(principal->method), exchange.client_address,
                                                user_agent_text(exchange.request, decoded_agent)});
        return;
    }

    store::AuditEvent event;
    event.event = audit::event_authentication;
    event.company_id = exchange.company->id;
    event.client_address = exchange.client_address;
    event.user_agent = user_agent_of(exchange.request);
    if (principal) {
        event.username = principal->user.username;
        event.method = auth::to_string(principal->method);
        event.outcome = audit::outcome_success;
    } else {
        event.username = result.username;
        if (result.method) event.method = auth::to_string(*result.method);
        event.outcome = audit::outcome_failure;
        event.reason = audit_reason(result.failure);
    }
    std::optional<store::AuditEvent> lockout;
    if (result.throttling_started) {
        lockout = event;
        lockout->event = audit::event_throttling_started;
        lockout->reason = result.failure == auth::AuthFailure::invalid_credentials ? "password_failures"
                                                                                    : "totp_failures";
    }
    audit_.record(std::move(event));
    if (lockout) audit_.record(std::move(*lockout));
}

void Pipeline::admit(Exchange& exchange, Continue next) {
    try {
        Request& request = exchange.request;

        apply_forwarded_headers(trusted_proxies_, exchange);

        // Target: origin-form only ("/path?query").
        if (!exchange.target.assign(request.target())) {
            throw ApiError(ErrorKind::bad_request, "invalid_target", "the request target is not a valid path");
        }
        exchange.target.decode_path(exchange.path);

        auto match = router_.match(exchange.path);
        if (!match) {
            throw not_found_error();
        }
        exchange.route = match->route;
        exchange.path_params = std::move(match->params);

        // Tenant: only the Host header counts; X-Forwarded-Host is ignored so
        // a client cannot pick another company's data through a proxy.
        if (exchange.route->access != Access::public_any_host) {
            // RFC 9112 section 3.2: a request with more than one Host is invalid.
            // The same section makes Host mandatory from HTTP/1.1 on.
            auto host = find_field(request, beast_http::field::host);
            if (host != request.end() && find_field_after(request, host) != request.end()) {
                throw ApiError(ErrorKind::bad_request, "duplicate_host", "send exactly one Host header");
            }
            if (host == request.end() && request.version() >= 11) {
                throw ApiError(ErrorKind::bad_request, "missing_host",
                               "the request has no Host header; send Host: COMPANY." + config_.base_domain);
            }
            if (host != request.end()) {
                exchange.company = company_for_host(host->value());
            }
            if (!exchange.company) {
                throw ApiError(ErrorKind::not_found, "unknown_company",
                               "no company is served at this host name; use COMPANY." + config_.base_domain);
            }
        }

        if (!exchange.route->methods.contains(request.method())) {
            throw ApiError(ErrorKind::method_not_allowed, "method_not_allowed",
                           "method " + std::string(request.method_string()) + " is not allowed on this path")
                .with_header("Allow", Router::allow_header(*exchange.route));
        }

        if (exchange.route->access != Access::tenant_api) {
            next(std::nullopt);
            return;
        }

        auth::AuthRequest auth_request;
        auth_request.company = *exchange.company;
        add_header_values(request, beast_http::field::authorization, "Authorization", auth_request.authorization);
        add_header_values(request, beast_http::field::unknown, "Custobar-TOTP-Code", auth_request.totp_codes);
        auth_request.client_address = exchange.client_address;
        // The exchange keeps `next`, so the callback captures two pointers,
        // which std::function stores without allocating.
        exchange.admitted = std::move(next);
        authenticator_.authenticate(std::move(auth_request), [this, &exchange](auth::AuthResult&& result) {
            record_authentication(exchange, result);
            Continue done = std::move(exchange.admitted);
            if (!result.principal) {
                done(auth_failure_response(result, exchange.company->name));
                return;
            }
            exchange.principal = std::move(result.principal);
            done(std::nullopt);
        });
    } catch (const ApiError& error) {
        // A store error during authentication arrives after `next` moved
        // into the exchange.
        (next ? next : exchange.admitted)(error_response(error));
    } catch (const store::StoreError& error) {
        spdlog::error("database error before the handler: {}", error.what());
        (next ? next : exchange.admitted)(
            error_response(ApiError(ErrorKind::unavailable, "database_unavailable", "the database is unavailable")));
    }
}

Response response_for_exception(const Exchange& exchange, std::exception_ptr error) {
    std::string method(exchange.request.method_string());
    try {
        std::rethrow_exception(error);
    } catch (const ApiError& api_error) {
        return error_response(api_error);
    } catch (const store::StoreError& store_error) {
        spdlog::error("database error in {} {}: {}", method, exchange.path, store_error.what());
        if (store_error.kind() == store::StoreError::Kind::conflict) {
            return error_response(ApiError(ErrorKind::bad_request, "conflict", "the request conflicts with stored data"));
        }
        return error_response(ApiError(ErrorKind::unavailable, "database_unavailable", "the database is unavailable"));
    } catch (const std::exception& other) {
        spdlog::error("unhandled error in {} {}: {}", method, exchange.path, other.what());
    } catch (...) {
        spdlog::error("unhandled non-standard exception in {} {}", method, exchange.path);
    }
    return error_response(ApiError(ErrorKind::internal, "internal_error", "the server failed to handle the request"));
}

void Pipeline::handle(Exchange& exchange, Respond done) {
    try {
        const AsyncHandler& handler = exchange.route->methods.at(exchange.request.method());
        decode_content_encoding(exchange.request, config_.max_body_bytes);
        handler(exchange, done);
    } catch (...) {
        done(response_for_exception(exchange, std::current_exception()));
    }
}

}  // namespace openbar::http
