#include "api/json_body.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "http/api_error.hpp"

namespace openbar::api {
namespace {

std::string error_code_of(std::string_view body, std::size_t max_depth = 64) {
    try {
        parse_json_body(body, max_depth);
    } catch (const http::ApiError& error) {
        EXPECT_EQ(error.kind(), http::ErrorKind::bad_request);
        return error.code();
    }
    return "accepted";
}

TEST(JsonBody, ParsesObjectsAndLists) {
    auto value = parse_json_body(R"({"customers": [{"a": 1, "b": "x"}, {"c": [true, null, 2.5]}]})", 64);
    EXPECT_EQ(boost::json::serialize(value), R"({"customers":[{"a":1,"b":"x"},{"c":[true,null,2.5E0]}]})");
}

TEST(JsonBody, SkipsByteOrderMark) {
    auto value = parse_json_body("\xEF\xBB\xBF[1,2]", 64);
    EXPECT_EQ(boost::json::serialize(value), "[1,2]");
}

TEST(JsonBody, RejectsDuplicateKeys) {
    EXPECT_EQ(error_code_of(R"({"a": 1, "a": 2})"), "duplicate_key");
    EXPECT_EQ(error_code_of(R"([{"x": {"b": 1, "c": 2, "b": 3}}])"), "duplicate_key");
}

TEST(JsonBody, AllowsSameKeyInSiblingObjects) {
    auto value = parse_json_body(R"([{"a": 1, "n": {"a": 2}}, {"a": 3}])", 64);
    EXPECT_EQ(boost::json::serialize(value), R"([{"a":1,"n":{"a":2}},{"a":3}])");
}

TEST(JsonBody, RejectsDuplicateKeyInLargeObject) {
    std::string body = "{";
    for (int i = 0; i < 100; ++i) body += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    EXPECT_EQ(error_code_of(body + "\"k99\":0}"), "duplicate_key");
    EXPECT_EQ(error_code_of(body + "\"k100\":0}"), "accepted");
}

TEST(JsonBody, RejectsDuplicateKeyLongerThanOneChunk) {
    std::string key(5000, 'k');
    EXPECT_EQ(error_code_of("{\"" + key + "\":1,\"" + key + "\":2}"), "duplicate_key");
}

TEST(JsonBody, RejectsDuplicateKeyWithEscapes) {
    // An escaped key is compared by its decoded text, against plain and escaped keys alike.
    EXPECT_EQ(error_code_of(R"({"ab": 1, "\u0061b": 2})"), "duplicate_key");
    EXPECT_EQ(error_code_of(R"({"\u0061b": 1, "ab": 2})"), "duplicate_key");
    EXPECT_EQ(error_code_of(R"({"a\nb": 1, "a\u000ab": 2})"), "duplicate_key");
    EXPECT_EQ(error_code_of(R"({"a\nb": 1, "a\tb": 2, "anb": 3})"), "accepted");
    // Forty keys "k" + the last digit of i + i, the digit escaped: "k00" to "k939".
    std::string body = "{";
    for (int i = 0; i < 40; ++i) body += "\"k\\u00" + std::to_string(30 + i % 10) + std::to_string(i) + "\":0,";
    EXPECT_EQ(error_code_of(body + "\"k55\":1}"), "duplicate_key");
    EXPECT_EQ(error_code_of(body + "\"k05\":1}"), "accepted");
}

TEST(JsonBody, KeepsSixtyFourBitIntegersExact) {
    auto value = parse_json_body("[9223372036854775807, -9223372036854775808, 18446744073709551615]", 64);
    EXPECT_EQ(value.as_array()[0].as_int64(), 9223372036854775807LL);
    EXPECT_EQ(value.as_array()[1].as_int64(), INT64_MIN);
    EXPECT_EQ(value.as_array()[2].as_uint64(), 18446744073709551615ULL);
}

TEST(JsonBody, RejectsIntegersBeyondSixtyFourBits) {
    EXPECT_EQ(error_code_of("[18446744073709551616]"), "number_out_of_range");
    EXPECT_EQ(error_code_of("[-9223372036854775809]"), "number_out_of_range");
    EXPECT_EQ(error_code_of(R"({"price": 123456789012345678901234567890})"), "number_out_of_range");
}

TEST(JsonBody, AcceptsLargeFloats) {
    EXPECT_EQ(error_code_of("[1e300, 123456789012345678901234567890.5]"), "accepted");
}

TEST(JsonBody, RejectsFloatsBeyondDouble) {
    EXPECT_EQ(error_code_of("[1e400]"), "number_out_of_range");
    EXPECT_EQ(error_code_of("[-1.5e999]"), "number_out_of_range");
}

TEST(JsonBody, EnforcesDepthLimit) {
    EXPECT_EQ(error_code_of(std::string(10, '[') + std::string(10, ']'), 10), "accepted");
    EXPECT_EQ(error_code_of(std::string(11, '[') + std::string(11, ']'), 10), "json_too_deep");
}

TEST(JsonBody, DeepNestingDoesNotOverflowStack) {
    std::string body(1000000, '[');
    EXPECT_EQ(error_code_of(body, 64), "json_too_deep");
}

TEST(JsonBody, RejectsInvalidUtf8) {
    EXPECT_EQ(error_code_of("[\"\xC3\x28\"]"), "invalid_utf8");
    EXPECT_EQ(error_code_of("{\"\xFF\": 1}"), "invalid_utf8");
    EXPECT_EQ(error_code_of("[\"\xED\xA0\x80\"]"), "invalid_utf8");  // UTF-16 surrogate
}

TEST(JsonBody, AcceptsValidUtf8) {
    auto value = parse_json_body("[\"Jyv\xC3\xA4skyl\xC3\xA4 \xF0\x9F\x98\x80\"]", 64);
    EXPECT_EQ(value.as_array()[0].as_string(), "Jyv\xC3\xA4skyl\xC3\xA4 \xF0\x9F\x98\x80");
}

TEST(JsonBody, RejectsMalformedJson) {
    EXPECT_EQ(error_code_of(""), "invalid_json");
    EXPECT_EQ(error_code_of("[1,]"), "invalid_json");
    EXPECT_EQ(error_code_of("[1] [2]"), "invalid_json");
    EXPECT_EQ(error_code_of("[1] // comment"), "invalid_json");
    EXPECT_EQ(error_code_of("{'a': 1}"), "invalid_json");
}

http::Request request_with_content_type(std::string_view value) {
    http::Request request{http::beast_http::verb::post, "/", 11};
    request.set(http::beast_http::field::content_type, value);
    return request;
}

bool json_accepted(std::string_view content_type) {
    try {
        require_json_content_type(request_with_content_type(content_type));
        return true;
    } catch (const http::ApiError& error) {
        EXPECT_EQ(error.kind(), http::ErrorKind::unsupported_media_type);
        return false;
    }
}

TEST(JsonContentType, AcceptsJsonTypes) {
    EXPECT_TRUE(json_accepted("application/json"));
    EXPECT_TRUE(json_accepted("Application/JSON; charset=UTF-8"));
    EXPECT_TRUE(json_accepted("application/json;charset=\"utf-8\""));
    EXPECT_TRUE(json_accepted("application/vnd.custobar+json"));
}

TEST(JsonContentType, RejectsOtherTypes) {
    EXPECT_FALSE(json_accepted("application/x-www-form-urlencoded"));
    EXPECT_FALSE(json_accepted("text/plain"));
    EXPECT_FALSE(json_accepted("multipart/form-data; boundary=x"));
    EXPECT_FALSE(json_accepted("application/json; charset=latin1"));
    EXPECT_FALSE(json_accepted("application/jsonp"));
}

TEST(JsonContentType, AcceptsMissingHeader) {
    http::Request request{http::beast_http::verb::post, "/", 11};
    EXPECT_NO_THROW(require_json_content_type(request));
}

}  // namespace
}  // namespace openbar::api
