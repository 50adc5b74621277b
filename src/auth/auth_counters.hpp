#pragma once

#include <atomic>
#include <cstdint>

namespace openbar::auth {

// Counters of the password path, published at GET /metrics.
struct AuthCounters {
    std::atomic<std::uint64_t> password_hash_verifications{0};  // argon2id runs
    std::atomic<std::uint64_t> basic_cache_hits{0};             // Basic logins served from the cache
    std::atomic<std::uint64_t> password_throttled{0};           // password attempts rejected with 429
};

}  // namespace openbar::auth
