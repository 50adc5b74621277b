#include "http/tenant.hpp"

#include <gtest/gtest.h>

namespace openbar::http {
namespace {

TEST(Tenant, ResolvesCompanyLabel) {
    EXPECT_EQ(company_from_host("acme.localhost", "localhost"), "acme");
    EXPECT_EQ(company_from_host("acme.localhost:8080", "localhost"), "acme");
    EXPECT_EQ(company_from_host("ACME.LocalHost:8080", "localhost"), "acme");
    EXPECT_EQ(company_from_host("acme.localhost.", "localhost"), "acme");
    EXPECT_EQ(company_from_host("acme.localhost.:8080", "localhost"), "acme");
    EXPECT_EQ(company_from_host("my-shop.api.example.com", "api.example.com"), "my-shop");
    EXPECT_EQ(company_from_host("acme.example.com", "EXAMPLE.com"), "acme");
}

TEST(Tenant, RejectsOtherHosts) {
    const char* hosts[] = {
        "",
        "localhost",
        "localhost:8080",
        ".localhost",
        "127.0.0.1",
        "127.0.0.1:8080",
        "[::1]:8080",
        "a.b.localhost",
        "acme.localhost..",
        "acme.otherhost",
        "acmelocalhost",
        "acme.localhost:",
        "acme.localhost:80x",
        "acme.localhost:123456",
        "-acme.localhost",
        "ac_me.localhost",
        "acme .localhost",
    };
    for (const char* host : hosts) {
        EXPECT_EQ(company_from_host(host, "localhost"), std::nullopt) << "host: " << host;
    }
}

}  // namespace
}  // namespace openbar::http
