#include "web/page_response.hpp"

#include <gtest/gtest.h>

#include "web/cookies.hpp"

namespace openbar::web {
namespace {

TEST(SameOriginPath, KeepsLocalPaths) {
    EXPECT_EQ(same_origin_path_or_default("/settings/new-token/"), "/settings/new-token/");
    EXPECT_EQ(same_origin_path_or_default("/settings/?notice=x"), "/settings/?notice=x");
}

TEST(SameOriginPath, RejectsOtherHosts) {
    for (const char* next : {"", "settings", "//evil.example/", "/\\evil.example", "https://evil.example/",
                             "javascript:alert(1)", "/a b", "/a\r\nLocation: x", "/\xc3\xa4"}) {
        EXPECT_EQ(same_origin_path_or_default(next), "/settings/") << next;
    }
}

TEST(FindCookie, ReadsNamedCookie) {
    http::Request request;
    request.insert(http::beast_http::field::cookie, "a=1; openbar_session=abc ;b=2");
    EXPECT_EQ(find_cookie(request, "openbar_session"), "abc");
    EXPECT_EQ(find_cookie(request, "b"), "2");
    EXPECT_FALSE(find_cookie(request, "openbar"));
}

TEST(SetCookieValue, HasSecurityAttributes) {
    EXPECT_EQ(set_cookie_value("s", "v", "/", std::chrono::seconds(60), false),
              "s=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax");
    EXPECT_EQ(set_cookie_value("s", "", "/login", std::chrono::seconds(0), true),
              "s=; Path=/login; Max-Age=0; HttpOnly; SameSite=Lax; Secure");
}

TEST(PageHeaders, ForbidInlineScriptAndFraming) {
    http::Response response = html_response(http::Status::ok, "<p>x</p>");
    std::string csp(response["Content-Security-Policy"]);
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
    EXPECT_EQ(response["X-Frame-Options"], "DENY");
    EXPECT_EQ(response["Referrer-Policy"], "no-referrer");
    EXPECT_EQ(response[http::beast_http::field::cache_control], "no-store");
}

}  // namespace
}  // namespace openbar::web
