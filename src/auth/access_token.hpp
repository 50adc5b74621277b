#pragma once

#include <string>
#include <string_view>

namespace openbar::auth {

// Access tokens look like `obar_` + 32 random base62 characters + a 6
// character base62 CRC-32 of the random part, the scheme GitHub uses for its
// tokens: the prefix makes leaked tokens easy to find with secret scanners and
// the checksum rejects mistyped tokens before any database lookup.
inline constexpr std::string_view access_token_prefix = "obar_";
inline constexpr std::size_t access_token_random_chars = 32;  // 32 * log2(62) = 190 bits
inline constexpr std::size_t access_token_checksum_chars = 6;
inline constexpr std::size_t access_token_length =
    access_token_prefix.size() + access_token_random_chars + access_token_checksum_chars;

// Generates a new token from the libsodium CSPRNG.
std::string generate_access_token();

// Checks prefix, length and alphabet; touches no storage.
bool has_access_token_shape(std::string_view token);

// Checks the checksum of a token that has the shape of one.
bool access_token_checksum_matches(std::string_view token);

// Checks prefix, length, alphabet and checksum; touches no storage.
bool is_well_formed_access_token(std::string_view token);

}  // namespace openbar::auth
