#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "store/audit_store.hpp"
#include "store/integration_store.hpp"
#include "store/record_store.hpp"
#include "store/web_session_store.hpp"
#include "store/totp_store.hpp"

namespace openbar::store {

using Bytes = std::vector<std::uint8_t>;

struct Company {
    std::int64_t id = 0;
    std::string name;
};

struct User {
    std::int64_t id = 0;
    std::int64_t company_id = 0;
    std::string username;
    std::string password_hash;
    // Incremented by every credential change (password, TOTP, disabling), so
    // anything derived from the old credentials can tell it is stale.
    std::int64_t credential_epoch = 1;
    bool active = true;
};

struct AccessTokenRecord {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    Bytes sealed;  // the token encrypted with the server key
    std::string created_at;
    std::optional<std::string> last_used_at;
    std::optional<std::string> last_used_address;
};

struct TokenOwner {
    std::int64_t token_id = 0;
    // Held inline, since a cache hit copies the whole owner: every token
    // lookup hash is an HMAC-SHA-256.
    std::array<std::uint8_t, 32> lookup_hash{};
    User user;  // without its password_hash, which no token check needs
};

class StoreError : public std::runtime_error {
public:
    enum class Kind { conflict, not_found, unavailable };
    StoreError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    Kind kind() const { return kind_; }

private:
    Kind kind_;
};

// The storage interface. Implementations are thread-safe: the server calls
// them from every network thread at once. SQL dialect details stay inside
// each backend's folder.
class Store {
public:
    virtual ~Store() = default;

    // Throws StoreError(unavailable) when the database cannot be reached.
    virtual void ping() = 0;

    // A keyed hash that identifies the server key this database was used
    // with, so a missing or replaced key file is caught at start instead of
    // failing on every sealed value.
    virtual std::optional<Bytes> key_fingerprint() = 0;
    virtual void set_key_fingerprint(std::span<const std::uint8_t> fingerprint) = 0;

    // A number that changes after every committed change to companies,
    // users, tokens or TOTP enrolment, made by this process or by another
    // one on the same database (the CLI). It is cheap enough to read on
    // every request, so caches of credentials check it instead of the
    // database. Only inequality means anything: compare, never subtract.
    virtual std::uint64_t credential_generation() const = 0;

    virtual std::optional<Company> find_company(std::string_view name) = 0;
    // Throws StoreError(conflict) when the name is taken.
    virtual Company create_company(std::string_view name) = 0;

    virtual std::optional<User> find_user(std::int64_t company_id, std::string_view username) = 0;
    // Throws StoreError(conflict) when the username is taken in the company.
    virtual User create_user(std::int64_t company_id, std::string_view username, std::string_view password_hash) = 0;
    // Stores a new hash and increments the credential epoch.
    virtual void set_password_hash(std::int64_t user_id, std::string_view password_hash) = 0;
    // Enables or disables the user and increments the credential epoch.
    // Returns false, changing nothing, when the user already had that state.
    // Throws StoreError(not_found) when the user does not exist.
    virtual bool set_user_active(std::int64_t user_id, bool active) = 0;

    // Finds the user whose current token has this lookup hash, within one company only.
    virtual std::optional<TokenOwner> find_token_owner(std::int64_t company_id, std::span<const std::uint8_t> lookup_hash) = 0;
    // Returns what find_token_owner() would when the store has that owner in
    // memory, and nothing otherwise. It never reads the database, so a store
    // without a cache always returns nothing.
    virtual std::optional<TokenOwner> find_cached_token_owner(std::int64_t /*company_id*/,
                                                              std::span<const std::uint8_t> /*lookup_hash*/) {
        return std::nullopt;
    }
    virtual std::optional<AccessTokenRecord> find_current_token(std::int64_t user_id) = 0;
    // Stores the token unless the user already has one; returns the user's
    // token either way, so concurrent first requests all see the same token.
    virtual AccessTokenRecord create_token_if_missing(std::int64_t user_id, std::span<const std::uint8_t> lookup_hash,
                                                      const Bytes& sealed) = 0;
    // Replaces the user's token in one transaction: the old one stops
    // matching at the same moment the new one starts.
    virtual AccessTokenRecord replace_token(std::int64_t user_id, std::span<const std::uint8_t> lookup_hash,
                                            const Bytes& sealed) = 0;

    // Customer data records (uploads and reads).
    virtual RecordStore& records() = 0;
    // Integrations and datasources that uploads can name.
    virtual IntegrationStore& integrations() = 0;

    // Sessions of the settings web pages.
    virtual WebSessionStore& web_sessions() = 0;
    // TOTP secrets, replay state and recovery codes.
    virtual TotpStore& totp() = 0;
    // The audit log and token use.
    virtual AuditStore& audit() = 0;
};

// Opens the database named by `url` (`sqlite:PATH`) and applies pending
// migrations. Throws std::invalid_argument for an unsupported URL.
std::unique_ptr<Store> open_store(std::string_view url);

}  // namespace openbar::store
