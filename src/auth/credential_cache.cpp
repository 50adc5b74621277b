#include "auth/credential_cache.hpp"

#include <sodium.h>

#include <algorithm>
#include <functional>
#include <mutex>

#include "auth/sodium_init.hpp"

namespace openbar::auth {

CredentialCache::CredentialCache(std::chrono::seconds ttl, std::size_t max_entries, SteadyClock clock)
    : ttl_(ttl),
      max_entries_per_shard_(max_entries == 0 ? 0 : std::max<std::size_t>(1, max_entries / shard_count)),
      clock_(std::move(clock)) {
    ensure_sodium();
    randombytes_buf(hash_key_.data(), hash_key_.size());
}

CredentialCache::Key CredentialCache::key_for(std::int64_t company_id, std::string_view username,
                                              std::string_view password) const {
    // Length prefixes keep ("ab", "c") and ("a", "bc") apart.
    crypto_generichash_state state;
    crypto_generichash_init(&state, hash_key_.data(), hash_key_.size(), sizeof(Key));
    auto update_number = [&state](std::uint64_t number) {
        unsigned char bytes[8];
        for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(number >> (8 * i));
        crypto_generichash_update(&state, bytes, sizeof bytes);
    };
    auto update_text = [&](std::string_view text) {
        update_number(text.size());
        crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    };
    update_number(static_cast<std::uint64_t>(company_id));
    update_text(username);
    update_text(password);
    Key key{};
    crypto_generichash_final(&state, key.data(), key.size());
    return key;
}

CredentialCache::Shard& CredentialCache::shard_for(const Key& key) const {
    return shards_[key[31] % shard_count];
}

std::optional<CredentialCache::Entry> CredentialCache::find(const Key& key, std::int64_t user_id,
                                                            std::int64_t credential_epoch,
                                                            std::string_view password_hash) const {
    if (max_entries_per_shard_ == 0 || ttl_.count() == 0) {
        return std::nullopt;
    }
    const Shard& shard = shard_for(key);
    auto now = clock_();
    std::shared_lock lock(shard.mutex);
    auto found = shard.entries.find(key);
    if (found == shard.entries.end()) {
        return std::nullopt;
    }
    const Entry& entry = found->second;
    if (entry.expires_at <= now || entry.user_id != user_id || entry.credential_epoch != credential_epoch ||
        entry.password_hash_digest != std::hash<std::string_view>()(password_hash)) {
        return std::nullopt;
    }
    return entry;
}

void CredentialCache::insert(const Key& key, std::int64_t user_id, std::int64_t credential_epoch,
                             std::string_view password_hash, bool totp_enrolled) {
    if (max_entries_per_shard_ == 0 || ttl_.count() == 0) {
        return;
    }
    Shard& shard = shard_for(key);
    auto now = clock_();
    std::unique_lock lock(shard.mutex);

    if (shard.entries.size() >= max_entries_per_shard_ && !shard.entries.contains(key)) {
        std::erase_if(shard.entries, [now](const auto& item) { return item.second.expires_at <= now; });
    }
    if (shard.entries.size() >= max_entries_per_shard_ && !shard.entries.contains(key)) {
        auto oldest = std::min_element(shard.entries.begin(), shard.entries.end(), [](const auto& a, const auto& b) {
            return a.second.expires_at < b.second.expires_at;
        });
        shard.entries.erase(oldest);
    }
    Entry entry{user_id, credential_epoch, std::hash<std::string_view>()(password_hash), totp_enrolled, now + ttl_};
    shard.entries.insert_or_assign(key, entry);
}

}  // namespace openbar::auth
