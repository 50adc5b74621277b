// TOTP verification of one submitted code: the codes of the window of time
// steps around now, computed with HMAC-SHA-1 and compared.
#include <benchmark/benchmark.h>

#include <string>

#include "auth/totp.hpp"

namespace {

using namespace openbar::auth;

constexpr std::int64_t fixed_unix_time = 1'700'000'000;

void totp_verify_current_code(benchmark::State& state) {
    const std::string secret = totp::generate_secret();
    TotpVerifier verifier([] { return fixed_unix_time; });
    const std::string code = totp::code_for_step(secret, totp::time_step_at(fixed_unix_time));
    for (auto _ : state) {
        auto steps = verifier.matching_steps(secret, code);
        benchmark::DoNotOptimize(steps);
    }
}
BENCHMARK(totp_verify_current_code);

// A wrong code costs the whole window, the worst case.
void totp_verify_wrong_code(benchmark::State& state) {
    const std::string secret = totp::generate_secret();
    TotpVerifier verifier([] { return fixed_unix_time; });
    std::string code = totp::code_for_step(secret, totp::time_step_at(fixed_unix_time));
    code[0] = code[0] == '9' ? '0' : static_cast<char>(code[0] + 1);
    for (auto _ : state) {
        auto steps = verifier.matching_steps(secret, code);
        benchmark::DoNotOptimize(steps);
    }
}
BENCHMARK(totp_verify_wrong_code);

}  // namespace
