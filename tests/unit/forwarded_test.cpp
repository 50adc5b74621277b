#include "http/forwarded.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace openbar::http {
namespace {

namespace ip = boost::asio::ip;

struct ForwardedCase {
    Request request;
    Exchange exchange;

    explicit ForwardedCase(std::string peer) : exchange(request, std::move(peer)) {}
    ForwardedCase& header(std::string_view name, std::string_view value) {
        request.insert(name, value);
        return *this;
    }
};

TEST(TrustedProxies, MatchesIpv4Block) {
    TrustedProxies proxies({"10.1.0.0/16"});
    EXPECT_TRUE(proxies.contains(ip::make_address("10.1.0.1")));
    EXPECT_TRUE(proxies.contains(ip::make_address("10.1.255.255")));
    EXPECT_FALSE(proxies.contains(ip::make_address("10.2.0.1")));
    EXPECT_FALSE(proxies.contains(ip::make_address("::1")));
}

TEST(TrustedProxies, MatchesOddPrefixLength) {
    TrustedProxies proxies({"192.168.4.0/22"});
    EXPECT_TRUE(proxies.contains(ip::make_address("192.168.7.200")));
    EXPECT_FALSE(proxies.contains(ip::make_address("192.168.8.1")));
    EXPECT_FALSE(proxies.contains(ip::make_address("192.168.3.255")));
}

TEST(TrustedProxies, MatchesIpv6Block) {
    TrustedProxies proxies({"fd00:1234::/32"});
    EXPECT_TRUE(proxies.contains(ip::make_address("fd00:1234:ffff::1")));
    EXPECT_FALSE(proxies.contains(ip::make_address("fd00:1235::1")));
    EXPECT_FALSE(proxies.contains(ip::make_address("10.0.0.1")));
}

TEST(TrustedProxies, BareAddressIsOneHost) {
    TrustedProxies proxies({"127.0.0.1", "::1"});
    EXPECT_TRUE(proxies.contains(ip::make_address("127.0.0.1")));
    EXPECT_FALSE(proxies.contains(ip::make_address("127.0.0.2")));
    EXPECT_TRUE(proxies.contains(ip::make_address("::1")));
}

TEST(TrustedProxies, MappedIpv4MatchesIpv4Block) {
    TrustedProxies proxies({"127.0.0.0/8"});
    EXPECT_TRUE(proxies.contains(ip::make_address("::ffff:127.0.0.1")));
}

TEST(TrustedProxies, ZeroPrefixMatchesFamily) {
    TrustedProxies proxies({"0.0.0.0/0"});
    EXPECT_TRUE(proxies.contains(ip::make_address("203.0.113.9")));
    EXPECT_FALSE(proxies.contains(ip::make_address("2001:db8::1")));
}

TEST(TrustedProxies, RejectsInvalidBlocks) {
    for (const char* invalid : {"", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/8x", "10.0.0.1/8", "example.com",
                                "10.0.0.0/-1", "fd00::1/8", "10.0.0.0/08/1"}) {
        EXPECT_THROW(TrustedProxies({invalid}), std::invalid_argument) << invalid;
    }
}

TEST(TrustedProxies, ErrorNamesValue) {
    try {
        TrustedProxies({"10.0.0.1/8"});
        FAIL() << "no exception";
    } catch (const std::invalid_argument& error) {
        EXPECT_NE(std::string(error.what()).find("'10.0.0.1/8'"), std::string::npos) << error.what();
    }
}

TEST(ForwardedHeaders, IgnoredFromUntrustedPeer) {
    TrustedProxies proxies({"10.0.0.0/8"});
    ForwardedCase exchange_case("192.0.2.1");
    exchange_case.header("X-Forwarded-For", "203.0.113.7").header("X-Forwarded-Proto", "https");
    apply_forwarded_headers(proxies, exchange_case.exchange);
    EXPECT_EQ(exchange_case.exchange.client_address, "192.0.2.1");
    EXPECT_FALSE(exchange_case.exchange.secure);
}

TEST(ForwardedHeaders, IgnoredWithoutTrustedProxies) {
    TrustedProxies proxies;
    ForwardedCase exchange_case("10.0.0.1");
    exchange_case.header("X-Forwarded-For", "203.0.113.7");
    apply_forwarded_headers(proxies, exchange_case.exchange);
    EXPECT_EQ(exchange_case.exchange.client_address, "10.0.0.1");
}

TEST(ForwardedHeaders, TrustedPeerSetsClientAndScheme) {
    TrustedProxies proxies({"10.0.0.0/8"});
    ForwardedCase exchange_case("10.0.0.1");
    exchange_case.header("X-Forwarded-For", "203.0.113.7").header("X-Forwarded-Proto", "HTTPS");
    apply_forwarded_headers(proxies, exchange_case.exchange);
    EXPECT_EQ(exchange_case.exchange.client_address, "203.0.113.7");
    EXPECT_TRUE(exchange_case.exchange.secure);
}

TEST(ForwardedHeaders, RightmostUntrustedAddressWins) {
    TrustedProxies proxies({"10.0.0.0/8"});
    ForwardedCase exchange_case("10.0.0.1");
    // The client forged the first entry; 198.51.100.2 connected to the
    // trusted proxy 10.0.0.9, which connected to openbar's peer 10.0.0.1.
    exchange_case.header("X-Forwarded-For", "1.1.1.1, 198.51.100.2").header("X-Forwarded-For", "10.0.0.9");
    apply_forwarded_headers(proxies, exchange_case.exchange);
    EXPECT_EQ(exchange_case.exchange.client_address, "198.51.100.2");
}

TEST(ForwardedHeaders, AllTrustedTakesLeftmost) {
    TrustedProxies proxies({"10.0.0.0/8"});
    ForwardedCase exchange_case("10.0.0.1");
    exchange_case.header("X-Forwarded-For", "10.0.0.3,10.0.0.2");
    apply_forwarded_headers(proxies, exchange_case.exchange);
    EXPECT_EQ(exchange_case.exchange.client_address, "10.0.0.3");
}

TEST(ForwardedHeaders, InvalidHopStopsWalk) {
    TrustedProxies proxies({"10.0.0.0/8"});
    ForwardedCase exchange_case("10.0.0.1");
    exchange_case.header("X-Forwarded-For", "203.0.113.7, not-an-address, 10.0.0.5");
    apply_forwarded_headers(proxies, exchange_case.exchange);
    EXPECT_EQ(exchange_case.exchange.client_address, "10.0.0.5");
}

TEST(ForwardedHeaders, InvalidOnlyHopKeepsPeer) {
    TrustedProxies proxies({"10.0.0.0/8"});
    ForwardedCase exchange_case("10.0.0.1");
    exchange_case.header("X-Forwarded-For", "unknown");
    apply_forwarded_headers(proxies, exchange_case.exchange);
    EXPECT_EQ(exchange_case.exchange.client_address, "10.0.0.1");
}

TEST(ForwardedHeaders, Ipv6ClientAddress) {
    TrustedProxies proxies({"::1"});
    ForwardedCase exchange_case("::1");
    exchange_case.header("X-Forwarded-For", "2001:db8::7");
    apply_forwarded_headers(proxies, exchange_case.exchange);
    EXPECT_EQ(exchange_case.exchange.client_address, "2001:db8::7");
}

TEST(ForwardedHeaders, ProtoTakesNearestValue) {
    TrustedProxies proxies({"10.0.0.0/8"});
    ForwardedCase https_last("10.0.0.1");
    https_last.header("X-Forwarded-Proto", "http, https");
    apply_forwarded_headers(proxies, https_last.exchange);
    EXPECT_TRUE(https_last.exchange.secure);

    ForwardedCase http_last("10.0.0.1");
    http_last.exchange.secure = true;
    http_last.header("X-Forwarded-Proto", "http");
    apply_forwarded_headers(proxies, http_last.exchange);
    EXPECT_FALSE(http_last.exchange.secure);
}

TEST(ForwardedHeaders, UnknownProtoIgnored) {
    TrustedProxies proxies({"10.0.0.0/8"});
    ForwardedCase exchange_case("10.0.0.1");
    exchange_case.header("X-Forwarded-Proto", "gopher");
    apply_forwarded_headers(proxies, exchange_case.exchange);
    EXPECT_FALSE(exchange_case.exchange.secure);
}

}  // namespace
}  // namespace openbar::http
