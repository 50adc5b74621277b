#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>

#include "auth/failure_throttle.hpp"

namespace openbar::auth {

// Remembers successful Basic password verifications, so that a client
// sending the same username and password with every request pays for one
// argon2id run per TTL instead of one per request.
//
// An entry is keyed by a 128-bit SipHash-2-4 (a keyed pseudorandom
// function) of company, username and password under a key drawn at random
// when the process starts, so the cache stores no password. Each entry
// records the user's credential epoch at verification time: a password
// change, TOTP change or disabled user increments the epoch, and the entry
// stops matching at once. SQLite reuses the id of a deleted user that had
// the highest id, and a new user's epoch starts over, so an entry also
// records a digest of the stored password hash, whose salt is random for
// every user created.
//
// NOTE: SipHash is fast, so a memory dump that includes the process key
// allows much faster password guessing against cached entries than the
// argon2id hashes in the database do.
class CredentialCache {
public:
    using Key = std::array<std::uint8_t, 16>;

    struct Entry {
        std::int64_t user_id = 0;
        std::int64_t credential_epoch = 0;
        std::size_t password_hash_digest = 0;
        // Whether the user had TOTP at this epoch. Enrolment changes the
        // epoch, so the flag stays correct for as long as the entry matches.
        bool totp_enrolled = true;
        std::chrono::steady_clock::time_point expires_at{};
    };

    // A `ttl` of zero or a `max_entries` of zero turns the cache off.
    CredentialCache(std::chrono::seconds ttl, std::size_t max_entries,
                    SteadyClock clock = [] { return std::chrono::steady_clock::now(); });

    Key key_for(std::int64_t company_id, std::string_view username, std::string_view password) const;

    // Returns the entry when it exists, has not expired and matches the
    // user's current id, credential epoch and stored password hash.
    std::optional<Entry> find(const Key& key, std::int64_t user_id, std::int64_t credential_epoch,
                              std::string_view password_hash) const;

    void insert(const Key& key, std::int64_t user_id, std::int64_t credential_epoch, std::string_view password_hash,
                bool totp_enrolled);

private:
    struct KeyHash {
        std::size_t operator()(const Key& key) const {
            // The key is already a uniformly random hash.
            std::size_t value;
            std::memcpy(&value, key.data(), sizeof value);
            return value;
        }
    };
    // Sharded with reader-writer locks: hits, the common case, only share
    // a lock, and misses for different credentials rarely meet.
    struct Shard {
        mutable std::shared_mutex mutex;
        std::unordered_map<Key, Entry, KeyHash> entries;
    };
    static constexpr std::size_t shard_count = 16;

    Shard& shard_for(const Key& key) const;

    std::chrono::seconds ttl_;
    std::size_t max_entries_per_shard_;
    SteadyClock clock_;
    std::array<std::uint8_t, 16> hash_key_{};
    mutable std::array<Shard, shard_count> shards_;
};

}  // namespace openbar::auth
