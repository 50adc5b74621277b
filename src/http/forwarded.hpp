#pragma once

#include <boost/asio/ip/address.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/exchange.hpp"

namespace openbar::http {

// The peers whose X-Forwarded-For and X-Forwarded-Proto headers are believed:
// a list of CIDR blocks such as "10.0.0.0/8" or "fd00::/8". A bare address
// is a block of that one address. IPv4-mapped IPv6 addresses
// ("::ffff:10.0.0.1") match the IPv4 blocks.
class TrustedProxies {
public:
    TrustedProxies() = default;

    // Throws std::invalid_argument naming the first invalid block.
    explicit TrustedProxies(const std::vector<std::string>& cidrs);

    bool empty() const { return blocks_.empty(); }
    bool contains(const boost::asio::ip::address& address) const;

private:
    struct Block {
        bool is_v4 = true;
        std::array<std::uint8_t, 16> bytes{};  // the first 4 for IPv4
        unsigned prefix_length = 0;
    };
    static Block parse_block(std::string_view cidr);

    std::vector<Block> blocks_;
};

// Sets exchange.client_address and exchange.secure from X-Forwarded-For and
// X-Forwarded-Proto, but only when the TCP peer (the address the exchange
// starts with) is a trusted proxy; from any other peer both headers are
// ignored. The client is the rightmost X-Forwarded-For address that is not
// itself a trusted proxy, because every address left of it was written by a
// host openbar does not trust.
void apply_forwarded_headers(const TrustedProxies& proxies, Exchange& exchange);

}  // namespace openbar::http
