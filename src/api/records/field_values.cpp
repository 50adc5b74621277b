#include "api/records/field_values.hpp"

#include <boost/json/serialize.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>

#include "util/text.hpp"

namespace openbar::api::records {
namespace {

// Largest magnitude for which every integer is exact in a double (2^53).
constexpr double max_exact_double = 9007199254740992.0;

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// Parses a plain decimal number: optional sign, digits, optional fraction.
// Exponents, hex, "inf" and "nan" are rejected.
std::optional<double> parse_decimal(std::string_view text) {
    text = trim(text);
    std::size_t i = 0;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++digits;
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++digits;
    }
    if (digits == 0 || i != text.size()) return std::nullopt;

    std::string_view unsigned_text = text.front() == '+' ? text.substr(1) : text;
    double result = 0;
    auto [end, error] = std::from_chars(unsigned_text.data(), unsigned_text.data() + unsigned_text.size(), result);
    if (error != std::errc() || end != unsigned_text.data() + unsigned_text.size()) return std::nullopt;
    return result;
}

std::optional<double> number_of(const boost::json::value& input) {
    if (input.is_int64()) return static_cast<double>(input.get_int64());
    if (input.is_uint64()) return static_cast<double>(input.get_uint64());
    if (input.is_double()) return input.get_double();
    if (input.is_string()) return parse_decimal(input.get_string());
    return std::nullopt;
}

std::optional<std::string> normalize_money(const boost::json::value& input, boost::json::value& output) {
    if (input.is_int64() || input.is_uint64()) {
        output = input;
        return std::nullopt;
    }
    auto number = number_of(input);
    if (!number || !std::isfinite(*number) || std::fabs(*number) >= max_exact_double) {
        return std::string("must be an amount in cents: an integer, a number or a numeric string");
    }
    output = static_cast<std::int64_t>(std::llround(*number));
    return std::nullopt;
}

std::optional<std::string> normalize_number(const boost::json::value& input, boost::json::value& output) {
    if (input.is_int64() || input.is_uint64()) {
        output = input;
        return std::nullopt;
    }
    auto number = number_of(input);
    if (!number || !std::isfinite(*number)) {
        return std::string("must be a number or a numeric string");
    }
    if (std::trunc(*number) == *number && std::fabs(*number) < max_exact_double) {
        output = static_cast<std::int64_t>(*number);
    } else {
        output = *number;
    }
    return std::nullopt;
}

std::optional<std::string> normalize_boolean(const boost::json::value& input, boost::json::value& output) {
    if (input.is_bool()) {
        output = input;
        return std::nullopt;
    }
    if (input.is_int64() && (input.get_int64() == 0 || input.get_int64() == 1)) {
        output = input.get_int64() == 1;
        return std::nullopt;
    }
    if (input.is_string()) {
        std::string text = util::to_lower_ascii(trim(input.get_string()));
        if (text == "true" || text == "1") {
            output = true;
            return std::nullopt;
        }
        if (text == "false" || text == "0") {
            output = false;
            return std::nullopt;
        }
    }
    return std::string("must be a boolean: true or false");
}

bool has_control_character(std::string_view text) {
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7F) return true;
    }
    return false;
}

std::optional<std::string> normalize_text(const boost::json::value& input, boost::json::value& output) {
    if (input.is_string()) {
        output = input;
        return std::nullopt;
    }
    if (input.is_int64() || input.is_uint64() || input.is_double()) {
        output.emplace_string().assign(filter_text(input));
        return std::nullopt;
    }
    return std::string("must be a string");
}

std::optional<std::string> normalize_identifier(const boost::json::value& input, boost::json::value& output) {
    if (input.is_double()) {
        return std::string("must be a string or an integer");
    }
    if (auto error = normalize_text(input, output)) {
        return std::string("must be a string or an integer");
    }
    std::string_view text = output.get_string();
    if (text.empty()) return std::string("must not be empty");
    if (has_control_character(text)) return std::string("must not contain control characters");
    return std::nullopt;
}

std::optional<std::string> normalize_list(const boost::json::value& input, boost::json::value& output) {
    boost::json::array items;
    if (input.is_string()) {
        std::string_view text = input.get_string();
        while (!text.empty()) {
            std::size_t comma = text.find(',');
            std::string_view item = trim(text.substr(0, comma));
            if (!item.empty()) items.emplace_back(boost::json::string(item));
            if (comma == std::string_view::npos) break;
            text.remove_prefix(comma + 1);
        }
        output = std::move(items);
        return std::nullopt;
    }
    if (!input.is_array()) {
        return std::string("must be a list of strings or a comma-separated string");
    }
    for (const boost::json::value& element : input.get_array()) {
        boost::json::value item;
        if (element.is_bool() || normalize_text(element, item)) {
            return std::string("must be a list of strings");
        }
        items.push_back(std::move(item));
    }
    output = std::move(items);
    return std::nullopt;
}

bool parse_digits(std::string_view text, std::size_t offset, std::size_t count, int& value) {
    if (offset + count > text.size()) return false;
    value = 0;
    for (std::size_t i = offset; i < offset + count; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        value = value * 10 + (text[i] - '0');
    }
    return true;
}

