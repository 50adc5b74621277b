#include "http/content_encoding.hpp"

#include <gtest/gtest.h>

#include <zlib.h>

#include "http/api_error.hpp"

namespace openbar::http {
namespace {

// Compresses with zlib. A window_bits of 15 + 16 writes gzip, and 15 writes zlib-wrapped deflate.
std::string compress(const std::string& input, int window_bits) {
    z_stream stream{};
    EXPECT_EQ(deflateInit2(&stream, 9, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string output(deflateBound(&stream, input.size()), '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    stream.avail_in = static_cast<uInt>(input.size());
    stream.next_out = reinterpret_cast<Bytef*>(output.data());
    stream.avail_out = static_cast<uInt>(output.size());
    EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
    output.resize(stream.total_out);
    deflateEnd(&stream);
    return output;
}

Request encoded_request(std::string body, std::string_view encoding) {
    Request request{beast_http::verb::post, "/", 11};
    request.set(beast_http::field::content_encoding, encoding);
    request.body() = std::move(body);
    return request;
}

ErrorKind failure_kind(Request& request, std::size_t max_bytes) {
    try {
        decode_content_encoding(request, max_bytes);
    } catch (const ApiError& error) {
        return error.kind();
    }
    ADD_FAILURE() << "decoding did not fail";
    return ErrorKind::internal;
}

TEST(ContentEncoding, DecodesGzip) {
    Request request = encoded_request(compress("[1, 2, 3]", 15 + 16), "gzip");
    decode_content_encoding(request, 1000);
    EXPECT_EQ(request.body(), "[1, 2, 3]");
    EXPECT_EQ(request.find(beast_http::field::content_encoding), request.end());
}

TEST(ContentEncoding, DecodesDeflateAndXGzip) {
    Request deflated = encoded_request(compress("abc", 15), "Deflate");
    decode_content_encoding(deflated, 1000);
    EXPECT_EQ(deflated.body(), "abc");
    Request gzipped = encoded_request(compress("def", 15 + 16), "x-gzip");
    decode_content_encoding(gzipped, 1000);
    EXPECT_EQ(gzipped.body(), "def");
}

TEST(ContentEncoding, DecodesConcatenatedGzipMembers) {
    Request request = encoded_request(compress("[1,", 15 + 16) + compress("2]", 15 + 16), "gzip");
    decode_content_encoding(request, 1000);
    EXPECT_EQ(request.body(), "[1,2]");
}

TEST(ContentEncoding, LimitAppliesToDecodedSize) {
    std::string exact(1000, 'x');
    Request fits = encoded_request(compress(exact, 15 + 16), "gzip");
    decode_content_encoding(fits, 1000);
    EXPECT_EQ(fits.body(), exact);

    Request over = encoded_request(compress(exact + "x", 15 + 16), "gzip");
    EXPECT_EQ(failure_kind(over, 1000), ErrorKind::payload_too_large);
}

TEST(ContentEncoding, BombStopsAtLimit) {
    Request request = encoded_request(compress(std::string(64 * 1024 * 1024, ' '), 15 + 16), "gzip");
    EXPECT_LT(request.body().size(), 100u * 1024);
    EXPECT_EQ(failure_kind(request, 1024 * 1024), ErrorKind::payload_too_large);
}

TEST(ContentEncoding, RejectsCorruptData) {
    Request garbage = encoded_request("not compressed", "gzip");
    EXPECT_EQ(failure_kind(garbage, 1000), ErrorKind::bad_request);
    std::string compressed = compress("[1, 2, 3, 4, 5, 6, 7, 8]", 15 + 16);
    Request truncated = encoded_request(compressed.substr(0, compressed.size() - 6), "gzip");
    EXPECT_EQ(failure_kind(truncated, 1000), ErrorKind::bad_request);
    Request trailing = encoded_request(compress("[]", 15 + 16) + "junk", "gzip");
    EXPECT_EQ(failure_kind(trailing, 1000), ErrorKind::bad_request);
}

TEST(ContentEncoding, RejectsUnknownEncoding) {
    Request request = encoded_request("[]", "br");
    EXPECT_EQ(failure_kind(request, 1000), ErrorKind::unsupported_media_type);
}

TEST(ContentEncoding, IdentityAndNoHeaderKeepBody) {
    Request identity = encoded_request("[]", "identity");
    decode_content_encoding(identity, 1000);
    EXPECT_EQ(identity.body(), "[]");
    Request plain{beast_http::verb::post, "/", 11};
    plain.body() = "{}";
    decode_content_encoding(plain, 1000);
    EXPECT_EQ(plain.body(), "{}");
}

}  // namespace
}  // namespace openbar::http
