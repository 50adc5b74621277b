#include "auth/access_token.hpp"

#include <sodium.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "auth/sodium_init.hpp"

namespace openbar::auth {
namespace {

constexpr std::string_view base62_alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::string checksum_of(std::string_view random_part) {
    auto crc = static_cast<std::uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(random_part.data()), static_cast<uInt>(random_part.size())));
    // 62^6 > 2^32, so six digits hold any CRC-32.
    std::string digits(access_token_checksum_chars, '0');
    for (std::size_t i = digits.size(); i-- > 0;) {
        digits[i] = base62_alphabet[crc % 62];
        crc /= 62;
    }
    return digits;
}

// One lookup per character: every token request checks 38 of them.
constexpr std::array<bool, 256> base62_characters = [] {
    std::array<bool, 256> allowed{};
    for (char c : base62_alphabet) allowed[static_cast<unsigned char>(c)] = true;
    return allowed;
}();

bool is_base62(char c) { return base62_characters[static_cast<unsigned char>(c)]; }

}  // namespace

std::string generate_access_token() {
    ensure_sodium();
    std::string random_part(access_token_random_chars, '\0');
    for (char& c : random_part) {
        // randombytes_uniform avoids the modulo bias of byte % 62.
        c = base62_alphabet[randombytes_uniform(static_cast<std::uint32_t>(base62_alphabet.size()))];
    }
    return std::string(access_token_prefix) + random_part + checksum_of(random_part);
}

bool has_access_token_shape(std::string_view token) {
    if (token.size() != access_token_length || !token.starts_with(access_token_prefix)) {
        return false;
    }
    return std::all_of(token.begin() + access_token_prefix.size(), token.end(), is_base62);
}

bool access_token_checksum_matches(std::string_view token) {
    std::string_view random_part = token.substr(access_token_prefix.size(), access_token_random_chars);
    std::string_view checksum = token.substr(access_token_prefix.size() + access_token_random_chars);
    // The checksum is public, so an ordinary comparison leaks nothing.
    return checksum == checksum_of(random_part);
}

bool is_well_formed_access_token(std::string_view token) {
    return has_access_token_shape(token) && access_token_checksum_matches(token);
}

}  // namespace openbar::auth