// Writes `value` as exactly `width` decimal digits, zero-padded; returns the end.
char* put_digits(char* out, unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i) {
        out[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    return out + width;
}

// The longest stored timestamp: "YYYY-MM-DDTHH:MM:SSZ".
using TimestampBuffer = std::array<char, 20>;

// Writes the stored form of a timestamp to `out` and returns it, or nothing
// when `text` is invalid. Uploads call this for every date field, so it
// formats by hand instead of through fmt.
std::optional<std::string_view> format_timestamp(std::string_view text, TimestampBuffer& out) {
    using namespace std::chrono;
    text = trim(text);

    int year = 0, month = 0, day = 0;
    if (!parse_digits(text, 0, 4, year) || text.size() < 10 || text[4] != '-' || !parse_digits(text, 5, 2, month) ||
        text[7] != '-' || !parse_digits(text, 8, 2, day)) {
        return std::nullopt;
    }
    year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                        std::chrono::day(static_cast<unsigned>(day))};
    if (!date.ok()) return std::nullopt;
    if (text.size() == 10) {
        char* end = put_digits(out.data(), static_cast<unsigned>(year), 4);
        *end++ = '-';
        end = put_digits(end, static_cast<unsigned>(month), 2);
        *end++ = '-';
        end = put_digits(end, static_cast<unsigned>(day), 2);
        return std::string_view(out.data(), static_cast<std::size_t>(end - out.data()));
    }

    // Time of day: THH:MM, then optional :SS and .fraction.
    int hour = 0, minute = 0, second = 0;
    if ((text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !parse_digits(text, 11, 2, hour) ||
        text.size() < 16 || text[13] != ':' || !parse_digits(text, 14, 2, minute)) {
        return std::nullopt;
    }
    std::size_t position = 16;
    if (position < text.size() && text[position] == ':') {
        if (!parse_digits(text, position + 1, 2, second)) return std::nullopt;
        position += 3;
        if (position < text.size() && text[position] == '.') {
            ++position;
            std::size_t digits_start = position;
            while (position < text.size() && text[position] >= '0' && text[position] <= '9') ++position;
            if (position == digits_start) return std::nullopt;
        }
    }
    // A leap second (:60) is accepted and folds into the next minute.
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;

    // Offset: nothing (UTC), Z, +HH:MM, +HHMM or +HH.
    int offset_minutes = 0;
    std::string_view zone = text.substr(position);
    if (zone == "Z" || zone == "z") {
        zone = {};
    } else if (!zone.empty()) {
        int sign = 0;
        if (zone[0] == '+') sign = 1;
        if (zone[0] == '-') sign = -1;
        int zone_hours = 0, zone_minutes = 0;
        if (sign == 0 || !parse_digits(zone, 1, 2, zone_hours)) return std::nullopt;
        std::string_view rest = zone.substr(3);
        if (rest.starts_with(':')) rest.remove_prefix(1);
        if (!rest.empty() && (rest.size() != 2 || !parse_digits(rest, 0, 2, zone_minutes))) return std::nullopt;
        if (zone_hours > 23 || zone_minutes > 59) return std::nullopt;
        offset_minutes = sign * (zone_hours * 60 + zone_minutes);
    }

    sys_seconds local = sys_days(date) + hours(hour) + minutes(minute) + seconds(second);
    sys_seconds utc = local - minutes(offset_minutes);
    sys_days utc_day = floor<days>(utc);
    year_month_day utc_date(utc_day);
    hh_mm_ss<seconds> time(utc - utc_day);
    int utc_year = static_cast<int>(utc_date.year());
    if (utc_year < 0 || utc_year > 9999) return std::nullopt;
    char* end = put_digits(out.data(), static_cast<unsigned>(utc_year), 4);
    *end++ = '-';
    end = put_digits(end, static_cast<unsigned>(utc_date.month()), 2);
    *end++ = '-';
    end = put_digits(end, static_cast<unsigned>(utc_date.day()), 2);
    *end++ = 'T';
    end = put_digits(end, static_cast<unsigned>(time.hours().count()), 2);
    *end++ = ':';
    end = put_digits(end, static_cast<unsigned>(time.minutes().count()), 2);
    *end++ = ':';
    end = put_digits(end, static_cast<unsigned>(time.seconds().count()), 2);
    *end++ = 'Z';
    return std::string_view(out.data(), static_cast<std::size_t>(end - out.data()));
}

}  // namespace

std::optional<std::string> normalize_timestamp(std::string_view text) {
    TimestampBuffer buffer;
    auto formatted = format_timestamp(text, buffer);
    if (!formatted) return std::nullopt;
    return std::string(*formatted);
}

std::optional<std::string> normalize_value(FieldKind kind, const boost::json::value& input, boost::json::value& output) {
    switch (kind) {
        case FieldKind::text: return normalize_text(input, output);
        case FieldKind::identifier: return normalize_identifier(input, output);
        case FieldKind::money: return normalize_money(input, output);
        case FieldKind::number: return normalize_number(input, output);
        case FieldKind::boolean: return normalize_boolean(input, output);
        case FieldKind::list: return normalize_list(input, output);
        case FieldKind::timestamp: {
            const char* expected = "must be a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM:SS, optional offset)";
            if (!input.is_string()) return std::string(expected);
            TimestampBuffer buffer;
            auto normalized = format_timestamp(input.get_string(), buffer);
            if (!normalized) return std::string(expected);
            // In `output`'s own storage, so assigning it copies nothing.
            output.emplace_string().assign(*normalized);
            return std::nullopt;
        }
    }
    return std::string("has an unsupported kind");
}

std::string filter_text(const boost::json::value& value) {
    if (value.is_string()) return std::string(value.get_string());
    if (value.is_bool()) return value.get_bool() ? "true" : "false";
    if (value.is_int64()) return std::to_string(value.get_int64());
    if (value.is_uint64()) return std::to_string(value.get_uint64());
    if (value.is_double()) {
        // Shortest text that reads back as the same double, as SQLite renders reals.
        char buffer[64];
        auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value.get_double());
        return std::string(buffer, end);
    }
    return boost::json::serialize(value);
}

}  // namespace openbar::api::records
