#include "util/text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace openbar::util {
namespace {

// The checker skips ASCII eight bytes at a time, so every case is tried at
// every offset from 0 to 16 behind ASCII padding, and with padding after it.
void expect_at_every_offset(const std::string& sequence, bool valid) {
    for (std::size_t offset = 0; offset <= 16; ++offset) {
        std::string text = std::string(offset, 'a') + sequence + std::string(offset % 9, 'b');
        EXPECT_EQ(is_valid_utf8(text), valid) << "offset " << offset;
    }
}

TEST(IsValidUtf8, AsciiAndEmpty) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8(std::string(1000, 'x')));
}

TEST(IsValidUtf8, ValidSequencesAtEveryOffset) {
    expect_at_every_offset("\xC3\xA9", true);              // U+00E9
    expect_at_every_offset("\xE2\x82\xAC", true);          // U+20AC
    expect_at_every_offset("\xF0\x9F\x98\x80", true);      // U+1F600
}

TEST(IsValidUtf8, InvalidSequencesAtEveryOffset) {
    expect_at_every_offset("\xFF", false);                 // never valid
    expect_at_every_offset("\xC3", false);                 // truncated
    expect_at_every_offset("\xC0\xAF", false);             // overlong
    expect_at_every_offset("\xED\xA0\x80", false);         // surrogate
    expect_at_every_offset("\xF4\x90\x80\x80", false);     // above U+10FFFF
    expect_at_every_offset("\x80", false);                 // lone continuation
}

}  // namespace
}  // namespace openbar::util
