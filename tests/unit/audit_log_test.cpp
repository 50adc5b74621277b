#include "audit/audit_log.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "audit/audit_time.hpp"

namespace openbar::audit {
namespace {

using namespace std::chrono_literals;

// Keeps every batch in memory instead of writing it.
class MemoryAuditStore final : public store::AuditStore {
public:
    void write_audit_batch(const std::vector<store::AuditEvent>& events,
                           const std::vector<store::TokenUseCount>& uses,
                           const std::vector<store::TokenLastUse>& last_uses) override {
        std::lock_guard lock(mutex);
        ++batches;
        this->events.insert(this->events.end(), events.begin(), events.end());
        this->uses.insert(this->uses.end(), uses.begin(), uses.end());
        this->last_uses.insert(this->last_uses.end(), last_uses.begin(), last_uses.end());
    }
    std::int64_t delete_audit_events_before(const std::string& cutoff) override {
        std::lock_guard lock(mutex);
        cutoffs.push_back(cutoff);
        return 0;
    }
    std::vector<store::AuditEvent> list_audit_events(const store::AuditQuery&) override { return {}; }

    std::mutex mutex;
    int batches = 0;
    std::vector<store::AuditEvent> events;
    std::vector<store::TokenUseCount> uses;
    std::vector<store::TokenLastUse> last_uses;
    std::vector<std::string> cutoffs;
};

AuditLog::Options slow_flush() {
    AuditLog::Options options;
    options.flush_interval = 1h;  // only stop() writes
    return options;
}

TokenUse use_of(std::int64_t token_id, std::string_view address) {
    TokenUse use;
    use.token_id = token_id;
    use.company_id = 1;
    use.username = "alice";
    use.method = "token";
    use.client_address = address;
    use.user_agent = "curl/8";
    return use;
}

store::AuditEvent failure_event(std::string username) {
    store::AuditEvent event;
    event.event = event_authentication;
    event.company_id = 1;
    event.username = std::move(username);
    event.method = "basic";
    event.outcome = outcome_failure;
    event.reason = "authentication_failed";
    return event;
}

TEST(AuditLog, StopWritesQueuedEvents) {
    MemoryAuditStore store;
    AuditLog log(store, slow_flush());
    log.record(failure_event("alice"));
    log.record(failure_event("bob"));
    log.stop();

    ASSERT_EQ(store.events.size(), 2u);
    EXPECT_EQ(store.events[0].username, "alice");
    EXPECT_EQ(store.events[1].username, "bob");
    EXPECT_EQ(store.events[0].reason, "authentication_failed");
    EXPECT_EQ(store.events[0].occurred_at.size(), 20u) << "filled in at record time";
    EXPECT_EQ(log.dropped(), 0u);
}

TEST(AuditLog, TokenUsesFoldIntoCounter) {
    MemoryAuditStore store;
    AuditLog log(store, slow_flush());
    auto minute = std::chrono::floor<std::chrono::minutes>(std::chrono::system_clock::now());
    for (int i = 0; i < 50; ++i) {
        auto use = use_of(7, "192.0.2.1");
        use.used_at = minute + std::chrono::seconds(i);
        log.record_token_use(use);
    }
    log.stop();

    ASSERT_EQ(store.uses.size(), 1u);
    EXPECT_EQ(store.uses[0].token_id, 7);
    EXPECT_EQ(store.uses[0].count, 50);
    EXPECT_EQ(store.uses[0].minute, format_utc_minute(minute));
    EXPECT_EQ(store.uses[0].client_address, "192.0.2.1");
    ASSERT_EQ(store.last_uses.size(), 1u);
    EXPECT_EQ(store.last_uses[0].used_at, format_utc(minute + std::chrono::seconds(49)));
}

TEST(AuditLog, TokenUseTextsAreCopied) {
    // TokenUse carries views, so the log must copy the texts it keeps.
    MemoryAuditStore store;
    AuditLog log(store, slow_flush());
    {
        std::string username = "carol";
        std::string method = "access-token";
        std::string address = "198.51.100.7";
        std::string agent = "integration/2.1 (nightly export)";
        TokenUse use;
        use.token_id = 4;
        use.company_id = 2;
        use.username = username;
        use.method = method;
        use.client_address = address;
        use.user_agent = agent;
        log.record_token_use(use);
        for (std::string* text : {&username, &method, &address, &agent}) text->assign(text->size(), 'x');
        log.record_token_use(use);
    }
    log.stop();

    ASSERT_EQ(store.uses.size(), 2u);
    auto& first = store.uses[0].username == "carol" ? store.uses[0] : store.uses[1];
    EXPECT_EQ(first.username, "carol");
    EXPECT_EQ(first.method, "access-token");
    EXPECT_EQ(first.client_address, "198.51.100.7");
    EXPECT_EQ(first.user_agent, "integration/2.1 (nightly export)");
    EXPECT_EQ(first.count, 1);
    EXPECT_EQ(first.company_id, 2);
}

TEST(AuditLog, TokenUsesSplitByAddressAndMinute) {
    MemoryAuditStore store;
    AuditLog log(store, slow_flush());
    auto minute = std::chrono::floor<std::chrono::minutes>(std::chrono::system_clock::now());
    auto first = use_of(7, "192.0.2.1");
    first.used_at = minute;
    auto other_address = use_of(7, "192.0.2.2");
    other_address.used_at = minute + 1s;
    auto next_minute = use_of(7, "192.0.2.1");
    next_minute.used_at = minute + 61s;
    log.record_token_use(first);
    log.record_token_use(other_address);
    log.record_token_use(next_minute);
    log.stop();

    EXPECT_EQ(store.uses.size(), 3u);
    ASSERT_EQ(store.last_uses.size(), 1u);
    EXPECT_EQ(store.last_uses[0].client_address, "192.0.2.1");
    EXPECT_EQ(store.last_uses[0].used_at, format_utc(minute + 61s));
}

TEST(AuditLog, UseCountsFromManyThreads) {
    MemoryAuditStore store;
    AuditLog::Options options;
    options.flush_interval = 5ms;  // writes while the threads record
    AuditLog log(store, options);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&log] {
            for (int i = 0; i < 2000; ++i) log.record_token_use(use_of(3, "192.0.2.1"));
        });
    }
    for (auto& thread : threads) thread.join();
    log.stop();

    std::int64_t total = 0;
    for (const auto& use : store.uses) total += use.count;
    EXPECT_EQ(total, 8000);
    EXPECT_EQ(log.dropped(), 0u);
}

