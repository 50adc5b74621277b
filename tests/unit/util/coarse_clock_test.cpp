#include "util/coarse_clock.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace openbar::util {
namespace {

using std::chrono::milliseconds;

// The kernel's tick is at most 10 ms (HZ=100); 50 ms leaves room for a
// preempted test thread.
constexpr auto tolerance = milliseconds(50);

// Checks that a coarse reading lies between two precise readings, allowing
// for the coarse clock's lag.
template <class Clock>
void expect_between_precise_readings(typename Clock::time_point (*coarse_now)()) {
    auto before = Clock::now();
    auto coarse = coarse_now();
    auto after = Clock::now();
    EXPECT_GE(coarse, before - tolerance);
    EXPECT_LE(coarse, after);
}

TEST(CoarseClock, SteadyFollowsSteadyClock) {
    expect_between_precise_readings<std::chrono::steady_clock>(coarse_steady_now);
}

TEST(CoarseClock, SystemFollowsSystemClock) {
    expect_between_precise_readings<std::chrono::system_clock>(coarse_system_now);
}

TEST(CoarseClock, SteadyNeverGoesBack) {
    auto last = coarse_steady_now();
    for (int i = 0; i < 100000; ++i) {
        auto now = coarse_steady_now();
        ASSERT_GE(now, last);
        last = now;
    }
}

}  // namespace
}  // namespace openbar::util
