#include "web/form.hpp"

#include "util/text.hpp"

namespace openbar::web {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> decode_component(std::string_view encoded) {
    std::string decoded;
    decoded.reserve(encoded.size());
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        char c = encoded[i];
        if (c == '+') {
            decoded += ' ';
        } else if (c == '%') {
            if (i + 2 >= encoded.size()) return std::nullopt;
            int high = hex_value(encoded[i + 1]);
            int low = hex_value(encoded[i + 2]);
            if (high < 0 || low < 0) return std::nullopt;
            decoded += static_cast<char>(high * 16 + low);
            i += 2;
        } else {
            decoded += c;
        }
    }
    if (!util::is_valid_utf8(decoded)) return std::nullopt;
    return decoded;
}

}  // namespace

std::optional<FormFields> parse_form(std::string_view body) {
    FormFields fields;
    while (!body.empty()) {
        std::size_t amp = body.find('&');
        std::string_view pair = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
        if (pair.empty()) continue;

        std::size_t equals = pair.find('=');
        auto name = decode_component(pair.substr(0, equals));
        auto value = decode_component(equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1));
        if (!name || !value) return std::nullopt;
        fields.emplace(std::move(*name), std::move(*value));
    }
    return fields;
}

std::string_view form_value(const FormFields& fields, std::string_view name) {
    auto found = fields.find(name);
    return found == fields.end() ? std::string_view{} : std::string_view(found->second);
}

}  // namespace openbar::web
