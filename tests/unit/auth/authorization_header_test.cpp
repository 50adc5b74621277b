#include "auth/authorization_header.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace openbar::auth {
namespace {

struct HeaderCase {
    std::string header;
    std::string expected_user;      // for Basic
    std::string expected_password;  // for Basic
};

TEST(AuthorizationHeader, TokenSchemesInAnyCase) {
    for (std::string header : {"Token abc", "token abc", "TOKEN abc", "Bearer abc", "bearer   abc", "Token\tabc",
                               "  Token abc  "}) {
        auto parsed = parse_authorization(header);
        ASSERT_TRUE(std::holds_alternative<TokenCredentials>(parsed)) << header;
        EXPECT_EQ(std::get<TokenCredentials>(parsed).token, "abc") << header;
    }
}

TEST(AuthorizationHeader, TokenValueIsCaseSensitive) {
    auto parsed = parse_authorization("Token AbC");
    ASSERT_TRUE(std::holds_alternative<TokenCredentials>(parsed));
    EXPECT_EQ(std::get<TokenCredentials>(parsed).token, "AbC");
}

TEST(AuthorizationHeader, WellFormedBasic) {
    const HeaderCase cases[] = {
        {"Basic Ym9iOnBBc3N3MHJk", "bob", "pAssw0rd"},
        {"basic Ym9iOnBBc3N3MHJk", "bob", "pAssw0rd"},
        // The password keeps every colon after the first.
        {"Basic Ym9iOmE6YjpjOg==", "bob", "a:b:c:"},
        // An empty password is syntactically valid; the check fails later.
        {"Basic Ym9iOg==", "bob", ""},
        {"Basic YWNjZXNzLXRva2VuOm9iYXJfeHl6", "access-token", "obar_xyz"},
        // UTF-8 "jörg:pässword".
        {"Basic asO2cmc6cMOkc3N3b3Jk", "j\xC3\xB6rg", "p\xC3\xA4ssword"},
        // Latin-1 "jörg:x" (0xF6 is not valid UTF-8 on its own).
        {"Basic avZyZzp4", "j\xC3\xB6rg", "x"},
    };
    for (const auto& test : cases) {
        auto parsed = parse_authorization(test.header);
        ASSERT_TRUE(std::holds_alternative<BasicCredentials>(parsed)) << test.header;
        EXPECT_EQ(std::get<BasicCredentials>(parsed).user_id, test.expected_user) << test.header;
        EXPECT_EQ(std::get<BasicCredentials>(parsed).password, test.expected_password) << test.header;
    }
}

// Basic payloads built from raw bytes, around the printable-ASCII shortcut.
TEST(AuthorizationHeader, BasicByteBoundaries) {
    auto basic = [](std::string_view credentials) {
        static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std::string encoded = "Basic ";
        for (std::size_t i = 0; i < credentials.size(); i += 3) {
            std::uint32_t group = 0;
            std::size_t count = std::min<std::size_t>(3, credentials.size() - i);
            for (std::size_t j = 0; j < 3; ++j) {
                group = group << 8 | (j < count ? static_cast<unsigned char>(credentials[i + j]) : 0u);
            }
            for (std::size_t j = 0; j < 4; ++j) encoded += j <= count ? alphabet[(group >> (18 - 6 * j)) & 63] : '=';
        }
        return parse_authorization(encoded);
    };
    auto password_of = [](const ParsedAuthorization& parsed) {
        return std::holds_alternative<BasicCredentials>(parsed) ? std::get<BasicCredentials>(parsed).password
                                                                : std::string("<malformed>");
    };
    EXPECT_EQ(password_of(basic("u: ~")), " ~");
    EXPECT_EQ(password_of(basic(std::string("u:a\x7f"))), "<malformed>");
    EXPECT_EQ(password_of(basic(std::string("u:a\x1f"))), "<malformed>");
    EXPECT_EQ(password_of(basic(std::string("u:\xc2\x85"))), "<malformed>");  // U+0085, a C1 control
    EXPECT_EQ(password_of(basic(std::string("u:\xe9"))), "\xc3\xa9");       // Latin-1 e acute
    EXPECT_EQ(password_of(basic(":x")), "<malformed>");                     // empty user-id
    std::string long_password(600, 'p');                                    // larger than the stack buffer
    EXPECT_EQ(password_of(basic("u:" + long_password)), long_password);
}

TEST(AuthorizationHeader, BasicDecodesEveryLengthAndPosition) {
    // Credentials of every length up to five groups, encoded by libsodium;
    // then each position of each encoding replaced by a character outside
    // the base64 alphabet.
    for (std::size_t length = 2; length <= 16; ++length) {
        std::string credentials = "u:";
        for (std::size_t i = 2; i < length; ++i) credentials += static_cast<char>('!' + (i * 7) % 90);
        std::string encoded(sodium_base64_ENCODED_LEN(credentials.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
        sodium_bin2base64(encoded.data(), encoded.size(), reinterpret_cast<const unsigned char*>(credentials.data()),
                          credentials.size(), sodium_base64_VARIANT_ORIGINAL);
        encoded.pop_back();  // the terminating NUL

        auto parsed = parse_authorization("Basic " + encoded);
        ASSERT_TRUE(std::holds_alternative<BasicCredentials>(parsed)) << encoded;
        EXPECT_EQ(std::get<BasicCredentials>(parsed).user_id, "u");
        EXPECT_EQ(std::get<BasicCredentials>(parsed).password, credentials.substr(2)) << encoded;

        for (std::size_t i = 0; i < encoded.size(); ++i) {
            std::string broken = encoded;
            broken[i] = '*';
            EXPECT_TRUE(std::holds_alternative<MalformedAuthorization>(parse_authorization("Basic " + broken)))
                << broken;
        }
    }
}

TEST(AuthorizationHeader, MalformedInputs) {
    const std::string cases[] = {
        "",
        "   ",
        "Token",
        "Token ",
        "Token a b",
        "Token a,b",
        "Bearer",
        "Basic",
        "Basic ",
        "Basic Ym9iOnBBc3N3MHJk=",        // bad padding
        "Basic Ym9iOnBBc3N3MHJ",          // length not a multiple of 4
        "Basic Ym9i*nBBc3N3MHJk",         // invalid character
        "Basic Ym9iOnBBc3N3MHJk junk",    // trailing data
        "Basic Ym9i OnBBc3N3MHJk",        // space inside
        "Basic Ym9iOmE=Ym9i",             // data after padding
        "Basic Ym9iOh==",                 // "bob:" with non-zero bits under the padding
        "Basic Ym9iOnB=",                 // "bob:p" with non-zero bits under the padding
        "Basic Ym9i====",                 // padding only
        "Basic Ym9iO===",                 // three padding characters
        "Basic Ym9iOnBBc3N3MHJk\x01",
        "Basic Ym9i",                     // "bob": no colon
        "Basic OnBhc3M=",                 // ":pass": empty user-id
        "Basic Ym9iOnAKcA==",             // "bob:p\np": control character
        "Basic Ym9iOnAAcA==",             // "bob:p\0p"
        "Basic Ym9iOsKF",                 // "bob:" + U+0085 (C1 control)
        "Digest username=\"bob\"",
        "Negotiate abc",
        "Tokenabc",
    };
    for (const auto& header : cases) {
        auto parsed = parse_authorization(header);
        EXPECT_TRUE(std::holds_alternative<MalformedAuthorization>(parsed)) << "header: " << header;
    }
}

TEST(AuthorizationHeader, MalformedReasonNeverEchoesCredentials) {
    auto parsed = parse_authorization("Basic c2VjcmV0dXNlcgpzZWNyZXRwYXNz");  // "secretuser\nsecretpass"
    ASSERT_TRUE(std::holds_alternative<MalformedAuthorization>(parsed));
    const auto& reason = std::get<MalformedAuthorization>(parsed).reason;
    EXPECT_EQ(reason.find("secret"), std::string::npos);
    EXPECT_EQ(reason.find("c2VjcmV0"), std::string::npos);
}

TEST(AuthorizationHeader, Latin1FallbackOnlyForInvalidUtf8) {
    EXPECT_EQ(decode_utf8_or_latin1("plain"), "plain");
    EXPECT_EQ(decode_utf8_or_latin1("\xC3\xA9"), "\xC3\xA9");  // already UTF-8
    EXPECT_EQ(decode_utf8_or_latin1("\xE9"), "\xC3\xA9");      // Latin-1 é
}

}  // namespace
}  // namespace openbar::auth
