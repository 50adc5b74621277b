#pragma once

#include <boost/json/value.hpp>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "http/message.hpp"

namespace openbar::http {

// The kinds of client-visible failure. api_error.cpp maps each one to its
// HTTP status, the only place in openbar that does.
enum class ErrorKind {
    bad_request,
    unauthorized,
    forbidden,
    not_found,
    method_not_allowed,
    payload_too_large,
    unsupported_media_type,
    header_too_large,
    too_many_requests,
    internal,
    not_implemented,
    unavailable,
};

// An error that ends a request with a JSON body
// {"error": {"code": ..., "reason": ...}}. `code` is a stable identifier for
// programs; `reason` is a sentence for people and never contains a secret.
class ApiError : public std::runtime_error {
public:
    ApiError(ErrorKind kind, std::string code, std::string reason)
        : std::runtime_error(reason), kind_(kind), code_(std::move(code)), reason_(std::move(reason)) {}

    ApiError& with_header(std::string name, std::string value) {
        headers_.emplace_back(std::move(name), std::move(value));
        return *this;
    }
    ApiError& with_details(std::string name, boost::json::value value) {
        details_.emplace_back(std::move(name), std::move(value));
        return *this;
    }

    ErrorKind kind() const { return kind_; }
    const std::string& code() const { return code_; }
    const std::string& reason() const { return reason_; }
    const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
    const std::vector<std::pair<std::string, boost::json::value>>& details() const { return details_; }

private:
    ErrorKind kind_;
    std::string code_;
    std::string reason_;
    std::vector<std::pair<std::string, std::string>> headers_;
    std::vector<std::pair<std::string, boost::json::value>> details_;
};

Status status_for(ErrorKind kind);

// Renders an error as the JSON response every route uses for failures.
Response error_response(const ApiError& error);

}  // namespace openbar::http
