// JSON parsing of an upload body of 500 customers, reported in MB/s.
#include <benchmark/benchmark.h>
#include <boost/json/parse.hpp>

#include <string>

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

}  // namespace
