#include "auth/credential_cache.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <vector>
#include <mutex>

#include "auth/sodium_init.hpp"

namespace openbar::auth {

static_assert(sizeof(CredentialCache::Key) == crypto_shorthash_siphashx24_BYTES);

CredentialCache::CredentialCache(std::chrono::seconds ttl, std::size_t max_entries, SteadyClock clock)
    : ttl_(ttl),
      max_entries_per_shard_(max_entries == 0 ? 0 : std::max<std::size_t>(1, max_entries / shard_count)),
      clock_(std::move(clock)) {
    ensure_sodium();
    static_assert(sizeof hash_key_ == crypto_shorthash_siphashx24_KEYBYTES);
    randombytes_buf(hash_key_.data(), hash_key_.size());
}

CredentialCache::Key CredentialCache::key_for(std::int64_t company_id, std::string_view username,
                                              std::string_view password) const {
    // SipHash takes one buffer: company, then each text after its length,
    // so ("ab", "c") and ("a", "bc") stay apart. Usual credentials fit on
    // the stack. Every cached Basic request computes this key, and BLAKE2b
    // took 1,800 instructions for it, SipHash a few hundred.
    std::size_t size = 3 * sizeof(std::uint64_t) + username.size() + password.size();
    std::array<unsigned char, 256> local;
    std::vector<unsigned char> large;
    unsigned char* buffer = local.data();
    if (size > local.size()) {
        large.resize(size);
        buffer = large.data();
    }
    std::size_t used = 0;
    auto put_number = [&](std::uint64_t number) {
        for (int i = 0; i < 8; ++i) buffer[used++] = static_cast<unsigned char>(number >> (8 * i));
    };
    auto put_text = [&](std::string_view text) {
        put_number(text.size());
        std::memcpy(buffer + used, text.data(), text.size());
        used += text.size();
    };
    put_number(static_cast<std::uint64_t>(company_id));
    put_text(username);
    put_text(password);

    Key key{};
    crypto_shorthash_siphashx24(key.data(), buffer, used, hash_key_.data());
    sodium_memzero(buffer, used);
    return key;
}

CredentialCache::Shard& CredentialCache::shard_for(const Key& key) const {
    return shards_[key[15] % shard_count];
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
