#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace openbar::audit {

// Formats `time` as UTC "YYYY-MM-DDTHH:MM:SSZ", the form every audit and
// token-use time is stored in, so text order is time order.
std::string format_utc(std::chrono::system_clock::time_point time);

// Formats the start of the minute holding `time`: "YYYY-MM-DDTHH:MM:00Z".
std::string format_utc_minute(std::chrono::system_clock::time_point time);

// Parses an ISO 8601 UTC date ("2026-12-04") or date-time
// ("2026-12-04T20:00", "2026-12-04T20:00:00", each with an optional
// trailing "Z") into the stored form. Returns nothing for any other text,
// including impossible dates such as "2026-02-30".
std::optional<std::string> parse_utc(std::string_view text);

}  // namespace openbar::audit
