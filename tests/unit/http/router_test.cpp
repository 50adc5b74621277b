#include "http/router.hpp"

#include <gtest/gtest.h>

namespace openbar::http {
namespace {

Handler noop() {
    return [](Exchange&) { return Response{}; };
}

TEST(Router, MatchesWithAndWithoutTrailingSlash) {
    Router router;
    router.add("/api/auth/access-token", Access::tenant_api, beast_http::verb::get, noop());
    EXPECT_TRUE(router.match("/api/auth/access-token"));
    EXPECT_TRUE(router.match("/api/auth/access-token/"));
    EXPECT_FALSE(router.match("/api/auth/access-token//"));
    EXPECT_FALSE(router.match("/api/auth"));
    EXPECT_FALSE(router.match("api/auth/access-token"));
}

TEST(Router, CapturesParameters) {
    Router router;
    router.add("/api/datasources/{id}/import", Access::tenant_api, beast_http::verb::post, noop());
    auto match = router.match("/api/datasources/42/import/");
    ASSERT_TRUE(match);
    EXPECT_EQ(match->params.at("id"), "42");
    EXPECT_FALSE(router.match("/api/datasources//import"));
}

TEST(Router, AllowListsRegisteredMethods) {
    Router router;
    router.add("/x", Access::tenant_api, beast_http::verb::get, noop());
    router.add("/x", Access::tenant_api, beast_http::verb::post, noop());
    auto match = router.match("/x");
    ASSERT_TRUE(match);
    EXPECT_EQ(Router::allow_header(*match->route), "GET, POST");
}

}  // namespace
}  // namespace openbar::http