TEST(AuditLog, FullQueueDropsAndCounts) {
    MemoryAuditStore store;
    auto options = slow_flush();
    options.queue_limit = 3;
    AuditLog log(store, options);
    for (int i = 0; i < 5; ++i) log.record(failure_event("user" + std::to_string(i)));
    for (int i = 0; i < 5; ++i) log.record_token_use(use_of(i + 1, "192.0.2.1"));
    log.stop();

    ASSERT_EQ(store.events.size(), 3u);
    EXPECT_EQ(store.events[2].username, "user2");
    EXPECT_EQ(store.uses.size(), 3u);
    EXPECT_EQ(log.dropped(), 4u);
}

TEST(AuditLog, RecordAfterStopIsDropped) {
    MemoryAuditStore store;
    AuditLog log(store, slow_flush());
    log.stop();
    log.record(failure_event("late"));
    log.record_token_use(use_of(1, "192.0.2.1"));
    EXPECT_TRUE(store.events.empty());
    EXPECT_EQ(log.dropped(), 2u);
}

TEST(AuditLog, LastUseWrittenOncePerInterval) {
    MemoryAuditStore store;
    AuditLog::Options options;
    options.flush_interval = 10ms;
    options.last_use_interval = 1h;
    AuditLog log(store, options);

    log.record_token_use(use_of(9, "192.0.2.1"));
    auto wait_for_batches = [&store](int count) {
        for (int i = 0; i < 500; ++i) {
            {
                std::lock_guard lock(store.mutex);
                if (store.batches >= count) return;
            }
            std::this_thread::sleep_for(10ms);
        }
    };
    wait_for_batches(1);
    log.record_token_use(use_of(9, "192.0.2.2"));
    wait_for_batches(2);
    {
        std::lock_guard lock(store.mutex);
        ASSERT_EQ(store.batches, 2);
        ASSERT_EQ(store.last_uses.size(), 1u) << "the second use waits for the interval";
        EXPECT_EQ(store.last_uses[0].client_address, "192.0.2.1");
        EXPECT_EQ(store.uses.size(), 2u) << "use counters are written every flush";
    }

    log.stop();
    ASSERT_EQ(store.last_uses.size(), 2u) << "the final write includes the waiting last use";
    EXPECT_EQ(store.last_uses[1].client_address, "192.0.2.2");
}

