#include "http/forwarded.hpp"

#include <charconv>
#include <stdexcept>

#include "util/text.hpp"

namespace openbar::http {
namespace {

namespace ip = boost::asio::ip;

// Maps "::ffff:a.b.c.d" to a.b.c.d, so IPv4 clients of a dual-stack socket
// match IPv4 blocks.
ip::address unmap(const ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        return ip::make_address_v4(ip::v4_mapped, address.to_v6());
    }
    return address;
}

std::optional<ip::address> parse_address(std::string_view text) {
    boost::system::error_code error;
    auto address = ip::make_address(text, error);
    if (error) return std::nullopt;
    return unmap(address);
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// Splits comma-separated header values, across repeated headers, in order.
std::vector<std::string_view> list_elements(const Request& request, std::string_view name) {
    std::vector<std::string_view> elements;
    auto [first, last] = request.equal_range(name);
    for (auto it = first; it != last; ++it) {
        std::string_view value = it->value();
        while (true) {
            std::size_t comma = value.find(',');
            elements.push_back(trim(value.substr(0, comma)));
            if (comma == std::string_view::npos) break;
            value.remove_prefix(comma + 1);
        }
    }
    return elements;
}

}  // namespace

TrustedProxies::TrustedProxies(const std::vector<std::string>& cidrs) {
    for (const auto& cidr : cidrs) blocks_.push_back(parse_block(cidr));
}

TrustedProxies::Block TrustedProxies::parse_block(std::string_view cidr) {
    auto invalid = [&](const std::string& why) {
        return std::invalid_argument("invalid trusted proxy '" + std::string(cidr) + "': " + why +
                                     "; use a CIDR block such as 10.0.0.0/8 or fd00::/8, or one address");
    };

    std::size_t slash = cidr.find('/');
    std::string address_text(cidr.substr(0, slash));
    boost::system::error_code error;
    auto address = ip::make_address(address_text, error);
    if (error) throw invalid("'" + address_text + "' is not an IP address");

    Block block;
    block.is_v4 = address.is_v4();
    unsigned max_length = block.is_v4 ? 32 : 128;
    if (block.is_v4) {
        auto bytes = address.to_v4().to_bytes();
        std::copy(bytes.begin(), bytes.end(), block.bytes.begin());
    } else {
        block.bytes = address.to_v6().to_bytes();
    }

    block.prefix_length = max_length;
    if (slash != std::string_view::npos) {
        std::string_view length_text = cidr.substr(slash + 1);
        auto [end, status] = std::from_chars(length_text.data(), length_text.data() + length_text.size(),
                                             block.prefix_length);
        if (length_text.empty() || status != std::errc() || end != length_text.data() + length_text.size() ||
            block.prefix_length > max_length) {
            throw invalid("the prefix length must be a number from 0 to " + std::to_string(max_length));
        }
    }

    // Host bits set below the prefix usually mean a typo in the prefix.
    for (unsigned bit = block.prefix_length; bit < max_length; ++bit) {
        if (block.bytes[bit / 8] & (0x80u >> (bit % 8))) {
            throw invalid("the address has bits set past the /" + std::to_string(block.prefix_length) + " prefix");
        }
    }
    return block;
}

bool TrustedProxies::contains(const ip::address& raw_address) const {
    ip::address address = unmap(raw_address);
    std::array<std::uint8_t, 16> bytes{};
    if (address.is_v4()) {
        auto v4 = address.to_v4().to_bytes();
        std::copy(v4.begin(), v4.end(), bytes.begin());
    } else {
        bytes = address.to_v6().to_bytes();
    }

    for (const Block& block : blocks_) {
        if (block.is_v4 != address.is_v4()) continue;
        unsigned full_bytes = block.prefix_length / 8;
        unsigned rest_bits = block.prefix_length % 8;
        if (!std::equal(block.bytes.begin(), block.bytes.begin() + full_bytes, bytes.begin())) continue;
        if (rest_bits != 0) {
            std::uint8_t mask = static_cast<std::uint8_t>(0xFFu << (8 - rest_bits));
            if ((block.bytes[full_bytes] & mask) != (bytes[full_bytes] & mask)) continue;
        }
        return true;
    }
    return false;
}

void apply_forwarded_headers(const TrustedProxies& proxies, Exchange& exchange) {
    if (proxies.empty()) return;
    auto peer = parse_address(exchange.client_address);
    if (!peer || !proxies.contains(*peer)) return;

    // Walk from the nearest hop outwards. An element that is not an address
    // ends the walk: nothing beyond it can be trusted, so the hop that
    // forwarded it counts as the client.
    auto hops = list_elements(exchange.request, "X-Forwarded-For");
    for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
        auto address = parse_address(*hop);
        if (!address) break;
        exchange.client_address = address->to_string();
        if (!proxies.contains(*address)) break;
    }

    // The nearest proxy's value counts; anything but http or https is ignored.
    auto schemes = list_elements(exchange.request, "X-Forwarded-Proto");
    if (!schemes.empty()) {
        if (util::iequals(schemes.back(), "https")) {
            exchange.secure = true;
        } else if (util::iequals(schemes.back(), "http")) {
            exchange.secure = false;
        }
    }
}

}  // namespace openbar::http
