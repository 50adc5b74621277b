// The token check of every Token request: format and checksum, the keyed
// lookup hash, then the lookup of the owner in a real SQLite database.
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <memory>
#include <string>

#include "auth/access_token.hpp"
#include "auth/access_token_service.hpp"
#include "auth/key_ring.hpp"
#include "store/store.hpp"

namespace {

using namespace openbar;

auth::KeyRing test_key_ring() {
    std::array<std::uint8_t, auth::KeyRing::key_bytes> key{};
    key.fill(7);
    return auth::KeyRing(key);
}

void token_format(benchmark::State& state) {
    const std::string token = auth::generate_access_token();
    for (auto _ : state) {
        benchmark::DoNotOptimize(auth::is_well_formed_access_token(token));
    }
}
BENCHMARK(token_format);

void token_lookup_hash(benchmark::State& state) {
    const auth::KeyRing keys = test_key_ring();
    const std::string token = auth::generate_access_token();
    for (auto _ : state) {
        benchmark::DoNotOptimize(keys.lookup_hash(token));
    }
}
BENCHMARK(token_lookup_hash);

// A database in a fresh temporary directory with one company, one user and
// that user's token. The directory is removed when the benchmark ends.
class TokenDatabase {
public:
    TokenDatabase() : keys_(test_key_ring()) {
        // Each benchmark run opens a new database, and its migration log lines are noise here.
        spdlog::set_level(spdlog::level::warn);
        directory_ = std::filesystem::temp_directory_path() / ("openbar-bench-" + std::to_string(getpid()));
        std::filesystem::create_directories(directory_);
        store_ = store::open_store("sqlite:" + (directory_ / "bench.db").string());
        company_ = store_->create_company("acme");
        auto user = store_->create_user(company_.id, "bench", "not-a-real-hash");
        tokens_ = std::make_unique<auth::AccessTokenService>(*store_, keys_);
        token_ = tokens_->current_token(user.id);
    }
    ~TokenDatabase() {
        tokens_.reset();
        store_.reset();
        std::error_code ignored;
        std::filesystem::remove_all(directory_, ignored);
    }

    auth::AccessTokenService& tokens() { return *tokens_; }
    std::int64_t company_id() const { return company_.id; }
    const std::string& token() const { return token_; }

private:
    std::filesystem::path directory_;
    auth::KeyRing keys_;
    std::unique_ptr<store::Store> store_;
    store::Company company_;
    std::unique_ptr<auth::AccessTokenService> tokens_;
    std::string token_;
};

// Format check, keyed hash and SQLite lookup together: AccessTokenService::find_owner.
void token_check(benchmark::State& state) {
    TokenDatabase database;
    for (auto _ : state) {
        auto owner = database.tokens().find_owner(database.company_id(), database.token());
        if (!owner) {
            state.SkipWithError("the token was not found");
            break;
        }
        benchmark::DoNotOptimize(owner);
    }
}
BENCHMARK(token_check);

// A well-formed token that matches no user: the cost of a failed guess.
void token_check_unknown(benchmark::State& state) {
    TokenDatabase database;
    const std::string unknown = auth::generate_access_token();
    for (auto _ : state) {
        benchmark::DoNotOptimize(database.tokens().find_owner(database.company_id(), unknown));
    }
}
BENCHMARK(token_check_unknown);

}  // namespace
