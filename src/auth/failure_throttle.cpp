#include "auth/failure_throttle.hpp"

#include <algorithm>

namespace openbar::auth {
namespace {

std::chrono::seconds round_up_seconds(std::chrono::steady_clock::duration remaining) {
    auto seconds = std::chrono::ceil<std::chrono::seconds>(remaining);
    return std::max(seconds, std::chrono::seconds(1));
}

}  // namespace

BackoffThrottle::BackoffThrottle(BackoffPolicy policy, std::size_t max_keys, SteadyClock clock)
    : policy_(policy), max_keys_per_shard_(std::max<std::size_t>(1, max_keys / shard_count)), clock_(std::move(clock)) {}

BackoffThrottle::Shard& BackoffThrottle::shard_for(const std::string& key) {
    return shards_[std::hash<std::string>{}(key) % shard_count];
}

std::chrono::seconds BackoffThrottle::lockout_after(unsigned failures) const {
    if (failures < policy_.failures_before_lockout) {
        return std::chrono::seconds(0);
    }
    unsigned doublings = failures - policy_.failures_before_lockout;
    auto lockout = policy_.first_lockout;
    for (unsigned i = 0; i < doublings && lockout < policy_.max_lockout; ++i) {
        lockout *= 2;
    }
    return std::min(lockout, policy_.max_lockout);
}

std::chrono::seconds BackoffThrottle::locked_for(const std::string& key) {
    if (tracked_keys_.load(std::memory_order_relaxed) == 0) {
        return std::chrono::seconds(0);
    }
    Shard& shard = shard_for(key);
    auto now = clock_();
    std::lock_guard lock(shard.mutex);
    auto found = shard.entries.find(key);
    if (found == shard.entries.end() || found->second.locked_until <= now) {
        return std::chrono::seconds(0);
    }
    return round_up_seconds(found->second.locked_until - now);
}

bool BackoffThrottle::record_failure(const std::string& key) {
    Shard& shard = shard_for(key);
    auto now = clock_();
    std::lock_guard lock(shard.mutex);

    auto found = shard.entries.find(key);
    if (found == shard.entries.end()) {
        if (shard.entries.size() >= max_keys_per_shard_) {
            auto erased = std::erase_if(shard.entries, [now](const auto& item) { return item.second.locked_until <= now; });
            tracked_keys_.fetch_sub(erased, std::memory_order_relaxed);
        }
        if (shard.entries.size() >= max_keys_per_shard_) {
            return false;
        }
        found = shard.entries.emplace(key, Entry{}).first;
        tracked_keys_.fetch_add(1, std::memory_order_relaxed);
    }

    Entry& entry = found->second;
    bool was_locked = entry.locked_until > now;
    ++entry.failures;
    auto lockout = lockout_after(entry.failures);
    if (lockout.count() > 0) {
        entry.locked_until = now + lockout;
    }
    return lockout.count() > 0 && !was_locked;
}

void BackoffThrottle::record_success(const std::string& key) {
    if (tracked_keys_.load(std::memory_order_relaxed) == 0) {
        return;
    }
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    tracked_keys_.fetch_sub(shard.entries.erase(key), std::memory_order_relaxed);
}

WindowThrottle::WindowThrottle(std::size_t limit, std::chrono::seconds window, std::size_t max_keys, SteadyClock clock)
    : limit_(limit),
      window_(window),
      max_keys_per_shard_(std::max<std::size_t>(1, max_keys / shard_count)),
      clock_(std::move(clock)) {}

WindowThrottle::Shard& WindowThrottle::shard_for(const std::string& key) {
    return shards_[std::hash<std::string>{}(key) % shard_count];
}

void WindowThrottle::forget_expired(std::deque<std::chrono::steady_clock::time_point>& times,
                                    std::chrono::steady_clock::time_point now) const {
    while (!times.empty() && times.front() + window_ <= now) {
        times.pop_front();
    }
}

std::chrono::seconds WindowThrottle::locked_for(const std::string& key) {
    if (tracked_keys_.load(std::memory_order_relaxed) == 0) {
        return std::chrono::seconds(0);
    }
    Shard& shard = shard_for(key);
    auto now = clock_();
    std::lock_guard lock(shard.mutex);
    auto found = shard.failures.find(key);
    if (found == shard.failures.end()) {
        return std::chrono::seconds(0);
    }
    auto& times = found->second;
    forget_expired(times, now);
    if (times.size() <= limit_) {
        return std::chrono::seconds(0);
    }
    // The key is allowed again once only `limit_` failures remain in the
    // window, that is when the oldest of the surplus ones expires.
    auto release = times[times.size() - limit_ - 1] + window_;
    return round_up_seconds(release - now);
}

bool WindowThrottle::record_failure(const std::string& key) {
    Shard& shard = shard_for(key);
    auto now = clock_();
    std::lock_guard lock(shard.mutex);

    auto found = shard.failures.find(key);
    if (found == shard.failures.end()) {
        if (shard.failures.size() >= max_keys_per_shard_) {
            for (auto it = shard.failures.begin(); it != shard.failures.end();) {
                forget_expired(it->second, now);
                if (it->second.empty()) {
                    it = shard.failures.erase(it);
                    tracked_keys_.fetch_sub(1, std::memory_order_relaxed);
                } else {
                    ++it;
                }
            }
        }
        if (shard.failures.size() >= max_keys_per_shard_) {
            return false;
        }
        found = shard.failures.emplace(key, std::deque<std::chrono::steady_clock::time_point>{}).first;
        tracked_keys_.fetch_add(1, std::memory_order_relaxed);
    }

    auto& times = found->second;
    forget_expired(times, now);
    bool was_over = times.size() > limit_;
    times.push_back(now);
    // Only the newest limit + 1 times matter for the decision.
    while (times.size() > limit_ + 1) {
        times.pop_front();
    }
    return times.size() > limit_ && !was_over;
}

}  // namespace openbar::auth
