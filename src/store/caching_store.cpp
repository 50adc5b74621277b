#include "store/caching_store.hpp"

#include <atomic>
#include <cstring>
#include <string>
#include <unordered_map>

#include "util/coarse_clock.hpp"

namespace openbar::store {
namespace {

using Clock = std::chrono::steady_clock;

template <typename Value>
struct Entry {
    Clock::time_point expires;
    Value value;
};

// Users are found by (company, username). Lookups pass a string_view, so a
// hit copies no name.
struct UserKey {
    std::int64_t company_id;
    std::string username;
};
struct UserKeyView {
    std::int64_t company_id;
    std::string_view username;
};
struct UserKeyHash {
    using is_transparent = void;
    std::size_t operator()(const UserKeyView& key) const {
        return std::hash<std::string_view>()(key.username) ^ (static_cast<std::size_t>(key.company_id) * 0x9E3779B97F4A7C15ull);
    }
    std::size_t operator()(const UserKey& key) const { return (*this)(UserKeyView{key.company_id, key.username}); }
};
struct UserKeyEqual {
    using is_transparent = void;
    static UserKeyView view(const UserKey& key) { return {key.company_id, key.username}; }
    static UserKeyView view(const UserKeyView& key) { return key; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
        auto left = view(a);
        auto right = view(b);
        return left.company_id == right.company_id && left.username == right.username;
    }
};

// Token owners are found by (company, lookup hash). The hash is an HMAC, so
// its first bytes are already uniformly spread.
struct TokenKey {
    std::int64_t company_id;
    Bytes lookup_hash;
};
struct TokenKeyView {
    std::int64_t company_id;
    std::span<const std::uint8_t> lookup_hash;
};
struct TokenKeyHash {
    using is_transparent = void;
    std::size_t operator()(const TokenKeyView& key) const {
        std::size_t value = static_cast<std::size_t>(key.company_id);
        std::size_t prefix = 0;
        std::memcpy(&prefix, key.lookup_hash.data(), std::min(sizeof prefix, key.lookup_hash.size()));
        return value ^ prefix;
    }
    std::size_t operator()(const TokenKey& key) const { return (*this)(TokenKeyView{key.company_id, key.lookup_hash}); }
};
struct TokenKeyEqual {
    using is_transparent = void;
    static TokenKeyView view(const TokenKey& key) { return {key.company_id, key.lookup_hash}; }
    static TokenKeyView view(const TokenKeyView& key) { return key; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
        auto left = view(a);
        auto right = view(b);
        return left.company_id == right.company_id && left.lookup_hash.size() == right.lookup_hash.size() &&
               std::memcmp(left.lookup_hash.data(), right.lookup_hash.data(), left.lookup_hash.size()) == 0;
    }
};

std::atomic<std::uint64_t> next_instance{1};

}  // namespace

struct CachingStore::Shelf {
    std::uint64_t instance = 0;
    std::uint64_t generation = 0;
    std::unordered_map<UserKey, Entry<User>, UserKeyHash, UserKeyEqual> users;
    std::unordered_map<TokenKey, Entry<TokenOwner>, TokenKeyHash, TokenKeyEqual> token_owners;
    std::unordered_map<std::int64_t, Entry<AccessTokenRecord>> current_tokens;

    void clear() {
        users.clear();
        token_owners.clear();
        current_tokens.clear();
    }
};

CachingStore::CachingStore(Store& inner, const CachingStoreSettings& settings)
    : inner_(inner), settings_(settings), instance_(next_instance.fetch_add(1)) {}

CachingStore::~CachingStore() = default;

CachingStore::Shelf& CachingStore::shelf(std::uint64_t generation) {
    // One shelf per thread, belonging to one instance at a time. Another
    // instance on the same thread (tests create several) starts it over.
    thread_local Shelf shelf;
    if (shelf.instance != instance_ || shelf.generation != generation) {
        shelf.clear();
        shelf.instance = instance_;
        shelf.generation = generation;
    }
    return shelf;
}

namespace {

// Looks `key` up. A miss, or an entry past its time, calls `fetch` and keeps
// what it found. Absent results are not kept, so a new user or token is seen
// at once.
template <typename Map, typename Key, typename Fetch>
auto cached(Map& map, const Key& key, const CachingStoreSettings& settings, Fetch fetch,
            auto make_key) -> decltype(fetch()) {
    auto now = util::coarse_steady_now();
    auto found = map.find(key);
    if (found != map.end()) {
        if (now < found->second.expires) return found->second.value;
        map.erase(found);
    }
    auto value = fetch();
    if (value) {
        if (map.size() >= settings.max_entries) map.clear();
        map.emplace(make_key(), Entry<typename decltype(value)::value_type>{now + settings.ttl, *value});
    }
    return value;
}

}  // namespace

std::optional<User> CachingStore::find_user(std::int64_t company_id, std::string_view username) {
    if (!enabled()) return inner_.find_user(company_id, username);
    // Read before the lookup: a change committed after this read bumps the
    // generation, which retires whatever the lookup returns.
    auto generation = inner_.credential_generation();
    auto& entries = shelf(generation).users;
    return cached(
        entries, UserKeyView{company_id, username}, settings_, [&] { return inner_.find_user(company_id, username); },
        [&] { return UserKey{company_id, std::string(username)}; });
}

std::optional<TokenOwner> CachingStore::find_token_owner(std::int64_t company_id,
                                                         std::span<const std::uint8_t> lookup_hash) {
    if (!enabled()) {
        return inner_.find_token_owner(company_id, lookup_hash);
    }
    auto generation = inner_.credential_generation();
    auto& entries = shelf(generation).token_owners;
    return cached(
        entries, TokenKeyView{company_id, lookup_hash}, settings_,
        [&] { return inner_.find_token_owner(company_id, lookup_hash); },
        [&] { return TokenKey{company_id, Bytes(lookup_hash.begin(), lookup_hash.end())}; });
}

std::optional<TokenOwner> CachingStore::find_cached_token_owner(std::int64_t company_id,
                                                                std::span<const std::uint8_t> lookup_hash) {
    if (!enabled()) return std::nullopt;
    auto& entries = shelf(inner_.credential_generation()).token_owners;
    auto found = entries.find(TokenKeyView{company_id, lookup_hash});
    if (found == entries.end() || util::coarse_steady_now() >= found->second.expires) return std::nullopt;
    return found->second.value;
}

std::optional<AccessTokenRecord> CachingStore::find_current_token(std::int64_t user_id) {
    if (!enabled()) return inner_.find_current_token(user_id);
    auto generation = inner_.credential_generation();
    auto& entries = shelf(generation).current_tokens;
    return cached(
        entries, user_id, settings_, [&] { return inner_.find_current_token(user_id); }, [&] { return user_id; });
}

}  // namespace openbar::store
