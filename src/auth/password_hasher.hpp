#pragma once

#include <string>
#include <string_view>

namespace openbar::auth {

// Argon2id parameters: OWASP's minimum recommendation is m = 19 MiB, t = 2,
// p = 1 (libsodium always uses one lane).
struct PasswordCost {
    unsigned long long ops_limit = 2;
    std::size_t mem_limit_bytes = 19 * 1024 * 1024;
};

// Hashes and verifies passwords with libsodium's crypto_pwhash_str (argon2id).
// Both calls take tens of milliseconds of CPU: call them off network threads.
class PasswordHasher {
public:
    explicit PasswordHasher(PasswordCost cost = {});

    // Returns the encoded hash "$argon2id$v=19$m=...,t=...,p=1$salt$hash".
    std::string hash(std::string_view password) const;

    // Verifies in the time of one argon2id run. With `stored_hash` empty (an
    // unknown user) it verifies against a fixed dummy hash, so the check
    // takes as long as for a wrong password, and returns false.
    bool verify(std::string_view password, std::string_view stored_hash) const;

    // True when `stored_hash` was made with a weaker cost than the current one.
    bool needs_rehash(std::string_view stored_hash) const;

private:
    PasswordCost cost_;
    std::string dummy_hash_;
};

}  // namespace openbar::auth
