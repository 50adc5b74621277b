// JSON parsing of an upload body of 500 customers, reported in MB/s.
#include <benchmark/benchmark.h>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <string>

#include "api/json_body.hpp"

namespace {

// Builds {"customers": [...]} with `count` customers shaped like a typical
// Custobar upload: identity, name, contact fields and a few attributes.
std::string customers_body(int count) {
    std::string body = "{\"customers\":[";
    for (int i = 0; i < count; ++i) {
        if (i) body += ',';
        std::string n = std::to_string(i);
        body += "{\"external_id\":\"bench-" + n + "\",\"first_name\":\"First" + n + "\",\"last_name\":\"Last" + n +
                "\",\"email\":\"customer" + n + "@example.com\",\"phone_number\":\"+35840" + n +
                "\",\"city\":\"Helsinki\",\"country\":\"FI\",\"can_email\":true,\"date_joined\":\"2024-01-15T10:00:00Z\"}";
    }
    body += "]}";
    return body;
}

// boost::json::parse with its defaults, for comparison.
void upload_body_parse(benchmark::State& state) {
    const std::string body = customers_body(static_cast<int>(state.range(0)));
    for (auto _ : state) {
        boost::json::value parsed = boost::json::parse(body);
        benchmark::DoNotOptimize(parsed);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(body.size()));
    state.counters["body_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(upload_body_parse)->Arg(500);

// The parser the upload route uses: strict UTF-8, duplicate keys and number
// range checked, into a monotonic arena as the route does.
void upload_body_parse_strict(benchmark::State& state) {
    const std::string body = customers_body(static_cast<int>(state.range(0)));
    constexpr std::size_t max_depth = 64;  // ServerConfig::max_json_depth's default
    for (auto _ : state) {
        boost::json::value parsed = openbar::api::parse_json_body(
            body, max_depth, boost::json::make_shared_resource<boost::json::monotonic_resource>());
        benchmark::DoNotOptimize(parsed);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(body.size()));
    state.counters["body_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(upload_body_parse_strict)->Arg(500);

}  // namespace
