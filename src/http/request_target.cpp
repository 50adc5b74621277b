#include "http/request_target.hpp"

#include <boost/url/parse.hpp>

#include <array>
#include <cstdint>

namespace openbar::http {
namespace {

// RFC 3986 pchar without pct-encoded: unreserved, sub-delims, ':' and '@'.
// '/' is added because a path is segments joined by it; the query also
// allows '?', which assign() handles.
constexpr std::array<bool, 256> path_characters = [] {
    std::array<bool, 256> allowed{};
    for (char c = 'a'; c <= 'z'; ++c) allowed[static_cast<unsigned char>(c)] = true;
    for (char c = 'A'; c <= 'Z'; ++c) allowed[static_cast<unsigned char>(c)] = true;
    for (char c = '0'; c <= '9'; ++c) allowed[static_cast<unsigned char>(c)] = true;
    for (char c : std::string_view("-._~!$&'()*+,;=:@/")) allowed[static_cast<unsigned char>(c)] = true;
    return allowed;
}();

bool is_hex_digit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

bool RequestTarget::assign(std::string_view text) {
    text_ = {};
    query_start_ = std::string_view::npos;
    has_percent_ = false;
    view_.reset();

    // One pass over the origin-form grammar: "/" first, then pchar, "/",
    // and in the query also "?". Anything else (an invalid percent
    // sequence, a fragment, a character that must be encoded) is left to
    // Boost.URL, which rejects it.
    bool simple = !text.empty() && text.front() == '/';
    std::size_t query_start = std::string_view::npos;
    bool has_percent = false;
    for (std::size_t i = 0; simple && i < text.size(); ++i) {
        char c = text[i];
        if (path_characters[static_cast<unsigned char>(c)]) continue;
        if (c == '?') {
            if (query_start == std::string_view::npos) query_start = i;
        } else if (c == '%' && i + 2 < text.size() && is_hex_digit(text[i + 1]) && is_hex_digit(text[i + 2])) {
            if (query_start == std::string_view::npos) has_percent = true;
            i += 2;
        } else {
            simple = false;
        }
    }

    if (!simple) {
        auto parsed = boost::urls::parse_origin_form(text);
        if (!parsed) return false;
        view_ = *parsed;
        query_start = text.find('?');
        has_percent = text.substr(0, query_start).find('%') != std::string_view::npos;
    }
    text_ = text;
    query_start_ = query_start;
    has_percent_ = has_percent;
    return true;
}

void RequestTarget::decode_path(std::string& path) const {
    if (!has_percent_) {
        path.assign(encoded_path());
        return;
    }
    path = view().path();
}

const boost::urls::url_view& RequestTarget::view() const {
    // assign() accepted the target, so it parses.
    if (!view_) view_ = boost::urls::parse_origin_form(text_).value();
    return *view_;
}

}  // namespace openbar::http
