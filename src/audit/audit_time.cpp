#include "audit/audit_time.hpp"

#include <fmt/format.h>

#include <charconv>
#include <ctime>

namespace openbar::audit {
namespace {

// Reads exactly `width` decimal digits at `position`.
std::optional<int> read_digits(std::string_view text, std::size_t position, std::size_t width) {
    if (position + width > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = position; i < position + width; ++i) {
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

}  // namespace

std::string format_utc(std::chrono::system_clock::time_point time) {
    // Every password login records an event stamped with the current
    // second, so each thread keeps the last second it formatted.
    struct LastFormatted {
        bool valid = false;
        std::time_t seconds = 0;
        std::string text;
    };
    thread_local LastFormatted last;
    std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    if (last.valid && seconds == last.seconds) return last.text;

    std::tm utc{};
    gmtime_r(&seconds, &utc);
    last.text = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                            utc.tm_hour, utc.tm_min, utc.tm_sec);
    last.seconds = seconds;
    last.valid = true;
    return last.text;
}

std::string format_utc_minute(std::chrono::system_clock::time_point time) {
    return format_utc(std::chrono::floor<std::chrono::minutes>(time));
}

std::optional<std::string> parse_utc(std::string_view text) {
    if (text.ends_with('Z')) text.remove_suffix(1);

    // "YYYY-MM-DD", then optionally "THH:MM" and ":SS".
    if (text.size() != 10 && text.size() != 16 && text.size() != 19) return std::nullopt;
    auto year = read_digits(text, 0, 4);
    auto month = read_digits(text, 5, 2);
    auto day = read_digits(text, 8, 2);
    if (!year || !month || !day || text[4] != '-' || text[7] != '-') return std::nullopt;

    int hour = 0, minute = 0, second = 0;
    if (text.size() >= 16) {
        auto parsed_hour = read_digits(text, 11, 2);
        auto parsed_minute = read_digits(text, 14, 2);
        if (text[10] != 'T' || text[13] != ':' || !parsed_hour || !parsed_minute) return std::nullopt;
        hour = *parsed_hour;
        minute = *parsed_minute;
    }
    if (text.size() == 19) {
        auto parsed_second = read_digits(text, 17, 2);
        if (text[16] != ':' || !parsed_second) return std::nullopt;
        second = *parsed_second;
    }

    using namespace std::chrono;
    year_month_day date{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                        std::chrono::day(static_cast<unsigned>(*day))};
    if (!date.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", *year, *month, *day, hour, minute, second);
}

}  // namespace openbar::audit
