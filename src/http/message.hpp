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

// Returns the first field called `name`, or fields.end(), by walking the
// fields in the order they arrived and comparing their enum values. Beast's
// own find() converts the enum to a string and looks that up in a tree with
// case-insensitive string comparisons, which for the few fields of a typical
// request costs several times more. Only for names that have an enum value.
inline beast_http::fields::const_iterator find_field(const beast_http::fields& fields, beast_http::field name) {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        if (it->name() == name) return it;
    }
    return fields.end();
}

}  // namespace openbar::http
