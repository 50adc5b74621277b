#include "auth/authorization_header.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "util/text.hpp"

namespace openbar::auth {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

// token68 from RFC 7235 section 2.1: the characters a token may contain,
// as a table because every token request checks each character.
constexpr std::array<bool, 256> token68_characters = [] {
    std::array<bool, 256> allowed{};
    constexpr std::string_view characters =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=";
    for (char c : characters) allowed[static_cast<unsigned char>(c)] = true;
    return allowed;
}();

bool is_token68(std::string_view value) {
    if (value.empty()) return false;
    return std::all_of(value.begin(), value.end(),
                       [](char c) { return token68_characters[static_cast<unsigned char>(c)]; });
}

constexpr std::uint8_t not_base64 = 0xFF;

constexpr std::array<std::uint8_t, 256> base64_values = [] {
    std::array<std::uint8_t, 256> values{};
    values.fill(not_base64);
    constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        values[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
    }
    return values;
}();

// Decodes canonical padded base64 (RFC 4648 section 4): the length is a
// multiple of four, `=` appears only as the last one or two characters,
// and the bits that padding leaves unused are zero. It looks up a table per
// character instead of using libsodium's constant-time decoder, which took
// more than half the time of parsing a Basic header with a token. The time
// to decode a client's own credentials reveals nothing useful to an observer.
// The size of the bytes that `encoded` (canonical padded base64) decodes to.
std::size_t decoded_base64_size(std::string_view encoded) {
    std::size_t padding = encoded.ends_with("==") ? 2 : encoded.ends_with('=') ? 1 : 0;
    return encoded.size() / 4 * 3 - padding;
}

// Writes decoded_base64_size(encoded) bytes to `decoded`.
bool decode_base64(std::string_view encoded, char* decoded) {
    if (encoded.empty() || encoded.size() % 4 != 0) return false;
    std::size_t padding = encoded.ends_with("==") ? 2 : encoded.ends_with('=') ? 1 : 0;

    std::size_t out = 0;
    // Groups before the last hold no padding: the four values are looked
    // up together and checked with one test, since not_base64 is the only
    // value with its top bit set.
    std::size_t full_groups_end = encoded.size() - 4;
    std::size_t i = 0;
    for (; i < full_groups_end; i += 4) {
        std::uint8_t a = base64_values[static_cast<unsigned char>(encoded[i])];
        std::uint8_t b = base64_values[static_cast<unsigned char>(encoded[i + 1])];
        std::uint8_t c = base64_values[static_cast<unsigned char>(encoded[i + 2])];
        std::uint8_t d = base64_values[static_cast<unsigned char>(encoded[i + 3])];
        if ((a | b | c | d) & 0x80) return false;
        std::uint32_t group = std::uint32_t{a} << 18 | std::uint32_t{b} << 12 | std::uint32_t{c} << 6 | d;
        decoded[out++] = static_cast<char>(group >> 16);
        decoded[out++] = static_cast<char>(group >> 8);
        decoded[out++] = static_cast<char>(group);
    }
    for (; i < encoded.size(); i += 4) {
        bool last = i + 4 == encoded.size();
        std::uint32_t group = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            char c = encoded[i + j];
            std::uint8_t value = base64_values[static_cast<unsigned char>(c)];
            if (value == not_base64) {
                if (!(last && c == '=' && j >= 4 - padding)) return false;
                value = 0;
            }
            group = group << 6 | value;
        }
        if (!last || padding == 0) {
            decoded[out++] = static_cast<char>(group >> 16);
            decoded[out++] = static_cast<char>(group >> 8);
            decoded[out++] = static_cast<char>(group);
        } else if (padding == 1) {
            if ((group & 0xFF) != 0) return false;
            decoded[out++] = static_cast<char>(group >> 16);
            decoded[out++] = static_cast<char>(group >> 8);
        } else {
            if ((group & 0xFFFF) != 0) return false;
            decoded[out++] = static_cast<char>(group >> 16);
        }
    }
    return true;
}

