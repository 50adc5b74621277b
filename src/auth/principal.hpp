#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "auth/access_token.hpp"
#include "store/store.hpp"

namespace openbar::auth {

enum class AuthMethod { token, basic, access_token };

std::string_view to_string(AuthMethod method);

// An access token kept inside the object: every token request stores one,
// and a std::string of this length would take a heap allocation.
class TokenText {
public:
    TokenText() = default;
    // Throws std::length_error for text longer than an access token.
    explicit TokenText(std::string_view token) : size_(token.size()) {
        if (token.size() > chars_.size()) {
            throw std::length_error("token text of " + std::to_string(token.size()) + " bytes exceeds the " +
                                    std::to_string(chars_.size()) + " bytes of an access token");
        }
        std::copy(token.begin(), token.end(), chars_.begin());
    }

    std::string_view view() const { return {chars_.data(), size_}; }
    bool empty() const { return size_ == 0; }

private:
    std::array<char, access_token_length> chars_{};
    std::size_t size_ = 0;
};

// The authenticated caller of one request.
struct Principal {
    store::Company company;
    store::User user;
    AuthMethod method = AuthMethod::token;
    std::optional<std::int64_t> token_id;  // set for the token methods
    // The access token the caller sent and the store matched, for the token
    // methods; empty for password logins.
    TokenText token;
};

}  // namespace openbar::auth
