#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "audit/audit_sink.hpp"
#include "store/audit_store.hpp"

namespace openbar::audit {

// The server's audit sink. The request path only appends to memory; a
// background thread writes batches to the store every flush interval and
// once more when stop() is called, and deletes rows past the retention
// period at start and every retention sweep interval.
//
// Successful token requests are the hot path (every API call), so they are
// folded into one counter per token, minute, method, client address and
// user agent, kept in maps sharded by thread, and each token's last use is
// written at most once per last_use_interval. Other events are queued
// one by one. Both queues are bounded by queue_limit: past it, new entries
// are dropped and counted, and the writer logs the count.
class AuditLog final : public AuditSink {
public:
    struct Options {
        std::chrono::milliseconds flush_interval{1000};
        std::size_t queue_limit = 100000;                 // queued events, and distinct token-use counters
        std::chrono::seconds last_use_interval{60};       // per token
        unsigned retention_days = 90;
        std::chrono::milliseconds retention_sweep_interval{std::chrono::hours(1)};
    };

    // Deletes expired rows (throws StoreError when that fails), then starts
    // the writer thread.
    AuditLog(store::AuditStore& store, Options options);
    AuditLog(const AuditLog&) = delete;
    AuditLog& operator=(const AuditLog&) = delete;
    ~AuditLog() override;

    void record(store::AuditEvent event) override;
    void record_token_use(const TokenUse& use) override;

    // Writes everything still queued and stops the writer thread. Events
    // recorded after stop() are dropped and counted.
    void stop();

    // Entries dropped so far because a queue was full, the writer had stopped
    // or a write failed.
    std::uint64_t dropped() const { return dropped_.load(); }

private:
    struct UseKey {
        std::int64_t token_id;
        std::int64_t minute;  // minutes since the Unix epoch
        std::string method;
        std::string client_address;
        std::string user_agent;
    };
    // A UseKey of views, for looking a use up without copying its texts.
    struct UseKeyView {
        std::int64_t token_id;
        std::int64_t minute;
        std::string_view method;
        std::string_view client_address;
        std::string_view user_agent;
        bool operator==(const UseKeyView&) const = default;
    };
    static UseKeyView view_of(const UseKey& key) {
        return {key.token_id, key.minute, key.method, key.client_address, key.user_agent};
    }
    static UseKeyView view_of(const UseKeyView& key) { return key; }
    struct UseKeyHash {
        using is_transparent = void;
        std::size_t operator()(const UseKeyView& key) const;
        std::size_t operator()(const UseKey& key) const { return (*this)(view_of(key)); }
    };
    struct UseKeyEqual {
        using is_transparent = void;
        template <class Left, class Right>
        bool operator()(const Left& left, const Right& right) const {
            return view_of(left) == view_of(right);
        }
    };
    struct UseTotal {
        std::int64_t company_id = 0;
        std::string username;
        std::int64_t count = 0;
        std::chrono::system_clock::time_point last_used_at;
    };
    struct Shard {
        std::mutex mutex;
        std::unordered_map<UseKey, UseTotal, UseKeyHash, UseKeyEqual> uses;
    };
    struct LastUse {
        std::chrono::system_clock::time_point used_at;
        std::string client_address;
    };

    void run_writer();
    void write_pending(bool final_write);
    void delete_expired();
    Shard& shard_for_this_thread();

    store::AuditStore& store_;
    const Options options_;

    // Filled by request threads. Each thread hashes to one shard, so request
    // threads rarely wait for each other; the writer takes each lock only to
    // swap the map out.
    static constexpr std::size_t shard_count = 16;
    std::array<Shard, shard_count> shards_;
    std::atomic<std::size_t> queued_uses_{0};
    std::mutex events_mutex_;
    std::vector<store::AuditEvent> events_;
    std::unordered_map<std::string, std::size_t> queued_failures_;  // aggregate key -> index in events_
    std::atomic<bool> accepting_{true};
    std::atomic<std::uint64_t> dropped_{0};

    // Used by the writer thread only.
    std::uint64_t dropped_reported_ = 0;
    std::unordered_map<std::int64_t, LastUse> unwritten_last_uses_;
    std::unordered_map<std::int64_t, std::chrono::steady_clock::time_point> last_use_written_at_;
    std::chrono::steady_clock::time_point next_retention_sweep_;

    std::mutex wake_mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread writer_;
};

}  // namespace openbar::audit
