#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>

namespace openbar::http {

namespace beast_http = boost::beast::http;

using Request = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;
using Status = beast_http::status;

// Builds a response with a JSON body and Content-Type: application/json.
Response json_response(Status status, const boost::json::value& body);

}  // namespace openbar::http
