#include "api/json_body.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <cmath>
#include <deque>
#include <string>
#include <unordered_set>
#include <vector>

#include "http/api_error.hpp"
#include "util/text.hpp"

namespace openbar::api {
namespace {

using http::ApiError;
using http::ErrorKind;

// Objects with more keys than this get a hash set for the duplicate check.
// Smaller ones are checked by a linear scan, which is faster for them.
constexpr std::size_t linear_key_check_limit = 16;

enum class Violation { none, duplicate_key, number_out_of_range };

// SAX handler for boost::json::basic_parser that builds a value with
// value_stack, as boost::json::parser does, and adds the checks that
// parse_options cannot express.
class StrictHandler {
public:
    constexpr static std::size_t max_object_size = boost::json::object::max_size();
    constexpr static std::size_t max_array_size = boost::json::array::max_size();
    constexpr static std::size_t max_key_size = boost::json::string::max_size();
    constexpr static std::size_t max_string_size = boost::json::string::max_size();

    boost::json::value_stack stack;
    Violation violation = Violation::none;
    std::string violation_detail;

    bool on_document_begin(boost::system::error_code&) { return true; }
    bool on_document_end(boost::system::error_code&) { return true; }

    bool on_array_begin(boost::system::error_code&) { return true; }
    bool on_array_end(std::size_t n, boost::system::error_code&) {
        stack.push_array(n);
        return true;
    }

    bool on_object_begin(boost::system::error_code&) {
        frames_.push_back(Frame{keys_.size(), owned_keys_.size(), {}});
        return true;
    }
    bool on_object_end(std::size_t n, boost::system::error_code&) {
        keys_.resize(frames_.back().first_key);
        // Copies made since the object began are its keys, because nested objects dropped theirs.
        owned_keys_.resize(frames_.back().first_owned_key);
        frames_.pop_back();
        stack.push_object(n);
        return true;
    }

    bool on_string_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        stack.push_chars(s);
        return true;
    }
    bool on_string(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        stack.push_string(s);
        return true;
    }

    bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        key_buffer_.append(s.data(), s.size());
        stack.push_chars(s);
        return true;
    }
    bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code& error) {
        std::string_view key;
        if (key_buffer_.empty() && s.data() >= input_.data() && s.data() + s.size() <= input_.data() + input_.size()) {
            // Read in one piece without escapes, so the body itself contains the key.
            key = std::string_view(s.data(), s.size());
        } else {
            key_buffer_.append(s.data(), s.size());
            key = owned_keys_.emplace_back(std::move(key_buffer_));
            key_buffer_.clear();
        }
        if (!remember_key(key)) {
            fail(error, Violation::duplicate_key);
            return false;
        }
        stack.push_key(s);
        return true;
    }

    // The body being parsed: keys that lie inside it are not copied.
    void set_input(std::string_view input) { input_ = input; }

    bool on_number_part(boost::json::string_view s, boost::system::error_code&) {
        number_buffer_.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t i, boost::json::string_view, boost::system::error_code&) {
        number_buffer_.clear();
        stack.push_int64(i);
        return true;
    }
    bool on_uint64(std::uint64_t u, boost::json::string_view, boost::system::error_code&) {
        number_buffer_.clear();
        stack.push_uint64(u);
        return true;
    }
    bool on_double(double d, boost::json::string_view s, boost::system::error_code& error) {
        // basic_parser falls back to a double for an integer that does not
        // fit 64 bits; a literal without fraction or exponent is such an integer.
        number_buffer_.append(s.data(), s.size());
        if (number_buffer_.find_first_of(".eE") == std::string::npos) {
            violation_detail = number_buffer_;
            fail(error, Violation::number_out_of_range);
            return false;
        }
        number_buffer_.clear();
        if (!std::isfinite(d)) {
            // JSON has no infinity, so a stored one could not be read back.
            violation_detail = std::string(s.data(), s.size());
            fail(error, Violation::number_out_of_range);
            return false;
        }
        stack.push_double(d);
        return true;
    }

    bool on_bool(bool b, boost::system::error_code&) {
        stack.push_bool(b);
        return true;
    }
    bool on_null(boost::system::error_code&) {
        stack.push_null();
        return true;
    }
    bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }

