// Parsing of the Authorization header, the first step of every API request.
#include <benchmark/benchmark.h>

#include <string>

#include "auth/access_token.hpp"
#include "auth/authorization_header.hpp"

namespace {

using openbar::auth::parse_authorization;

void token_scheme(benchmark::State& state) {
    const std::string header = "Token " + openbar::auth::generate_access_token();
    for (auto _ : state) {
        auto parsed = parse_authorization(header);
        benchmark::DoNotOptimize(parsed);
    }
}
BENCHMARK(token_scheme);

// "bench:correct-horse-battery" in base64.
void basic_password(benchmark::State& state) {
    const std::string header = "Basic YmVuY2g6Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5";
    for (auto _ : state) {
        auto parsed = parse_authorization(header);
        benchmark::DoNotOptimize(parsed);
    }
}
BENCHMARK(basic_password);

// "access-token:<token>" in base64, the Basic form that carries a token.
void basic_access_token(benchmark::State& state) {
    const std::string header = "Basic YWNjZXNzLXRva2VuOm9iYXJfZ0x0cGlmVU1ka2hYeHFSMHFCM3k1NnkxTVJBaVBQRWozbkRTMUs=";
    for (auto _ : state) {
        auto parsed = parse_authorization(header);
        benchmark::DoNotOptimize(parsed);
    }
}
BENCHMARK(basic_access_token);

}  // namespace
