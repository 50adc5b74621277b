#include "auth/key_ring.hpp"

// SHA256_Init and friends are deprecated in OpenSSL 3 in favour of EVP,
// whose per-call context allocation would cost more than the hash of a token.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "auth/sodium_init.hpp"

namespace openbar::auth {

struct KeyRing::Sha256State {
    SHA256_CTX context;
    ~Sha256State() { OPENSSL_cleanse(&context, sizeof context); }
};

namespace {

constexpr char kdf_context[crypto_kdf_CONTEXTBYTES + 1] = "openbar1";
constexpr std::uint64_t lookup_subkey_id = 1;
constexpr std::uint64_t sealing_subkey_id = 2;

std::runtime_error key_file_error(const std::filesystem::path& path, const std::string& what) {
    return std::runtime_error("key file " + path.string() + ": " + what);
}

// Key files hold the key as 64 hex digits and a newline.
std::array<std::uint8_t, KeyRing::key_bytes> read_key_file(const std::filesystem::path& path, int fd) {
    struct stat info {};
    if (fstat(fd, &info) != 0) {
        throw key_file_error(path, std::strerror(errno));
    }
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        throw key_file_error(path, "is readable by group or others; run chmod 600 on it");
    }

    char text[128] = {};
    ssize_t length = read(fd, text, sizeof text - 1);
    if (length < 0) {
        throw key_file_error(path, std::strerror(errno));
    }
    std::string_view hex(text, static_cast<std::size_t>(length));
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) {
        hex.remove_suffix(1);
    }

    std::array<std::uint8_t, KeyRing::key_bytes> key{};
    std::size_t decoded = 0;
    if (hex.size() != 2 * key.size() ||
        sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr, &decoded, nullptr) != 0 ||
        decoded != key.size()) {
        throw key_file_error(path, "is not 64 hexadecimal digits; restore it from a backup");
    }
    return key;
}

}  // namespace

KeyRing KeyRing::load_or_create(const std::filesystem::path& path) {
    ensure_sodium();

    // O_EXCL makes creation race-free when two processes start at once.
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        std::array<std::uint8_t, key_bytes> key{};
        crypto_kdf_keygen(key.data());
        char hex[2 * key_bytes + 1];
        sodium_bin2hex(hex, sizeof hex, key.data(), key.size());
        std::string line = std::string(hex) + "\n";
        bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
        bool synced = written && fsync(fd) == 0;
        ::close(fd);
        sodium_memzero(hex, sizeof hex);
        if (!synced) {
            std::filesystem::remove(path);
            throw key_file_error(path, "could not be written");
        }
        KeyRing ring(key);
        sodium_memzero(key.data(), key.size());
        return ring;
    }
    if (errno != EEXIST) {
        throw key_file_error(path, std::string("could not be created: ") + std::strerror(errno));
    }

    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw key_file_error(path, std::string("could not be opened: ") + std::strerror(errno));
    }
    try {
        auto key = read_key_file(path, fd);
        ::close(fd);
        KeyRing ring(key);
        sodium_memzero(key.data(), key.size());
        return ring;
    } catch (...) {
        ::close(fd);
        throw;
    }
}

KeyRing::KeyRing(std::span<const std::uint8_t, key_bytes> master_key) {
    ensure_sodium();
    crypto_kdf_derive_from_key(lookup_key_.data(), lookup_key_.size(), lookup_subkey_id, kdf_context,
                               master_key.data());
    crypto_kdf_derive_from_key(sealing_key_.data(), sealing_key_.size(), sealing_subkey_id, kdf_context,
                               master_key.data());

    // HMAC (RFC 2104) with a 32-byte key: the key padded to one block, then
    // XORed with 0x36 for the inner hash and with 0x5c for the outer one.
    std::array<std::uint8_t, SHA256_CBLOCK> pad{};
    auto absorb_pad = [&](std::uint8_t mask) {
        pad.fill(mask);
        for (std::size_t i = 0; i < lookup_key_.size(); ++i) pad[i] ^= lookup_key_[i];
        auto state = std::make_shared<Sha256State>();
        SHA256_Init(&state->context);
        SHA256_Update(&state->context, pad.data(), pad.size());
        return state;
    };
    inner_pad_state_ = absorb_pad(0x36);
    outer_pad_state_ = absorb_pad(0x5c);
    sodium_memzero(pad.data(), pad.size());
}

std::array<std::uint8_t, 32> KeyRing::lookup_hash(std::string_view message) const {
    std::array<std::uint8_t, 32> inner{};
    std::array<std::uint8_t, 32> mac{};
    SHA256_CTX context = inner_pad_state_->context;
    SHA256_Update(&context, message.data(), message.size());
    SHA256_Final(inner.data(), &context);
    context = outer_pad_state_->context;
    SHA256_Update(&context, inner.data(), inner.size());
    SHA256_Final(mac.data(), &context);
    OPENSSL_cleanse(&context, sizeof context);
    return mac;
}

Bytes KeyRing::seal(std::string_view plaintext) const {
    Bytes sealed(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size());
    randombytes_buf(sealed.data(), crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(sealed.data() + crypto_secretbox_NONCEBYTES,
                          reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(), sealed.data(),
                          sealing_key_.data());
    return sealed;
}

std::string KeyRing::open(std::span<const std::uint8_t> sealed) const {
    if (sealed.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
        throw std::runtime_error("sealed value is too short");
    }
    std::string plaintext(sealed.size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
    if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plaintext.data()),
                                   sealed.data() + crypto_secretbox_NONCEBYTES,
                                   sealed.size() - crypto_secretbox_NONCEBYTES, sealed.data(),
                                   sealing_key_.data()) != 0) {
        throw std::runtime_error("sealed value does not match the server key; was the key file replaced?");
    }
    return plaintext;
}

}  // namespace openbar::auth
