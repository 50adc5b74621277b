#include "auth/access_token_service.hpp"

#include <sodium.h>

#include <algorithm>
#include <atomic>

#include "auth/access_token.hpp"

namespace openbar::auth {
namespace {

std::atomic<std::uint64_t> next_instance{1};

// The token this thread opened last, with the sealed bytes it came from.
// Every password login returns the user's token, and opening it is a
// secretbox decryption. The sealed bytes have a random nonce, so a rotated
// token never matches the old entry.
struct LastOpened {
    std::uint64_t service = 0;
    Bytes sealed;
    std::string token;

    ~LastOpened() { sodium_memzero(token.data(), token.size()); }
};

}  // namespace

AccessTokenService::AccessTokenService(store::Store& store, const KeyRing& keys)
    : store_(store), keys_(keys), instance_(next_instance.fetch_add(1)) {}

std::string AccessTokenService::open(const Bytes& sealed) const {
    thread_local LastOpened last;
    if (last.service == instance_ && last.sealed == sealed) {
        return last.token;
    }
    std::string token = keys_.open(sealed);
    sodium_memzero(last.token.data(), last.token.size());
    last.service = instance_;
    last.sealed = sealed;
    last.token = token;
    return token;
}

std::string AccessTokenService::current_token(std::int64_t user_id, bool* created) {
    if (created) *created = false;
    if (auto stored = store_.find_current_token(user_id)) {
        return open(stored->sealed);
    }
    std::string token = generate_access_token();
    auto hash = keys_.lookup_hash(token);
    auto sealed = keys_.seal(token);
    auto stored = store_.create_token_if_missing(user_id, hash, sealed);
    // A concurrent request may have created the token first; return that one.
    // Sealing uses a random nonce, so only this call's insert has these bytes.
    if (created) *created = stored.sealed == sealed;
    return keys_.open(stored.sealed);
}

std::string AccessTokenService::rotate(std::int64_t user_id) {
    std::string token = generate_access_token();
    auto hash = keys_.lookup_hash(token);
    store_.replace_token(user_id, hash, keys_.seal(token));
    return token;
}

std::optional<store::TokenOwner> AccessTokenService::find_owner(std::int64_t company_id, std::string_view token) {
    if (!has_access_token_shape(token)) {
        return std::nullopt;
    }
    auto hash = keys_.lookup_hash(token);
    auto owner = store_.find_cached_token_owner(company_id, hash);
    if (!owner) {
        // The checksum keeps mistyped tokens away from the database. A cached
        // owner was first found by a token that passed it, so a hit skips the
        // CRC-32. In a perf profile of token requests the CRC-32 took as much
        // CPU time as the HMAC, probably because its tables fall out of the cache.
        if (!access_token_checksum_matches(token)) {
            return std::nullopt;
        }
        owner = store_.find_token_owner(company_id, hash);
    }
    // The store matched on the hash already; comparing again in constant
    // time keeps the decision itself free of timing differences.
    static_assert(sizeof owner->lookup_hash == crypto_verify_32_BYTES && sizeof hash == crypto_verify_32_BYTES);
    if (!owner || crypto_verify_32(owner->lookup_hash.data(), hash.data()) != 0) {
        return std::nullopt;
    }
    return owner;
}

}  // namespace openbar::auth