private:
    struct Frame {
        std::size_t first_key;
        std::size_t first_owned_key;  // owned_keys_.size() when the object began
        std::unordered_set<std::string_view> large_object_keys;
    };

    void fail(boost::system::error_code& error, Violation violation_kind) {
        violation = violation_kind;
        // Any error code stops the parser, and `violation` records which rule failed.
        error = boost::json::error::syntax;
    }

    // Returns false when the innermost open object already has this key.
    bool remember_key(std::string_view key) {
        Frame& frame = frames_.back();
        std::size_t count = keys_.size() - frame.first_key;
        if (count < linear_key_check_limit) {
            for (std::size_t i = frame.first_key; i < keys_.size(); ++i) {
                if (keys_[i] == key) {
                    violation_detail = key;
                    return false;
                }
            }
            keys_.push_back(key);
            return true;
        }
        if (frame.large_object_keys.empty()) {
            frame.large_object_keys.insert(keys_.begin() + static_cast<std::ptrdiff_t>(frame.first_key), keys_.end());
        }
        if (!frame.large_object_keys.insert(key).second) {
            violation_detail = key;
            return false;
        }
        return true;
    }

    std::vector<Frame> frames_;
    // Keys of every open object, innermost last: views into the body or into owned_keys_.
    std::vector<std::string_view> keys_;
    std::deque<std::string> owned_keys_;  // keys of open objects that had escapes or arrived in parts
    std::string_view input_;
    std::string key_buffer_;
    std::string number_buffer_;
};

}  // namespace

boost::json::value parse_json_body(std::string_view body, std::size_t max_depth, boost::json::storage_ptr storage) {
    constexpr std::string_view byte_order_mark = "\xEF\xBB\xBF";
    if (body.starts_with(byte_order_mark)) body.remove_prefix(byte_order_mark.size());

    boost::json::parse_options options;
    options.max_depth = max_depth;
    boost::json::basic_parser<StrictHandler> parser(options);
    parser.handler().stack.reset(std::move(storage));
    parser.handler().set_input(body);

    boost::system::error_code error;
    std::size_t used = parser.write_some(false, body.data(), body.size(), error);
    if (!error && used != body.size()) {
        error = boost::json::error::extra_data;
    }
    if (!error) {
        return parser.handler().stack.release();
    }

    const StrictHandler& handler = parser.handler();
    if (handler.violation == Violation::duplicate_key) {
        throw ApiError(ErrorKind::bad_request, "duplicate_key",
                       "the request body has an object with the key \"" + handler.violation_detail.substr(0, 100) +
                           "\" twice");
    }
    if (handler.violation == Violation::number_out_of_range) {
        std::string number = handler.violation_detail.substr(0, 40);
        throw ApiError(ErrorKind::bad_request, "number_out_of_range",
                       "the request body has the number " + number +
                           ", which is outside the range of 64-bit integers and doubles; send it as a string");
    }
    if (error == boost::json::error::too_deep) {
        throw ApiError(ErrorKind::bad_request, "json_too_deep",
                       "the request body nests arrays and objects deeper than " + std::to_string(max_depth) +
                           " levels");
    }
    if (error == boost::json::error::syntax && !util::is_valid_utf8(body)) {
        throw ApiError(ErrorKind::bad_request, "invalid_utf8", "the request body is not valid UTF-8");
    }
    throw ApiError(ErrorKind::bad_request, "invalid_json",
                   "the request body is not valid JSON: " + error.message() + " at byte " +
                       std::to_string(used));
}

void require_json_content_type(const http::Request& request) {
    auto found = request.find(http::beast_http::field::content_type);
    if (found == request.end()) return;

    std::string_view value = found->value();
    std::string_view media_type = value.substr(0, value.find(';'));
    while (!media_type.empty() && (media_type.back() == ' ' || media_type.back() == '\t')) media_type.remove_suffix(1);
    std::string type = util::to_lower_ascii(media_type);
    bool json = type == "application/json" || (type.starts_with("application/") && type.ends_with("+json"));

    // Only a charset parameter matters, and JSON is always UTF-8 (RFC 8259 section 8.1).
    std::string parameters = util::to_lower_ascii(value.substr(media_type.size()));
    std::size_t charset = parameters.find("charset=");
    if (json && charset != std::string::npos) {
        std::string_view name = std::string_view(parameters).substr(charset + 8);
        name = name.substr(0, name.find(';'));
        while (!name.empty() && (name.back() == ' ' || name.back() == '"')) name.remove_suffix(1);
        while (!name.empty() && name.front() == '"') name.remove_prefix(1);
        json = name == "utf-8" || name == "utf8";
    }
    if (!json) {
        throw ApiError(ErrorKind::unsupported_media_type, "unsupported_media_type",
                       "this endpoint accepts only application/json bodies, not '" + std::string(value.substr(0, 100)) +
                           "'");
    }
}

}  // namespace openbar::api
