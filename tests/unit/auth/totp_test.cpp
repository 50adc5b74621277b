#include "auth/totp.hpp"

#include <gtest/gtest.h>

namespace openbar::auth {
namespace {

// RFC 6238 appendix B: HMAC-SHA-1, 8 digits, ASCII secret "12345678901234567890".
struct ReferenceVector {
    std::int64_t unix_seconds;
    const char* code;
};
constexpr ReferenceVector rfc6238_sha1_vectors[] = {
    {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
    {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
};
constexpr std::string_view rfc_secret = "12345678901234567890";

TEST(TotpVerifier, AcceptsRfc6238Vectors) {
    for (const auto& vector : rfc6238_sha1_vectors) {
        TotpVerifier verifier([&] { return vector.unix_seconds; }, 8);
        auto steps = verifier.matching_steps(rfc_secret, vector.code);
        ASSERT_EQ(steps.size(), 1u) << "at " << vector.unix_seconds;
        EXPECT_EQ(steps.front(), vector.unix_seconds / 30) << "at " << vector.unix_seconds;
    }
}

TEST(TotpCode, MatchesRfc6238Vectors) {
    for (const auto& vector : rfc6238_sha1_vectors) {
        EXPECT_EQ(totp::code_for_step(rfc_secret, totp::time_step_at(vector.unix_seconds), 8), vector.code)
            << "at " << vector.unix_seconds;
    }
}

TEST(TotpVerifier, AcceptsOneStepEitherSide) {
    std::int64_t now = 1111111111;
    std::int64_t current = now / 30;
    TotpVerifier verifier([&] { return now; });
    for (std::int64_t offset : {-1, 0, 1}) {
        auto steps = verifier.matching_steps(rfc_secret, totp::code_for_step(rfc_secret, current + offset));
        ASSERT_EQ(steps.size(), 1u) << "offset " << offset;
        EXPECT_EQ(steps.front(), current + offset);
    }
}

TEST(TotpVerifier, RejectsTwoStepsAway) {
    std::int64_t now = 1111111111;
    std::int64_t current = now / 30;
    TotpVerifier verifier([&] { return now; });
    EXPECT_TRUE(verifier.matching_steps(rfc_secret, totp::code_for_step(rfc_secret, current - 2)).empty());
    EXPECT_TRUE(verifier.matching_steps(rfc_secret, totp::code_for_step(rfc_secret, current + 2)).empty());
}

TEST(TotpVerifier, FollowsTheClock) {
    std::int64_t now = 1111111111;
    TotpVerifier verifier([&] { return now; });
    std::string code = totp::code_for_step(rfc_secret, now / 30);
    now += 90;
    EXPECT_TRUE(verifier.matching_steps(rfc_secret, code).empty());
}

TEST(TotpCode, WellFormedIsSixAsciiDigits) {
    EXPECT_TRUE(totp::is_well_formed_code("012345"));
    EXPECT_TRUE(totp::is_well_formed_code("  012345\t"));
    EXPECT_FALSE(totp::is_well_formed_code("12345"));
    EXPECT_FALSE(totp::is_well_formed_code("0123456"));
    EXPECT_FALSE(totp::is_well_formed_code("+12345"));
    EXPECT_FALSE(totp::is_well_formed_code("-12345"));
    EXPECT_FALSE(totp::is_well_formed_code("012 345"));
    EXPECT_FALSE(totp::is_well_formed_code("01234a"));
    EXPECT_FALSE(totp::is_well_formed_code(""));
    EXPECT_FALSE(totp::is_well_formed_code("\xef\xbc\x90\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95"));
}

TEST(TotpSecret, DecodesRfc4648Base32) {
    // "12345678901234567890" in base32.
    auto secret = totp::decode_secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    ASSERT_TRUE(secret);
    EXPECT_EQ(*secret, rfc_secret);
}

TEST(TotpSecret, IgnoresCaseSpacesAndPadding) {
    for (const char* text : {"gezdgnbvgy3tqojqgezdgnbvgy3tqojq", "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ",
                             "gezdGNBVgy3tqojq gezdgnbvgy3tqojq"}) {
        auto secret = totp::decode_secret(text);
        ASSERT_TRUE(secret) << text;
        EXPECT_EQ(*secret, rfc_secret) << text;
    }
    // 17 bytes need padding: "12345678901234567" is 28 characters plus "====".
    auto padded = totp::decode_secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3Q====");
    auto unpadded = totp::decode_secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3Q");
    ASSERT_TRUE(padded);
    ASSERT_TRUE(unpadded);
    EXPECT_EQ(*padded, "12345678901234567");
    EXPECT_EQ(*unpadded, "12345678901234567");
}

TEST(TotpSecret, RejectsInvalidBase32) {
    EXPECT_FALSE(totp::decode_secret(""));
    EXPECT_FALSE(totp::decode_secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1"));   // 1 is not base32
    EXPECT_FALSE(totp::decode_secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ0"));   // nor 0
    EXPECT_FALSE(totp::decode_secret("GEZDGNBVGY3TQOJQ-GEZDGNBVGY3TQOJQ"));  // hyphen
    EXPECT_FALSE(totp::decode_secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQG"));  // impossible length
    EXPECT_FALSE(totp::decode_secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3R"));       // non-zero trailing bits
    EXPECT_FALSE(totp::decode_secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3Q=="));     // wrong padding length
    EXPECT_FALSE(totp::decode_secret("GEZDGNBV=GY3TQOJQGEZDGNBVGY3TQOJQ"));  // padding inside
    EXPECT_FALSE(totp::decode_secret("GEZDGNBVGY3TQOJQ"));                   // 80 bits: too short
}

TEST(TotpSecret, EncodeRoundTrips) {
    std::string secret = totp::generate_secret();
    EXPECT_EQ(secret.size(), 20u);
    std::string text = totp::encode_secret(secret);
    EXPECT_EQ(text.size(), 32u);
    auto decoded = totp::decode_secret(text);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, secret);
}

TEST(TotpProvisioningUri, HasLabelIssuerAndSecret) {
    std::string uri = totp::provisioning_uri(rfc_secret, "openbar", "bob@acme");
    EXPECT_EQ(uri,
              "otpauth://totp/openbar:bob%40acme?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=openbar"
              "&algorithm=SHA1&digits=6&period=30");
}

TEST(TotpTimeStep, FloorsNegativeTimes) {
    EXPECT_EQ(totp::time_step_at(0), 0);
    EXPECT_EQ(totp::time_step_at(29), 0);
    EXPECT_EQ(totp::time_step_at(30), 1);
    EXPECT_EQ(totp::time_step_at(-1), -1);
}

TEST(RecoveryCode, GeneratedCodesNormalize) {
    for (int i = 0; i < 50; ++i) {
        std::string code = recovery::generate_code();
        ASSERT_EQ(code.size(), 14u) << code;
        EXPECT_EQ(code[4], '-');
        EXPECT_EQ(code[9], '-');
        EXPECT_FALSE(totp::is_well_formed_code(code));
        auto canonical = recovery::normalize(code);
        ASSERT_TRUE(canonical) << code;
        EXPECT_EQ(canonical->size(), 12u);
    }
}

TEST(RecoveryCode, NormalizeIgnoresCaseAndHyphens) {
    EXPECT_EQ(recovery::normalize("abcd-efgh-jkmn"), "abcdefghjkmn");
    EXPECT_EQ(recovery::normalize(" ABCD-EFGH-JKMN "), "abcdefghjkmn");
    EXPECT_EQ(recovery::normalize("abcdefghjkmn"), "abcdefghjkmn");
    EXPECT_FALSE(recovery::normalize("012345"));
    EXPECT_FALSE(recovery::normalize("abcd-efgh-jkm"));
    EXPECT_FALSE(recovery::normalize("abcd-efgh-jkmnp"));
    EXPECT_FALSE(recovery::normalize("abcd-efgh-jklo"));  // l and o are not in the alphabet
}

}  // namespace
}  // namespace openbar::auth
