#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace openbar::auth {

// TOTP (RFC 6238) with HMAC-SHA-1 and 30-second time steps counted from the
// Unix epoch, computed by liboath.
namespace totp {

// 160 bits, the secret length RFC 4226 section 4 recommends.
constexpr std::size_t generated_secret_bytes = 20;
// RFC 4226 section 4 requires at least 128 bits; a longer key than one
// SHA-1 block brings nothing.
constexpr std::size_t min_secret_bytes = 16;
constexpr std::size_t max_secret_bytes = 64;

constexpr std::int64_t time_step_seconds = 30;
constexpr unsigned code_digits = 6;

// Returns a new random secret of generated_secret_bytes.
std::string generate_secret();

// Decodes a base32 secret (RFC 4648 alphabet). Accepts upper or lower case,
// spaces anywhere and missing or present `=` padding. Returns nothing for
// anything else: other characters, an impossible length, misplaced padding,
// non-zero trailing bits, or a decoded size outside min/max_secret_bytes.
std::optional<std::string> decode_secret(std::string_view base32);

// Encodes a secret as upper-case base32 without padding, the form
// authenticator apps expect in otpauth:// URIs.
std::string encode_secret(std::string_view secret);

// The time step that contains `unix_seconds`.
std::int64_t time_step_at(std::int64_t unix_seconds);

// Computes the code for one time step. `digits` is 6 in openbar; 8 is
// accepted so the RFC 6238 test vectors run through this function.
std::string code_for_step(std::string_view secret, std::int64_t time_step, unsigned digits = code_digits);

// True when `value`, after trimming spaces and tabs around it, is exactly
// `digits` ASCII digits.
bool is_well_formed_code(std::string_view value, unsigned digits = code_digits);

// Removes leading and trailing spaces and tabs.
std::string_view trim(std::string_view value);

// Builds the otpauth://totp/ URI that authenticator apps import (usually
// from a QR code): the label is "ISSUER:ACCOUNT", both percent-encoded.
std::string provisioning_uri(std::string_view secret, std::string_view issuer, std::string_view account);

}  // namespace totp

// Seconds since the Unix epoch. Tests replace it to pin the time.
using UnixClock = std::function<std::int64_t()>;

// Returns the system clock as a UnixClock.
UnixClock system_unix_clock();

// Finds which time steps a submitted code belongs to.
class TotpVerifier {
public:
    // `window` is how many steps either side of the current one count:
    // 1 accepts codes up to 30 s early or late, which covers clock drift
    // and the time a person takes to type the code.
    explicit TotpVerifier(UnixClock clock, unsigned digits = totp::code_digits, unsigned window = 1)
        : clock_(std::move(clock)), digits_(digits), window_(window) {}

    // Returns every step within the window whose code equals `code`, oldest
    // first. Usually zero or one step; two only when codes of adjacent steps
    // happen to be equal. `code` must already be well formed.
    std::vector<std::int64_t> matching_steps(std::string_view secret, std::string_view code) const;

    std::int64_t now() const { return clock_(); }

private:
    UnixClock clock_;
    unsigned digits_;
    unsigned window_;
};

// Single-use recovery codes for when the authenticator device is lost.
// Their form "xxxx-xxxx-xxxx" (lower-case letters and digits, no 0, 1, i, l
// or o) cannot be mistaken for a 6-digit code.
namespace recovery {

constexpr std::size_t codes_per_user = 10;

// Returns one new code, about 59 bits of entropy.
std::string generate_code();

// Returns the canonical form (lower case, hyphens removed) when `value`
// looks like a recovery code, ignoring surrounding spaces, letter case and
// hyphens; nothing otherwise.
std::optional<std::string> normalize(std::string_view value);

}  // namespace recovery

}  // namespace openbar::auth
