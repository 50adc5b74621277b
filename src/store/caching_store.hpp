#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "store/store.hpp"

namespace openbar::store {

// How long the server trusts what it read about credentials.
struct CachingStoreSettings {
    // Maximum time a cached lookup is used. Changes made through openbar
    // (the server or the CLI) retire every cached lookup at once, so this
    // limit only bounds how long a change made by other means (an SQL shell,
    // a restored backup) goes unseen. 0 turns caching off.
    std::chrono::milliseconds ttl{1000};
    // Maximum number of cached lookups per network thread and kind. A full
    // cache starts over empty.
    std::size_t max_entries = 10000;
};

// A Store that serves the lookups on every authenticated request (token
// owner, user, current token) from memory and passes everything else to the
// store it wraps.
//
// Each thread keeps its own entries, so a hit takes no lock and no shared
// cache line. An entry is used only while the wrapped store's
// credential_generation() is the one read before the entry was fetched and
// its time limit has not passed.
class CachingStore final : public Store {
public:
    CachingStore(Store& inner, const CachingStoreSettings& settings);
    ~CachingStore() override;

    std::optional<User> find_user(std::int64_t company_id, std::string_view username) override;
    std::optional<TokenOwner> find_token_owner(std::int64_t company_id,
                                               std::span<const std::uint8_t> lookup_hash) override;
    std::optional<TokenOwner> find_cached_token_owner(std::int64_t company_id,
                                                      std::span<const std::uint8_t> lookup_hash) override;
    std::optional<AccessTokenRecord> find_current_token(std::int64_t user_id) override;

    void ping() override { inner_.ping(); }
    std::optional<Bytes> key_fingerprint() override { return inner_.key_fingerprint(); }
    void set_key_fingerprint(std::span<const std::uint8_t> fingerprint) override {
        inner_.set_key_fingerprint(fingerprint);
    }
    std::uint64_t credential_generation() const override { return inner_.credential_generation(); }
    std::optional<Company> find_company(std::string_view name) override { return inner_.find_company(name); }
    Company create_company(std::string_view name) override { return inner_.create_company(name); }
    User create_user(std::int64_t company_id, std::string_view username, std::string_view password_hash) override {
        return inner_.create_user(company_id, username, password_hash);
    }
    void set_password_hash(std::int64_t user_id, std::string_view password_hash) override {
        inner_.set_password_hash(user_id, password_hash);
    }
    bool set_user_active(std::int64_t user_id, bool active) override { return inner_.set_user_active(user_id, active); }
    AccessTokenRecord create_token_if_missing(std::int64_t user_id, std::span<const std::uint8_t> lookup_hash,
                                              const Bytes& sealed) override {
        return inner_.create_token_if_missing(user_id, lookup_hash, sealed);
    }
    AccessTokenRecord replace_token(std::int64_t user_id, std::span<const std::uint8_t> lookup_hash,
                                    const Bytes& sealed) override {
        return inner_.replace_token(user_id, lookup_hash, sealed);
    }
    RecordStore& records() override { return inner_.records(); }
    IntegrationStore& integrations() override { return inner_.integrations(); }
    WebSessionStore& web_sessions() override { return inner_.web_sessions(); }
    TotpStore& totp() override { return inner_.totp(); }
    AuditStore& audit() override { return inner_.audit(); }

private:
    struct Shelf;
    bool enabled() const { return settings_.ttl.count() > 0 && settings_.max_entries > 0; }
    // This thread's entries for this instance.
    Shelf& shelf(std::uint64_t generation);

    Store& inner_;
    CachingStoreSettings settings_;
    std::uint64_t instance_;
};

}  // namespace openbar::store
