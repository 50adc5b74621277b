#pragma once

#include <sodium.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace openbar::auth {

using Bytes = std::vector<std::uint8_t>;

// The server key and the subkeys derived from it. The key lives in a file
// outside the database, so a copy of the database alone holds only keyed
// hashes and ciphertexts: no usable token or TOTP secret.
class KeyRing {
public:
    static constexpr std::size_t key_bytes = 32;

    // Reads the key file, or creates it with mode 0600 when it does not
    // exist. Throws std::runtime_error naming the path on any failure, and
    // when the file is readable by group or others.
    static KeyRing load_or_create(const std::filesystem::path& path);

    // Builds a key ring from raw key material (tests).
    explicit KeyRing(std::span<const std::uint8_t, key_bytes> master_key);

    // HMAC-SHA-256 of `message` under the lookup subkey: the value stored
    // for finding a token without storing the token.
    std::array<std::uint8_t, 32> lookup_hash(std::string_view message) const;

    // Encrypts with XSalsa20-Poly1305 (libsodium secretbox) under the
    // sealing subkey. The result is nonce followed by ciphertext.
    Bytes seal(std::string_view plaintext) const;

    // Decrypts what seal() produced. Throws std::runtime_error when the
    // data was not sealed under this key or was altered.
    std::string open(std::span<const std::uint8_t> sealed) const;

private:
    std::array<std::uint8_t, 32> lookup_key_{};
    std::array<std::uint8_t, 32> sealing_key_{};
    // SHA-256 states after absorbing the lookup key's inner and outer pads
    // (RFC 2104). Starting each lookup_hash() from copies skips two of its
    // four block computations. OpenSSL computes these blocks because it
    // uses the CPU's SHA instructions where they exist, and libsodium has
    // only portable code: about 7,900 instructions per token check before.
    struct Sha256State;
    std::shared_ptr<const Sha256State> inner_pad_state_;
    std::shared_ptr<const Sha256State> outer_pad_state_;
};

}  // namespace openbar::auth
