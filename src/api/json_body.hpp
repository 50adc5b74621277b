#pragma once

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <string_view>

#include "http/message.hpp"

namespace openbar::api {

// Parses a request body as one JSON document, stricter than boost::json::parse:
// - a UTF-8 byte-order mark at the start is skipped;
// - invalid UTF-8 anywhere, comments and trailing commas are rejected;
// - an object with the same key twice is rejected, instead of keeping the last;
// - an integer outside the 64-bit range is rejected, instead of being rounded
//   to a double, and so is a number too large for a double;
// - nesting deeper than `max_depth` arrays and objects is rejected. The parser
//   keeps its own stack, so depth never grows the thread's call stack.
// The value allocates from `storage`. Throws http::ApiError(bad_request)
// whose code names the rule that failed.
boost::json::value parse_json_body(std::string_view body, std::size_t max_depth,
                                   boost::json::storage_ptr storage = {});

// Rejects a request whose Content-Type is not JSON with 415. A missing
// Content-Type is taken as JSON, because several Custobar clients send none.
// Accepts application/json and application/*+json with no charset or UTF-8.
void require_json_content_type(const http::Request& request);

}  // namespace openbar::api
