#include "http/content_encoding.hpp"

#include <zlib.h>

#include <memory>
#include <string>

#include "http/api_error.hpp"
#include "util/text.hpp"

namespace openbar::http {
namespace {

constexpr std::size_t inflate_chunk_bytes = 64 * 1024;

struct InflateStream {
    z_stream stream{};
    bool initialized = false;
    ~InflateStream() {
        if (initialized) inflateEnd(&stream);
    }
};

ApiError corrupt_body(std::string_view encoding) {
    return ApiError(ErrorKind::bad_request, "invalid_encoding",
                    "the request body is not valid " + std::string(encoding) + " data");
}

std::string inflate_body(const std::string& input, int window_bits, std::string_view encoding, std::size_t max_bytes) {
    InflateStream inflater;
    if (inflateInit2(&inflater.stream, window_bits) != Z_OK) {
        throw ApiError(ErrorKind::internal, "internal_error", "the server could not start decompressing");
    }
    inflater.initialized = true;
    z_stream& stream = inflater.stream;
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    stream.avail_in = static_cast<uInt>(input.size());

    std::string output;
    while (true) {
        std::size_t used = output.size();
        if (used >= max_bytes + 1) {
            throw ApiError(ErrorKind::payload_too_large, "body_too_large",
                           "the decompressed request body exceeds " + std::to_string(max_bytes) + " bytes");
        }
        // One byte past the limit is enough to tell that it was exceeded.
        std::size_t room = std::min(inflate_chunk_bytes, max_bytes + 1 - used);
        output.resize(used + room);
        stream.next_out = reinterpret_cast<Bytef*>(output.data() + used);
        stream.avail_out = static_cast<uInt>(room);

        int code = inflate(&stream, Z_NO_FLUSH);
        output.resize(used + room - stream.avail_out);
        if (code == Z_STREAM_END) {
            // Gzip allows several members one after another (RFC 1952 section 2.2).
            if (stream.avail_in == 0) break;
            if (inflateReset(&stream) != Z_OK) throw corrupt_body(encoding);
            continue;
        }
        if (code == Z_BUF_ERROR && stream.avail_in == 0) {
            throw corrupt_body(encoding);  // input ended in the middle of the stream
        }
        if (code != Z_OK && code != Z_BUF_ERROR) {
            throw corrupt_body(encoding);
        }
    }
    if (output.size() > max_bytes) {
        throw ApiError(ErrorKind::payload_too_large, "body_too_large",
                       "the decompressed request body exceeds " + std::to_string(max_bytes) + " bytes");
    }
    return output;
}

}  // namespace

void decode_content_encoding(Request& request, std::size_t max_bytes) {
    auto header = find_field(request, beast_http::field::content_encoding);
    if (header == request.end()) return;

    std::string encoding = util::to_lower_ascii(header->value());
    while (!encoding.empty() && (encoding.back() == ' ' || encoding.back() == '\t')) encoding.pop_back();
    while (!encoding.empty() && (encoding.front() == ' ' || encoding.front() == '\t')) encoding.erase(0, 1);

    if (encoding == "identity") {
        request.erase(beast_http::field::content_encoding);
        return;
    }
    // zlib window bits: 15 plus 16 reads gzip only, 15 alone reads zlib-wrapped deflate.
    int window_bits = 0;
    if (encoding == "gzip" || encoding == "x-gzip") {
        window_bits = 15 + 16;
    } else if (encoding == "deflate") {
        window_bits = 15;
    } else {
        throw ApiError(ErrorKind::unsupported_media_type, "unsupported_encoding",
                       "Content-Encoding '" + encoding.substr(0, 50) + "' is not supported; use gzip or deflate");
    }
    request.body() = inflate_body(request.body(), window_bits, encoding, max_bytes);
    request.erase(beast_http::field::content_encoding);
}

}  // namespace openbar::http
