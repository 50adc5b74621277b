#include "auth/totp.hpp"

#include <liboath/oath.h>
#include <sodium.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "auth/sodium_init.hpp"

namespace openbar::auth {
namespace {

constexpr std::string_view base32_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void ensure_oath() {
    static const bool ready = [] {
        if (oath_init() != OATH_OK) {
            throw std::runtime_error("liboath failed to initialise");
        }
        return true;
    }();
    (void)ready;
}

// Bits left over in the last character for each possible count of
// characters in the final 8-character group (RFC 4648 section 6); -1 marks
// a count that no byte string encodes to.
constexpr int unused_bits_for_group_length[8] = {0, -1, 2, -1, 4, 1, -1, 3};

char to_upper_ascii(char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string percent_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string encoded;
    for (unsigned char c : text) {
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                          c == '.' || c == '_' || c == '~';
        if (unreserved) {
            encoded += static_cast<char>(c);
        } else {
            encoded += '%';
            encoded += hex[c >> 4];
            encoded += hex[c & 0x0F];
        }
    }
    return encoded;
}

constexpr std::string_view recovery_alphabet = "23456789abcdefghjkmnpqrstuvwxyz";
constexpr std::size_t recovery_characters = 12;
constexpr std::size_t recovery_group = 4;

}  // namespace

namespace totp {

std::string generate_secret() {
    ensure_sodium();
    std::string secret(generated_secret_bytes, '\0');
    randombytes_buf(secret.data(), secret.size());
    return secret;
}

std::optional<std::string> decode_secret(std::string_view base32) {
    ensure_oath();

    // Canonical form: upper case, no spaces, padding split off.
    std::string data;
    std::size_t padding = 0;
    for (char c : base32) {
        if (c == ' ') continue;
        if (c == '=') {
            ++padding;
            continue;
        }
        if (padding > 0) return std::nullopt;  // data after padding
        char upper = to_upper_ascii(c);
        if (base32_alphabet.find(upper) == std::string_view::npos) return std::nullopt;
        data += upper;
    }
    if (data.empty()) return std::nullopt;
    if (padding > 0 && (padding >= 8 || (data.size() + padding) % 8 != 0)) return std::nullopt;

    int unused_bits = unused_bits_for_group_length[data.size() % 8];
    if (unused_bits < 0) return std::nullopt;
    // Non-zero unused bits would let two different strings name one secret.
    auto last_value = static_cast<unsigned>(base32_alphabet.find(data.back()));
    if ((last_value & ((1u << unused_bits) - 1)) != 0) return std::nullopt;

    std::size_t decoded_size = data.size() * 5 / 8;
    if (decoded_size < min_secret_bytes || decoded_size > max_secret_bytes) return std::nullopt;

    data.append((8 - data.size() % 8) % 8, '=');
    char* decoded = nullptr;
    std::size_t decoded_length = 0;
    if (oath_base32_decode(data.data(), data.size(), &decoded, &decoded_length) != OATH_OK) {
        return std::nullopt;
    }
    std::string secret(decoded, decoded_length);
    sodium_memzero(decoded, decoded_length);
    std::free(decoded);
    sodium_memzero(data.data(), data.size());
    return secret;
}

std::string encode_secret(std::string_view secret) {
    ensure_oath();
    char* encoded = nullptr;
    std::size_t encoded_length = 0;
    if (oath_base32_encode(secret.data(), secret.size(), &encoded, &encoded_length) != OATH_OK) {
        throw std::runtime_error("base32 encoding of the TOTP secret failed");
    }
    std::string text(encoded, encoded_length);
    sodium_memzero(encoded, encoded_length);
    std::free(encoded);
    while (!text.empty() && text.back() == '=') text.pop_back();
    return text;
}

std::int64_t time_step_at(std::int64_t unix_seconds) {
    // Floor division, so times before 1970 fall into negative steps.
    std::int64_t step = unix_seconds / time_step_seconds;
    if (unix_seconds % time_step_seconds < 0) --step;
    return step;
}

std::string code_for_step(std::string_view secret, std::int64_t time_step, unsigned digits) {
    ensure_oath();
    char code[16] = {};
    // liboath takes a time, not a step: the first second of the step names it.
    int rc = oath_totp_generate(secret.data(), secret.size(), static_cast<time_t>(time_step * time_step_seconds),
                                static_cast<unsigned>(time_step_seconds), 0, digits, code);
    if (rc != OATH_OK) {
        throw std::runtime_error(std::string("TOTP code generation failed: ") + oath_strerror(rc));
    }
    return code;
}

std::string_view trim(std::string_view value) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    return value;
}

bool is_well_formed_code(std::string_view value, unsigned digits) {
    value = trim(value);
    if (value.size() != digits) return false;
    for (char c : value) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

std::string provisioning_uri(std::string_view secret, std::string_view issuer, std::string_view account) {
    // Key URI format as read by Google Authenticator and compatible apps.
    std::string label = percent_encode(issuer) + ":" + percent_encode(account);
    return "otpauth://totp/" + label + "?secret=" + encode_secret(secret) + "&issuer=" + percent_encode(issuer) +
           "&algorithm=SHA1&digits=" + std::to_string(code_digits) + "&period=" + std::to_string(time_step_seconds);
}

}  // namespace totp

UnixClock system_unix_clock() {
    return [] {
        return static_cast<std::int64_t>(
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                .count());
    };
}

std::vector<std::int64_t> TotpVerifier::matching_steps(std::string_view secret, std::string_view code) const {
    code = totp::trim(code);
    std::int64_t current = totp::time_step_at(clock_());
    std::vector<std::int64_t> steps;
    for (std::int64_t step = current - window_; step <= current + static_cast<std::int64_t>(window_); ++step) {
        std::string expected = totp::code_for_step(secret, step, digits_);
        // Constant-time compare, so response timing reveals nothing about how
        // many leading digits were right.
        bool match = expected.size() == code.size() && sodium_memcmp(expected.data(), code.data(), code.size()) == 0;
        sodium_memzero(expected.data(), expected.size());
        if (match) steps.push_back(step);
    }
    return steps;
}

namespace recovery {

std::string generate_code() {
    ensure_sodium();
    std::string code;
    for (std::size_t i = 0; i < recovery_characters; ++i) {
        if (i > 0 && i % recovery_group == 0) code += '-';
        code += recovery_alphabet[randombytes_uniform(static_cast<std::uint32_t>(recovery_alphabet.size()))];
    }
    return code;
}

std::optional<std::string> normalize(std::string_view value) {
    value = totp::trim(value);
    std::string canonical;
    for (char c : value) {
        if (c == '-') continue;
        char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        if (recovery_alphabet.find(lower) == std::string_view::npos) return std::nullopt;
        canonical += lower;
        if (canonical.size() > recovery_characters) return std::nullopt;
    }
    if (canonical.size() != recovery_characters) return std::nullopt;
    return canonical;
}

}  // namespace recovery

}  // namespace openbar::auth
