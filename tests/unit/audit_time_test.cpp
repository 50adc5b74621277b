#include "audit/audit_time.hpp"

#include <gtest/gtest.h>

namespace openbar::audit {
namespace {

using namespace std::chrono;

TEST(AuditTime, FormatsUtcSeconds) {
    auto time = sys_days{2026y / December / 4} + hours(20) + minutes(5) + seconds(9) + milliseconds(700);
    EXPECT_EQ(format_utc(time), "2026-12-04T20:05:09Z");
    EXPECT_EQ(format_utc_minute(time), "2026-12-04T20:05:00Z");
}

TEST(AuditTime, FormatsAlternatingSeconds) {
    // The formatter reuses the last second's text, so changing seconds must
    // each get their own.
    auto base = sys_days{2026y / December / 4} + hours(23);
    for (int round = 0; round < 2; ++round) {
        EXPECT_EQ(format_utc(base), "2026-12-04T23:00:00Z");
        EXPECT_EQ(format_utc(base + milliseconds(999)), "2026-12-04T23:00:00Z");
        EXPECT_EQ(format_utc(base + seconds(1)), "2026-12-04T23:00:01Z");
        EXPECT_EQ(format_utc(sys_days{1969y / December / 31} + hours(23) + minutes(59) + seconds(59)),
                  "1969-12-31T23:59:59Z");
    }
}

TEST(AuditTime, ParsesDate) { EXPECT_EQ(parse_utc("2026-12-04"), "2026-12-04T00:00:00Z"); }

TEST(AuditTime, ParsesDateTimeForms) {
    EXPECT_EQ(parse_utc("2026-12-04T20:05"), "2026-12-04T20:05:00Z");
    EXPECT_EQ(parse_utc("2026-12-04T20:05Z"), "2026-12-04T20:05:00Z");
    EXPECT_EQ(parse_utc("2026-12-04T20:05:09"), "2026-12-04T20:05:09Z");
    EXPECT_EQ(parse_utc("2026-12-04T20:05:09Z"), "2026-12-04T20:05:09Z");
    EXPECT_EQ(parse_utc("2024-02-29Z"), "2024-02-29T00:00:00Z");
}

TEST(AuditTime, RejectsInvalidText) {
    for (const char* invalid :
         {"", "yesterday", "2026-12-4", "2026/12/04", "2026-13-01", "2026-00-10", "2026-02-30", "2025-02-29",
          "2026-12-04T24:00", "2026-12-04T20:60", "2026-12-04T20:05:60", "2026-12-04 20:05", "2026-12-04T20",
          "2026-12-04T20:05:09.5Z", "2026-12-04T20:05:09+02:00", "2026-12-04ZZ", "+026-12-04", "2026-12-04T2a:05"}) {
        EXPECT_FALSE(parse_utc(invalid).has_value()) << invalid;
    }
}

}  // namespace
}  // namespace openbar::audit
