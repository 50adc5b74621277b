#include "util/coarse_clock.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace openbar::util {
namespace {

using std::chrono::milliseconds;

// The kernel's tick is at most 10 ms (HZ=100); 50 ms leaves room for a
// preempted test thread.
constexpr auto tolerance = milliseconds(50);

TEST(CoarseClock, SteadyFollowsSteadyClock) {
    auto before = std::chrono::steady_clock::now();
    auto coarse = coarse_steady_now();
    auto after = std::chrono::steady_clock::now();
    EXPECT_GE(coarse, before - tolerance);
    EXPECT_LE(coarse, after);
}

TEST(CoarseClock, SystemFollowsSystemClock) {
    auto before = std::chrono::system_clock::now();
    auto coarse = coarse_system_now();
    auto after = std::chrono::system_clock::now();
    EXPECT_GE(coarse, before - tolerance);
    EXPECT_LE(coarse, after);
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
