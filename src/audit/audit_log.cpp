#include "audit/audit_log.hpp"

#include <spdlog/spdlog.h>

#include <functional>

#include "audit/audit_time.hpp"
#include "store/store.hpp"

namespace openbar::audit {

namespace {

using std::chrono::system_clock;

std::size_t combine_hash(std::size_t seed, std::size_t value) {
    return seed ^ (value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

}  // namespace

std::size_t AuditLog::UseKeyHash::operator()(const UseKeyView& key) const {
    std::size_t hash = std::hash<std::int64_t>{}(key.token_id);
    hash = combine_hash(hash, std::hash<std::int64_t>{}(key.minute));
    hash = combine_hash(hash, std::hash<std::string_view>{}(key.method));
    hash = combine_hash(hash, std::hash<std::string_view>{}(key.client_address));
    return combine_hash(hash, std::hash<std::string_view>{}(key.user_agent));
}

AuditLog::AuditLog(store::AuditStore& store, Options options) : store_(store), options_(options) {
    delete_expired();
    next_retention_sweep_ = std::chrono::steady_clock::now() + options_.retention_sweep_interval;
    writer_ = std::thread([this] { run_writer(); });
}

AuditLog::~AuditLog() { stop(); }

void AuditLog::stop() {
    {
        std::lock_guard lock(wake_mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();
}

AuditLog::Shard& AuditLog::shard_for_this_thread() {
    return shards_[std::hash<std::thread::id>{}(std::this_thread::get_id()) % shard_count];
}

void AuditLog::record(store::AuditEvent event) {
    if (event.occurred_at.empty()) event.occurred_at = format_utc(system_clock::now());
    truncate_utf8(event.user_agent, max_user_agent_bytes);
    truncate_utf8(event.username, max_username_bytes);

    // Failed authentications cost an attacker nothing, and Basic logins of
    // an integration repeat all day, so identical decisions from one address
    // within one minute fold into one counted row, the way successful token
    // requests do. The user agent is left out of the key because a client
    // chooses it freely. Throttled attempts fold across usernames too, and
    // the row keeps the first one.
    if (event.event == event_authentication) {
        std::string_view minute = std::string_view(event.occurred_at).substr(0, 16);  // "YYYY-MM-DDTHH:MM"
        std::string company = std::to_string(event.company_id.value_or(0));
        bool per_user = event.reason != "throttled";
        std::string& key = event.aggregate_key;
        // Built in one allocation: every password login passes here.
        key.reserve(event.outcome.size() + company.size() + minute.size() + event.method.size() + event.reason.size() +
                    event.client_address.size() + (per_user ? event.username.size() : 0) + 6);
        for (std::string_view part : {std::string_view(event.outcome), std::string_view(company), minute,
                                      std::string_view(event.method), std::string_view(event.reason)}) {
            key.append(part).push_back('\n');
        }
        key.append(event.client_address);
        if (per_user) {
            key.push_back('\n');
            key.append(event.username);
        }
    }

    std::lock_guard lock(events_mutex_);
    if (!event.aggregate_key.empty()) {
        auto queued = queued_failures_.find(event.aggregate_key);
        if (queued != queued_failures_.end()) {
            events_[queued->second].count += event.count;
            return;
        }
    }
    if (!accepting_.load() || events_.size() >= options_.queue_limit) {
        dropped_.fetch_add(1);
        return;
    }
    if (!event.aggregate_key.empty()) {
        queued_failures_.emplace(event.aggregate_key, events_.size());
    }
    events_.push_back(std::move(event));
}

void AuditLog::record_token_use(const TokenUse& use) {
    UseKeyView key{use.token_id, std::chrono::floor<std::chrono::minutes>(use.used_at).time_since_epoch().count(),
                   use.method, use.client_address, utf8_prefix(use.user_agent, max_user_agent_bytes)};

    Shard& shard = shard_for_this_thread();
    std::lock_guard lock(shard.mutex);
    auto found = shard.uses.find(key);
    if (found == shard.uses.end()) {
        // A new counter: the only case that grows memory, so the only one
        // checked against the limit.
        if (!accepting_.load() || queued_uses_.load() >= options_.queue_limit) {
            dropped_.fetch_add(1);
            return;
        }
        queued_uses_.fetch_add(1);
        UseKey stored{key.token_id, key.minute, std::string(key.method), std::string(key.client_address),
                      std::string(key.user_agent)};
        found = shard.uses.emplace(std::move(stored), UseTotal{use.company_id, std::string(use.username), 0, {}}).first;
    }
    found->second.count += 1;
    found->second.last_used_at = std::max(found->second.last_used_at, use.used_at);
}

void AuditLog::run_writer() {
    // The loop runs at least once after stop(), even when stop() came before
    // this thread first took the lock, so the final write always happens.
    while (true) {
        bool final_write;
        {
            std::unique_lock lock(wake_mutex_);
            wake_.wait_for(lock, options_.flush_interval, [this] { return stopping_; });
            final_write = stopping_;
        }

        if (final_write) accepting_.store(false);
        write_pending(final_write);
        if (final_write) return;

        if (std::chrono::steady_clock::now() >= next_retention_sweep_) {
            try {
                delete_expired();
            } catch (const store::StoreError& error) {
                spdlog::error("deleting expired audit rows failed: {}", error.what());
            }
            next_retention_sweep_ = std::chrono::steady_clock::now() + options_.retention_sweep_interval;
        }
    }
}

void AuditLog::write_pending(bool final_write) {
    std::vector<store::AuditEvent> events;
    {
        std::lock_guard lock(events_mutex_);
        events.swap(events_);
        queued_failures_.clear();
    }

    std::vector<store::TokenUseCount> uses;
    for (Shard& shard : shards_) {
        std::unordered_map<UseKey, UseTotal, UseKeyHash, UseKeyEqual> drained;
        {
            std::lock_guard lock(shard.mutex);
            drained.swap(shard.uses);
        }
        queued_uses_.fetch_sub(drained.size());
        for (auto& [key, total] : drained) {
            LastUse& last_use = unwritten_last_uses_[key.token_id];
            if (total.last_used_at >= last_use.used_at) {
                last_use = LastUse{total.last_used_at, key.client_address};
            }
            auto minute = system_clock::time_point(std::chrono::minutes(key.minute));
            uses.push_back(store::TokenUseCount{key.token_id, total.company_id, std::move(total.username), key.method,
                                                format_utc_minute(minute), key.client_address, key.user_agent,
                                                total.count});
        }
    }

    // A token's last use is written at most once per last_use_interval. A
    // use that comes sooner waits for the first write after the interval
    // has passed, or for the final write.
    auto now = std::chrono::steady_clock::now();
    std::vector<store::TokenLastUse> last_uses;
    for (auto it = unwritten_last_uses_.begin(); it != unwritten_last_uses_.end();) {
        auto written = last_use_written_at_.find(it->first);
        if (!final_write && written != last_use_written_at_.end() && now - written->second < options_.last_use_interval) {
            ++it;
            continue;
        }
        last_uses.push_back(store::TokenLastUse{it->first, format_utc(it->second.used_at), it->second.client_address});
        last_use_written_at_[it->first] = now;
        it = unwritten_last_uses_.erase(it);
    }
    std::erase_if(last_use_written_at_, [&](const auto& entry) {
        return now - entry.second >= options_.last_use_interval && !unwritten_last_uses_.contains(entry.first);
    });

    if (!events.empty() || !uses.empty() || !last_uses.empty()) {
        try {
            store_.write_audit_batch(events, uses, last_uses);
        } catch (const store::StoreError& error) {
            // NOTE: a failed batch is not retried, so a database outage loses
            // the audit rows of that interval; the count below reports them.
            dropped_.fetch_add(events.size() + uses.size());
            spdlog::error("writing {} audit events and {} token use counters failed: {}", events.size(), uses.size(),
                          error.what());
        }
    }

    std::uint64_t dropped = dropped_.load();
    if (dropped != dropped_reported_) {
        spdlog::warn("audit log dropped {} entries since the last report ({} in total; queue limit {})",
                     dropped - dropped_reported_, dropped, options_.queue_limit);
        dropped_reported_ = dropped;
    }
    if (final_write) {
        spdlog::info("audit log flushed: {} events and {} token use counters in the final write", events.size(),
                     uses.size());
    }
}

void AuditLog::delete_expired() {
    auto cutoff = format_utc(system_clock::now() - std::chrono::days(options_.retention_days));
    auto deleted = store_.delete_audit_events_before(cutoff);
    if (deleted > 0) {
        spdlog::info("deleted {} audit rows older than {} days (before {})", deleted, options_.retention_days, cutoff);
    }
}

}  // namespace openbar::audit
