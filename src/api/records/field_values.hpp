#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace openbar::api::records {

// The kinds of known field, each with the values it accepts and the one form
// it stores, so reads and filters see one representation however a client
// sent the value:
// - text: a string, or a number stored as its decimal text.
// - identifier: like text, but never empty and without control characters.
// - money: integer cents. An integer is kept; a float (1990.0) or a numeric
//   string ("1990", "1990.00") is rounded to the nearest integer.
// - number: a quantity. An integer, or a float or numeric string ("2.0000"),
//   is stored as an integer when it has no fraction and as a float otherwise.
// - boolean: true or false. Also accepted: 0 and 1, and the strings "true",
//   "false", "1", "0" in any letter case.
// - timestamp: "YYYY-MM-DD" stays a date. A date and time with "T" or a space
//   between them, with or without seconds and fraction, is stored in UTC as
//   "YYYY-MM-DDTHH:MM:SSZ": a "Z" or "+HH:MM"/"-HHMM" offset is applied and no
//   offset means UTC. A fraction of a second is dropped.
// - list: a list of strings. A list of strings and numbers, or one
//   comma-separated string ("Shoes, Boots"), whose items are trimmed and
//   empty items dropped.
enum class FieldKind { text, identifier, money, number, boolean, timestamp, list };

// Converts `input` to the stored form of `kind` in `output`. Returns the
// reason when the value is of the wrong kind. Null and "" are not handled
// here: they remove the field.
std::optional<std::string> normalize_value(FieldKind kind, const boost::json::value& input, boost::json::value& output);

// Parses a timestamp in the forms above; returns the stored form, or nothing when invalid.
std::optional<std::string> normalize_timestamp(std::string_view text);

// Renders a stored value as the text that read filters compare with.
std::string filter_text(const boost::json::value& value);

}  // namespace openbar::api::records
