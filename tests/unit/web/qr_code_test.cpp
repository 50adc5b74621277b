#include "web/qr_code.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace openbar::web {
namespace {

TEST(QrCodeSvg, RendersSquareSymbolWithQuietZone) {
    std::string svg = qr_code_svg("otpauth://totp/openbar:alice%40acme?secret=JBSWY3DPEHPK3PXP&issuer=openbar");
    std::smatch match;
    ASSERT_TRUE(std::regex_search(svg, match, std::regex("viewBox=\"0 0 ([0-9]+) ([0-9]+)\"")));
    EXPECT_EQ(match[1], match[2]);
    int size = std::stoi(match[1]);
    // Versions 1 to 40 are 21 to 177 modules wide, plus 4 on each side.
    EXPECT_GE(size, 21 + 8);
    EXPECT_LE(size, 177 + 8);
    EXPECT_EQ((size - 8 - 21) % 4, 0);
    // The top-left finder pattern starts right after the quiet zone.
    EXPECT_NE(svg.find("M4 4h1v1h-1z"), std::string::npos);
    EXPECT_EQ(svg.find("M0 0h1"), std::string::npos);
    EXPECT_EQ(svg.find("style="), std::string::npos);
}

TEST(QrCodeSvg, DiffersForDifferentText) {
    EXPECT_NE(qr_code_svg("otpauth://totp/a?secret=AAAA"), qr_code_svg("otpauth://totp/b?secret=BBBB"));
}

}  // namespace
}  // namespace openbar::web
