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

TEST(Router, PicksRouteBySegments) {
    Router router;
    router.add("/api/data/{type}", Access::tenant_api, beast_http::verb::get, noop());
    router.add("/api/data/customers/export", Access::tenant_api, beast_http::verb::get, noop());
    router.add("/", Access::public_any_host, beast_http::verb::get, noop());

    auto list = router.match("/api/data/customers");
    ASSERT_TRUE(list);
    EXPECT_EQ(list->route->pattern, "/api/data/{type}");
    EXPECT_EQ(list->params.at("type"), "customers");

    auto export_route = router.match("/api/data/customers/export/");
    ASSERT_TRUE(export_route);
    EXPECT_EQ(export_route->route->pattern, "/api/data/customers/export");
    EXPECT_TRUE(export_route->params.empty());

    auto root = router.match("/");
    ASSERT_TRUE(root);
    EXPECT_EQ(root->route->pattern, "/");
    EXPECT_FALSE(router.match("/api/data/customers/export/x"));
}

TEST(Router, RejectsPathsLongerThanAnyRoute) {
    Router router;
    router.add("/{a}", Access::tenant_api, beast_http::verb::get, noop());
    std::string path;
    for (std::size_t i = 0; i <= Router::max_segments; ++i) path += "/x";
    EXPECT_FALSE(router.match(path));
    EXPECT_TRUE(router.match("/x"));
}

TEST(Router, RejectsPatternWithTooManySegments) {
    Router router;
    std::string pattern;
    for (std::size_t i = 0; i <= Router::max_segments; ++i) pattern += "/x";
    EXPECT_THROW(router.add(pattern, Access::tenant_api, beast_http::verb::get, noop()), std::logic_error);
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