// Whether every byte is printable ASCII, space included (0x20 to 0x7E).
bool is_printable_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7E; });
}

ParsedAuthorization parse_basic(std::string_view encoded) {
    if (encoded.empty()) {
        return MalformedAuthorization{"Basic credentials are empty"};
    }
    if (encoded.size() % 4 != 0) {
        return MalformedAuthorization{"Basic credentials are not padded base64"};
    }

    // Credentials of ordinary size are decoded on the stack, and wiped
    // wherever this function returns.
    std::array<char, 512> stack_buffer;
    std::string heap_buffer;
    std::size_t size = decoded_base64_size(encoded);
    char* buffer = stack_buffer.data();
    if (size > stack_buffer.size()) {
        heap_buffer.resize(size);
        buffer = heap_buffer.data();
    }
    struct Wiper {
        char* bytes;
        std::size_t size;
        ~Wiper() { sodium_memzero(bytes, size); }
    } wiper{buffer, size};

    if (!decode_base64(encoded, buffer)) {
        return MalformedAuthorization{"Basic credentials are not valid base64"};
    }
    std::string_view decoded(buffer, size);
    std::size_t colon = decoded.find(':');
    if (colon == std::string_view::npos) {
        return MalformedAuthorization{"Basic credentials have no colon between user-id and password"};
    }
    std::string_view user_id = decoded.substr(0, colon);
    std::string_view password = decoded.substr(colon + 1);
    if (is_printable_ascii(user_id) && is_printable_ascii(password)) {
        // Printable ASCII is valid UTF-8 without control characters, so it is used as it is.
        if (user_id.empty()) return MalformedAuthorization{"Basic credentials have an empty user-id"};
        return BasicCredentials{std::string(user_id), std::string(password)};
    }
    BasicCredentials credentials{decode_utf8_or_latin1(user_id), decode_utf8_or_latin1(password)};

    if (credentials.user_id.empty()) {
        return MalformedAuthorization{"Basic credentials have an empty user-id"};
    }
    if (has_control_character(credentials.user_id) || has_control_character(credentials.password)) {
        return MalformedAuthorization{"Basic credentials contain a control character"};
    }
    return credentials;
}

}  // namespace

std::string decode_utf8_or_latin1(std::string_view bytes) {
    if (util::is_valid_utf8(bytes)) {
        return std::string(bytes);
    }
    std::string text;
    text.reserve(bytes.size() * 2);
    for (char byte : bytes) {
        auto code = static_cast<unsigned char>(byte);
        if (code < 0x80) {
            text.push_back(static_cast<char>(code));
        } else {
            text.push_back(static_cast<char>(0xC0 | (code >> 6)));
            text.push_back(static_cast<char>(0x80 | (code & 0x3F)));
        }
    }
    return text;
}

bool has_control_character(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x20 || byte == 0x7F) {
            return true;
        }
        // C1 controls U+0080..U+009F are encoded as C2 80..C2 9F.
        if (byte == 0xC2 && i + 1 < text.size()) {
            auto next = static_cast<unsigned char>(text[i + 1]);
            if (next >= 0x80 && next <= 0x9F) {
                return true;
            }
        }
    }
    return false;
}

ParsedAuthorization parse_authorization(std::string_view header_value) {
    std::string_view value = trim(header_value);
    std::size_t space = value.find_first_of(" \t");
    std::string_view scheme = value.substr(0, space);
    std::string_view rest = space == std::string_view::npos ? std::string_view{} : trim(value.substr(space));

    if (scheme.empty()) {
        return MalformedAuthorization{"Authorization header is empty"};
    }
    if (util::iequals(scheme, "token") || util::iequals(scheme, "bearer")) {
        if (!is_token68(rest)) {
            return MalformedAuthorization{"Token credentials must be one token after the scheme name"};
        }
        return TokenCredentials{rest};
    }
    if (util::iequals(scheme, "basic")) {
        return parse_basic(rest);
    }
    return MalformedAuthorization{"unsupported authorization scheme; use Token or Basic"};
}

}  // namespace openbar::auth
