#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace openbar::auth {

using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

// When consecutive failures lock a key out, and for how long.
struct BackoffPolicy {
    unsigned failures_before_lockout = 10;
    std::chrono::seconds first_lockout{1};   // doubles with each further failure
    std::chrono::seconds max_lockout{900};
};

// Counts consecutive failures per key (a user, an account name) and locks
// the key out once they reach the policy's threshold: the lockout starts at
// first_lockout and doubles with every failure after that, up to
// max_lockout. A success resets the key. Attempts made while locked out are
// rejected before they are verified, so they do not count as failures.
//
// NOTE: state lives in this process only; a restart clears every count.
class BackoffThrottle {
public:
    // `max_keys` bounds memory. When it is reached, keys that are not locked
    // out are forgotten first; if every key is locked, a new key goes
    // untracked rather than evicting a lockout.
    BackoffThrottle(BackoffPolicy policy, std::size_t max_keys,
                    SteadyClock clock = [] { return std::chrono::steady_clock::now(); });

    // Returns how long `key` stays locked out, or zero when it is not.
    // Partial seconds are rounded up, so the value suits Retry-After.
    std::chrono::seconds locked_for(const std::string& key);

    // Returns true when this failure starts a lockout of a key that was not locked.
    bool record_failure(const std::string& key);
    void record_success(const std::string& key);

private:
    struct Entry {
        unsigned failures = 0;
        std::chrono::steady_clock::time_point locked_until{};
    };
    // Sharded so that concurrent requests for different keys rarely wait
    // for one another.
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::string, Entry> entries;
    };
    static constexpr std::size_t shard_count = 16;

    Shard& shard_for(const std::string& key);
    std::chrono::seconds lockout_after(unsigned failures) const;

    BackoffPolicy policy_;
    std::size_t max_keys_per_shard_;
    SteadyClock clock_;
    std::array<Shard, shard_count> shards_;
    // Keys tracked across all shards. While it is zero, the common case,
    // checks return without taking a lock.
    std::atomic<std::size_t> tracked_keys_{0};
};

// Counts failures per key (a client address) in a sliding time window and
// rejects the key while more than `limit` failures fall inside it.
//
// NOTE: state lives in this process only; a restart clears every count.
class WindowThrottle {
public:
    WindowThrottle(std::size_t limit, std::chrono::seconds window, std::size_t max_keys,
                   SteadyClock clock = [] { return std::chrono::steady_clock::now(); });

    // Returns how long until the key drops back to `limit` failures in the
    // window, or zero when it is not over the limit.
    std::chrono::seconds locked_for(const std::string& key);

    // Returns true when this failure takes the key over the limit.
    bool record_failure(const std::string& key);

private:
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::string, std::deque<std::chrono::steady_clock::time_point>> failures;
    };
    static constexpr std::size_t shard_count = 16;

    Shard& shard_for(const std::string& key);
    void forget_expired(std::deque<std::chrono::steady_clock::time_point>& times,
                        std::chrono::steady_clock::time_point now) const;

    std::size_t limit_;
    std::chrono::seconds window_;
    std::size_t max_keys_per_shard_;
    SteadyClock clock_;
    std::array<Shard, shard_count> shards_;
    std::atomic<std::size_t> tracked_keys_{0};  // as in BackoffThrottle
};

}  // namespace openbar::auth
