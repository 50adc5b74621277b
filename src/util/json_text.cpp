#include "util/json_text.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace openbar::util {
namespace {

// For each byte: 0 when it is copied as it is, else the letter of its escape
// ('u' for \u00XX). JSON requires escapes for '"', '\' and the control
// characters; boost::json escapes exactly those.
constexpr std::array<char, 256> escapes = [] {
    std::array<char, 256> table{};
    for (int c = 0; c < 0x20; ++c) table[c] = 'u';
    table['\b'] = 'b';
    table['\t'] = 't';
    table['\n'] = 'n';
    table['\f'] = 'f';
    table['\r'] = 'r';
    table['"'] = '"';
    table['\\'] = '\\';
    return table;
}();

// Whether any of the eight bytes in `word` is below 0x20, '"' or '\\'.
// Subtracting 0x01 (or 0x20) from every byte borrows into the top bit of a
// byte that was 0x00 (or below 0x20), and `& ~v` drops bytes of 0x80 and up.
constexpr bool needs_escape(std::uint64_t word) {
    constexpr std::uint64_t ones = 0x0101010101010101;
    constexpr std::uint64_t high_bits = 0x8080808080808080;
    auto has_zero_byte = [](std::uint64_t v) { return (v - ones) & ~v & high_bits; };
    std::uint64_t control = (word - ones * 0x20) & ~word & high_bits;
    return (control | has_zero_byte(word ^ (ones * '"')) | has_zero_byte(word ^ (ones * '\\'))) != 0;
}

// Writes into `out` through a pointer, growing it ahead of each piece,
// and cuts it to the written length when done.
class Writer {
public:
    explicit Writer(std::string& out) : out_(out), used_(out.size()) {}
    ~Writer() { out_.resize(used_); }

    // Returns room for `size` more bytes; call done() with what was written.
    char* room(std::size_t size) {
        if (out_.size() < used_ + size) out_.resize(std::max(out_.size() * 2, used_ + size + 256));
        return out_.data() + used_;
    }
    void done(char* end) { used_ = static_cast<std::size_t>(end - out_.data()); }

    void put(char c) { *room(1) = c, ++used_; }
    void put(std::string_view text) {
        char* at = room(text.size());
        std::memcpy(at, text.data(), text.size());
        used_ += text.size();
    }

    void string(std::string_view text) {
        // An escape takes at most six bytes, plus the quotes.
        char* at = room(text.size() * 6 + 2);
        *at++ = '"';
        std::size_t i = 0;
        while (i < text.size()) {
            // Eight bytes at a time while none of them needs an escape.
            if (i + 8 <= text.size()) {
                std::uint64_t word;
                std::memcpy(&word, text.data() + i, 8);
                if (!needs_escape(word)) {
                    std::memcpy(at, &word, 8);
                    at += 8;
                    i += 8;
                    continue;
                }
            }
            char c = text[i++];
            char escape = escapes[static_cast<unsigned char>(c)];
            if (escape == 0) {
                *at++ = c;
                continue;
            }
            *at++ = '\\';
            *at++ = escape;
            if (escape == 'u') {
                constexpr char hex[] = "0123456789abcdef";
                auto byte = static_cast<unsigned char>(c);
                *at++ = '0';
                *at++ = '0';
                *at++ = hex[byte >> 4];
                *at++ = hex[byte & 0xF];
            }
        }
        *at++ = '"';
        done(at);
    }

    template <typename Integer>
    void integer(Integer number) {
        char* at = room(24);
        done(std::to_chars(at, at + 24, number).ptr);
    }

    void object(const boost::json::object& object) {
        put('{');
        bool first = true;
        for (const auto& entry : object) {
            if (!first) put(',');
            first = false;
            string(entry.key());
            put(':');
            value(entry.value());
        }
        put('}');
    }

    void value(const boost::json::value& value) {
        switch (value.kind()) {
            case boost::json::kind::string: string(value.get_string()); return;
            case boost::json::kind::int64: integer(value.get_int64()); return;
            case boost::json::kind::uint64: integer(value.get_uint64()); return;
            case boost::json::kind::bool_: put(value.get_bool() ? "true" : "false"); return;
            case boost::json::kind::null: put("null"); return;
            case boost::json::kind::object: object(value.get_object()); return;
            case boost::json::kind::array: {
                put('[');
                bool first = true;
                for (const boost::json::value& item : value.get_array()) {
                    if (!first) put(',');
                    first = false;
                    this->value(item);
                }
                put(']');
                return;
            }
            case boost::json::kind::double_:
                // boost::json's shortest round-trip form, which this does not reimplement.
                put(boost::json::serialize(value));
                return;
        }
    }

private:
    std::string& out_;
    std::size_t used_;
};

}  // namespace

void append_json(std::string& out, const boost::json::object& object) { Writer(out).object(object); }

void append_json(std::string& out, const boost::json::value& value) { Writer(out).value(value); }

std::string to_json(const boost::json::object& object) {
    std::string out;
    out.reserve(256);
    append_json(out, object);
    return out;
}

}  // namespace openbar::util
