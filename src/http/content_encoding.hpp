#pragma once

#include <cstddef>

#include "http/message.hpp"

namespace openbar::http {

// Replaces a body sent with Content-Encoding gzip (or x-gzip) or deflate by
// its decoded bytes and removes the header. `max_bytes` limits the decoded
// size, and decoding stops as soon as it is passed, so a small compressed
// body that expands enormously costs at most `max_bytes` of memory.
// Throws ApiError: 413 past the limit, 415 for another encoding, 400 for
// corrupt data.
void decode_content_encoding(Request& request, std::size_t max_bytes);

}  // namespace openbar::http
