#include "auth/failure_throttle.hpp"

#include <gtest/gtest.h>

namespace openbar::auth {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
    std::chrono::steady_clock::time_point now{std::chrono::hours(1000)};
    SteadyClock function() {
        return [this] { return now; };
    }
};

TEST(BackoffThrottle, LocksAfterThreshold) {
    FakeClock clock;
    BackoffThrottle throttle({3, 1s, 8s}, 1000, clock.function());
    throttle.record_failure("alice");
    throttle.record_failure("alice");
    EXPECT_EQ(throttle.locked_for("alice"), 0s);
    throttle.record_failure("alice");
    EXPECT_EQ(throttle.locked_for("alice"), 1s);
    EXPECT_EQ(throttle.locked_for("bob"), 0s);
}

TEST(BackoffThrottle, DoublesUpToMax) {
    FakeClock clock;
    BackoffThrottle throttle({2, 30s, 900s}, 1000, clock.function());
    std::vector<std::chrono::seconds> lockouts;
    for (int i = 0; i < 9; ++i) {
        throttle.record_failure("alice");
        lockouts.push_back(throttle.locked_for("alice"));
        clock.now += 2000s;
    }
    std::vector<std::chrono::seconds> expected{0s, 30s, 60s, 120s, 240s, 480s, 900s, 900s, 900s};
    EXPECT_EQ(lockouts, expected);
}

TEST(BackoffThrottle, LockExpires) {
    FakeClock clock;
    BackoffThrottle throttle({1, 30s, 900s}, 1000, clock.function());
    throttle.record_failure("alice");
    clock.now += 29s + 500ms;
    EXPECT_EQ(throttle.locked_for("alice"), 1s);  // rounded up
    clock.now += 500ms;
    EXPECT_EQ(throttle.locked_for("alice"), 0s);
}

TEST(BackoffThrottle, SuccessResets) {
    FakeClock clock;
    BackoffThrottle throttle({2, 1s, 8s}, 1000, clock.function());
    throttle.record_failure("alice");
    throttle.record_success("alice");
    throttle.record_failure("alice");
    EXPECT_EQ(throttle.locked_for("alice"), 0s);
    throttle.record_failure("alice");
    EXPECT_EQ(throttle.locked_for("alice"), 1s);
}

TEST(BackoffThrottle, FullTableKeepsLockouts) {
    FakeClock clock;
    // 16 shards of one key each.
    BackoffThrottle throttle({1, 60s, 60s}, 16, clock.function());
    throttle.record_failure("victim");
    for (int i = 0; i < 200; ++i) {
        throttle.record_failure("flood" + std::to_string(i));
    }
    EXPECT_EQ(throttle.locked_for("victim"), 60s);
}

TEST(WindowThrottle, BlocksAboveLimit) {
    FakeClock clock;
    WindowThrottle throttle(3, 600s, 1000, clock.function());
    for (int i = 0; i < 3; ++i) {
        throttle.record_failure("10.0.0.1");
        clock.now += 1s;
    }
    EXPECT_EQ(throttle.locked_for("10.0.0.1"), 0s);
    throttle.record_failure("10.0.0.1");
    // The first failure, 3 s ago, leaves the window in 597 s.
    EXPECT_EQ(throttle.locked_for("10.0.0.1"), 597s);
    EXPECT_EQ(throttle.locked_for("10.0.0.2"), 0s);
    clock.now += 597s;
    EXPECT_EQ(throttle.locked_for("10.0.0.1"), 0s);
}

}  // namespace
}  // namespace openbar::auth
