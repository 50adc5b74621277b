#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>

namespace openbar::util {

// Lets a repeated log message through at most once per interval, so an
// error that repeats thousands of times a second (a connection flood, a full
// file descriptor table) cannot fill the disk with log lines.
class RepeatLimiter {
public:
    explicit RepeatLimiter(std::chrono::steady_clock::duration interval) : interval_(interval) {}

    // Returns the number of repeats suppressed since the last one let
    // through, or nothing when this repeat is to be suppressed as well.
    std::optional<std::size_t> allow() {
        auto now = std::chrono::steady_clock::now();
        std::lock_guard lock(mutex_);
        if (now - last_ < interval_) {
            ++suppressed_;
            return std::nullopt;
        }
        last_ = now;
        std::size_t suppressed = suppressed_;
        suppressed_ = 0;
        return suppressed;
    }

private:
    std::chrono::steady_clock::duration interval_;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point last_{};
    std::size_t suppressed_ = 0;
};

}  // namespace openbar::util
