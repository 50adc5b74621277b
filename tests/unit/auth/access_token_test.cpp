#include "auth/access_token.hpp"

#include <gtest/gtest.h>

#include <set>

namespace openbar::auth {
namespace {

TEST(AccessToken, GeneratedTokensAreWellFormedAndDistinct) {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        std::string token = generate_access_token();
        EXPECT_EQ(token.size(), access_token_length);
        EXPECT_TRUE(token.starts_with("obar_"));
        EXPECT_TRUE(is_well_formed_access_token(token)) << token;
        seen.insert(token);
    }
    EXPECT_EQ(seen.size(), 200u);
}

TEST(AccessToken, AnySingleCharacterChangeIsRejected) {
    std::string token = generate_access_token();
    for (std::size_t i = access_token_prefix.size(); i < token.size(); ++i) {
        std::string typo = token;
        typo[i] = typo[i] == 'a' ? 'b' : 'a';
        EXPECT_FALSE(is_well_formed_access_token(typo)) << "position " << i;
    }
}

TEST(AccessToken, ShapeAndChecksumAreSeparate) {
    std::string token = generate_access_token();
    EXPECT_TRUE(has_access_token_shape(token));
    EXPECT_TRUE(access_token_checksum_matches(token));

    std::string typo = token;
    typo[access_token_prefix.size()] = typo[access_token_prefix.size()] == 'a' ? 'b' : 'a';
    EXPECT_TRUE(has_access_token_shape(typo));
    EXPECT_FALSE(access_token_checksum_matches(typo));

    std::string with_symbol = token;
    with_symbol[access_token_prefix.size()] = '-';
    EXPECT_FALSE(has_access_token_shape(with_symbol));
    EXPECT_FALSE(has_access_token_shape(token.substr(1)));
}

TEST(AccessToken, RejectsWrongShapes) {
    std::string token = generate_access_token();
    EXPECT_FALSE(is_well_formed_access_token(""));
    EXPECT_FALSE(is_well_formed_access_token(token.substr(1)));
    EXPECT_FALSE(is_well_formed_access_token(token + "a"));
    EXPECT_FALSE(is_well_formed_access_token("ghp_" + token.substr(4)));
    std::string with_symbol = token;
    with_symbol[10] = '-';
    EXPECT_FALSE(is_well_formed_access_token(with_symbol));
}

}  // namespace
}  // namespace openbar::auth
