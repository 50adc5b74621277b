#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/key_ring.hpp"
#include "store/store.hpp"

namespace openbar::auth {

// Issues, returns, rotates and checks access tokens. The store keeps only
// an HMAC of each token (for lookup) and a sealed copy (so the current token
// can be shown again), never the token itself.
class AccessTokenService {
public:
    AccessTokenService(store::Store& store, const KeyRing& keys);

    // Returns the user's token, creating it on first use; sets `*created`
    // when this call created it.
    std::string current_token(std::int64_t user_id, bool* created = nullptr);

    // Replaces the user's token and returns the new one; the old one stops
    // working at once.
    std::string rotate(std::int64_t user_id);

    // Finds the owner of `token` within the company. Malformed tokens are
    // rejected before any database lookup.
    std::optional<store::TokenOwner> find_owner(std::int64_t company_id, std::string_view token);

private:
    // Opens a sealed token, reusing this thread's last result for the same bytes.
    std::string open(const Bytes& sealed) const;

    store::Store& store_;
    const KeyRing& keys_;
    std::uint64_t instance_;
};

}  // namespace openbar::auth
