#include "auth/authorization_header.hpp"

#include <gtest/gtest.h>

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
