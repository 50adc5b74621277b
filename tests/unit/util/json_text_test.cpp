#include "util/json_text.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <limits>

namespace openbar::util {
namespace {

TEST(JsonText, EveryByteMatchesBoost) {
    // Every byte value inside a string and as a key, one at a time.
    for (int byte = 0; byte < 256; ++byte) {
        std::string text = "a";
        text.push_back(static_cast<char>(byte));
        text += "z";
        boost::json::object object;
        object[text] = text;
        EXPECT_EQ(to_json(object), boost::json::serialize(object)) << "byte " << byte;
    }
}

TEST(JsonText, EscapesAtEveryOffset) {
    // Strings longer than eight bytes are copied eight at a time. An escape
    // at any position inside or after such a block must still be written.
    for (char special : {'"', '\\', '\n', '\x01', '\x1f', ' ', '\x7f', '\x80', '\xff'}) {
        for (std::size_t length = 1; length <= 24; ++length) {
            for (std::size_t at = 0; at < length; ++at) {
                std::string text(length, 'x');
                text[at] = special;
                boost::json::object object;
                object[text] = text;
                ASSERT_EQ(to_json(object), boost::json::serialize(object))
                    << "byte " << int(static_cast<unsigned char>(special)) << " at " << at << " of " << length;
            }
        }
    }
}

TEST(JsonText, ValuesMatchBoost) {
    const char* documents[] = {
        R"({})",
        R"({"a":1,"b":-9223372036854775808,"c":18446744073709551615,"d":true,"e":false,"f":null})",
        R"({"s":"","t":"line\nbreak \"quoted\" back\\slash \u0001 \u007f é 😀"})",
        R"({"nested":{"list":[1,"two",[3,{"four":4}],[]],"empty":{}},"more":[]})",
        R"({"d1":0.5,"d2":-1.25e300,"d3":1e-7,"d4":123456789.125,"d5":0.0,"d6":-0.0})",
    };
    for (const char* document : documents) {
        boost::json::object object = boost::json::parse(document).as_object();
        EXPECT_EQ(to_json(object), boost::json::serialize(object)) << document;
    }
    boost::json::object extremes;
    extremes["max"] = std::numeric_limits<std::int64_t>::max();
    extremes["umax"] = std::numeric_limits<std::uint64_t>::max();
    EXPECT_EQ(to_json(extremes), boost::json::serialize(extremes));
}

TEST(JsonText, AppendsToExistingText) {
    std::string out = "prefix ";
    append_json(out, boost::json::value(boost::json::array{1, "x"}));
    EXPECT_EQ(out, R"(prefix [1,"x"])");
}

}  // namespace
}  // namespace openbar::util
