#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace openbar::util {

// Appends the JSON text of `value` to `out`, byte for byte what
// boost::json::serialize writes. It writes through a pointer into `out` and
// copies strings eight bytes at a time where they need no escapes.
void append_json(std::string& out, const boost::json::value& value);
void append_json(std::string& out, const boost::json::object& object);

// Returns the JSON text of `object`, the same as boost::json::serialize.
std::string to_json(const boost::json::object& object);

}  // namespace openbar::util