TEST(AuditLog, DeletesExpiredRowsAtStart) {
    MemoryAuditStore store;
    auto options = slow_flush();
    options.retention_days = 30;
    auto earliest = format_utc(std::chrono::system_clock::now() - std::chrono::days(30));
    AuditLog log(store, options);
    auto latest = format_utc(std::chrono::system_clock::now() - std::chrono::days(30));
    log.stop();

    ASSERT_EQ(store.cutoffs.size(), 1u);
    EXPECT_GE(store.cutoffs[0], earliest);
    EXPECT_LE(store.cutoffs[0], latest);
}

TEST(AuditLog, DeletesExpiredRowsPeriodically) {
    MemoryAuditStore store;
    AuditLog::Options options;
    options.flush_interval = 5ms;
    options.retention_sweep_interval = 20ms;
    AuditLog log(store, options);
    for (int i = 0; i < 500; ++i) {
        {
            std::lock_guard lock(store.mutex);
            if (store.cutoffs.size() >= 3) break;
        }
        std::this_thread::sleep_for(10ms);
    }
    log.stop();
    EXPECT_GE(store.cutoffs.size(), 3u);
}

TEST(TruncateUtf8, KeepsWholeSequences) {
    std::string ascii = "abcdef";
    truncate_utf8(ascii, 4);
    EXPECT_EQ(ascii, "abcd");

    std::string short_text = "ab";
    truncate_utf8(short_text, 4);
    EXPECT_EQ(short_text, "ab");

    // "aé€" is 61 C3A9 E282AC: cutting inside é or € drops the whole character.
    std::string mixed = "a\xC3\xA9\xE2\x82\xAC";
    std::string cut = mixed;
    truncate_utf8(cut, 2);
    EXPECT_EQ(cut, "a");
    cut = mixed;
    truncate_utf8(cut, 3);
    EXPECT_EQ(cut, "a\xC3\xA9");
    cut = mixed;
    truncate_utf8(cut, 5);
    EXPECT_EQ(cut, "a\xC3\xA9");
}

TEST(AuditLog, LongUsernameIsCut) {
    MemoryAuditStore store;
    AuditLog log(store, slow_flush());
    log.record(failure_event(std::string(1000, 'u')));
    log.stop();
    ASSERT_EQ(store.events.size(), 1u);
    EXPECT_EQ(store.events[0].username.size(), max_username_bytes);
}

TEST(AuditLog, LongUserAgentIsCut) {
    MemoryAuditStore store;
    AuditLog log(store, slow_flush());
    auto event = failure_event("alice");
    event.user_agent = std::string(1000, 'a');
    log.record(event);
    auto use = use_of(1, "192.0.2.1");
    std::string long_agent(1000, 'b');
    use.user_agent = long_agent;
    log.record_token_use(use);
    log.stop();

    ASSERT_EQ(store.events.size(), 1u);
    EXPECT_EQ(store.events[0].user_agent.size(), max_user_agent_bytes);
    ASSERT_EQ(store.uses.size(), 1u);
    EXPECT_EQ(store.uses[0].user_agent.size(), max_user_agent_bytes);
}

}  // namespace
}  // namespace openbar::audit
