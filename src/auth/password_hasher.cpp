#include "auth/password_hasher.hpp"

#include <sodium.h>

#include <stdexcept>

#include "auth/sodium_init.hpp"

namespace openbar::auth {

PasswordHasher::PasswordHasher(PasswordCost cost) : cost_(cost) {
    ensure_sodium();
    // The dummy hash has the same cost as real ones, so verifying against it
    // takes the same time.
    char random_password[32];
    randombytes_buf(random_password, sizeof random_password);
    dummy_hash_ = hash(std::string_view(random_password, sizeof random_password));
}

std::string PasswordHasher::hash(std::string_view password) const {
    char encoded[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(encoded, password.data(), password.size(), cost_.ops_limit, cost_.mem_limit_bytes,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        throw std::runtime_error("argon2id hashing ran out of memory");
    }
    return encoded;
}

bool PasswordHasher::verify(std::string_view password, std::string_view stored_hash) const {
    bool known = !stored_hash.empty();
    std::string encoded(known ? stored_hash : std::string_view(dummy_hash_));
    bool match = crypto_pwhash_str_verify(encoded.c_str(), password.data(), password.size()) == 0;
    return known && match;
}

bool PasswordHasher::needs_rehash(std::string_view stored_hash) const {
    std::string encoded(stored_hash);
    return crypto_pwhash_str_needs_rehash(encoded.c_str(), cost_.ops_limit, cost_.mem_limit_bytes) != 0;
}

}  // namespace openbar::auth
