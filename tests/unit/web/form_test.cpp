#include "web/form.hpp"

#include <gtest/gtest.h>

namespace openbar::web {
namespace {

TEST(ParseForm, DecodesPlusAndPercent) {
    auto fields = parse_form("user=a+b&pass=%26%3D%25&empty=&bare");
    ASSERT_TRUE(fields);
    EXPECT_EQ(form_value(*fields, "user"), "a b");
    EXPECT_EQ(form_value(*fields, "pass"), "&=%");
    EXPECT_EQ(form_value(*fields, "empty"), "");
    EXPECT_TRUE(fields->contains("bare"));
    EXPECT_EQ(fields->size(), 4u);
}

TEST(ParseForm, FirstRepeatedValueWins) {
    auto fields = parse_form("a=1&a=2");
    ASSERT_TRUE(fields);
    EXPECT_EQ(form_value(*fields, "a"), "1");
}

TEST(ParseForm, AcceptsUtf8) {
    auto fields = parse_form("name=%C3%A4");
    ASSERT_TRUE(fields);
    EXPECT_EQ(form_value(*fields, "name"), "\xc3\xa4");
}

TEST(ParseForm, RejectsMalformedInput) {
    EXPECT_FALSE(parse_form("a=%"));
    EXPECT_FALSE(parse_form("a=%4"));
    EXPECT_FALSE(parse_form("a=%zz"));
    EXPECT_FALSE(parse_form("a=%FF"));  // not UTF-8
}

TEST(ParseForm, EmptyBodyHasNoFields) {
    auto fields = parse_form("");
    ASSERT_TRUE(fields);
    EXPECT_TRUE(fields->empty());
    EXPECT_EQ(form_value(*fields, "missing"), "");
}

}  // namespace
}  // namespace openbar::web
