#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace openbar::auth {

enum class AuthMethod { token, basic, access_token };

std::string_view to_string(AuthMethod method);

// The authenticated caller of one request.
struct Principal {
    store::Company company;
    store::User user;
    AuthMethod method = AuthMethod::token;
    std::optional<std::int64_t> token_id;  // set for the token methods
    // The access token the caller sent and the store matched, for the token
    // methods; empty for password logins.
    std::string token;
};

}  // namespace openbar::auth
