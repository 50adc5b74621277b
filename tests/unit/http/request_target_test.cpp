#include "http/request_target.hpp"

#include <gtest/gtest.h>

#include <boost/url/parse.hpp>

namespace openbar::http {
namespace {

TEST(RequestTarget, SplitsPathAndQuery) {
    RequestTarget target;
    ASSERT_TRUE(target.assign("/api/data/customers/?limit=10&fields=a,b"));
    EXPECT_EQ(target.encoded_path(), "/api/data/customers/");
    std::string path;
    target.decode_path(path);
    EXPECT_EQ(path, "/api/data/customers/");
    EXPECT_EQ(target.encoded_query(), "limit=10&fields=a,b");
    EXPECT_EQ(target.view().encoded_path(), "/api/data/customers/");
}

TEST(RequestTarget, DecodesPercentInPathOnly) {
    RequestTarget target;
    ASSERT_TRUE(target.assign("/a%20b/c?x=%41"));
    EXPECT_EQ(target.encoded_path(), "/a%20b/c");
    std::string path = "longer than the path, to be replaced";
    target.decode_path(path);
    EXPECT_EQ(path, "/a b/c");
    EXPECT_EQ(target.encoded_query(), "x=%41");

    ASSERT_TRUE(target.assign("/plain?x=%41"));
    target.decode_path(path);
    EXPECT_EQ(path, "/plain");
}

TEST(RequestTarget, AcceptsWhatBoostUrlAccepts) {
    // Every verdict is compared with Boost.URL's origin-form parser, so a
    // target that the table check accepts and Boost.URL rejects fails here.
    const char* targets[] = {
        "/",
        "//",
        "/a//b",
        "/a?",
        "/a??b",
        "/a?b?c/d",
        "/-._~!$&'()*+,;=:@",
        "/%7e%7E",
        "/%zz",
        "/%4",
        "/a%",
        "/a#frag",
        "/a b",
        "/a\"b",
        "/a<b>",
        "/a[b]",
        "/a\\b",
        "/a^b",
        "/a`b",
        "/a{b}",
        "/a|b",
        "/\x80",
        "",
        "a/b",
        "*",
        "http://example.com/a",
        "/a?b#c",
        "/a?%zz",
    };
    for (const char* text : targets) {
        RequestTarget target;
        bool expected = static_cast<bool>(boost::urls::parse_origin_form(text));
        EXPECT_EQ(target.assign(text), expected) << "target: " << text;
    }
}

TEST(RequestTarget, AgreesWithBoostUrlOnEveryByte) {
    for (int byte = 0; byte < 256; ++byte) {
        char c = static_cast<char>(byte);
        for (std::string text : {std::string("/a") + c + "b", std::string("/a?") + c, std::string("/") + c}) {
            RequestTarget target;
            bool expected = static_cast<bool>(boost::urls::parse_origin_form(text));
            EXPECT_EQ(target.assign(text), expected) << "byte: " << byte;
            if (expected) EXPECT_EQ(target.view().buffer(), text) << "byte: " << byte;
        }
    }
}

TEST(RequestTarget, ResetsOnReuse) {
    RequestTarget target;
    ASSERT_TRUE(target.assign("/first?q=1"));
    EXPECT_EQ(target.encoded_query(), "q=1");
    ASSERT_TRUE(target.assign("/second"));
    EXPECT_EQ(target.encoded_path(), "/second");
    EXPECT_EQ(target.encoded_query(), "");
    EXPECT_FALSE(target.assign("/bad%"));
    EXPECT_EQ(target.encoded_path(), "");
}

}  // namespace
}  // namespace openbar::http
