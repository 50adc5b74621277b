#include "web/qr_code.hpp"

#include <qrencode.h>

#include <memory>
#include <stdexcept>

namespace openbar::web {

std::string qr_code_svg(std::string_view text) {
    std::string input(text);
    std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
        QRcode_encodeString(input.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
    if (!code) {
        throw std::runtime_error("QR code encoding failed for a text of " + std::to_string(text.size()) + " bytes");
    }

    // Scanners need a light margin (quiet zone) of four modules around the symbol.
    constexpr int quiet_zone = 4;
    const int width = code->width;
    const int size = width + 2 * quiet_zone;

    // One path with a 1x1 square per dark module; bit 0 of each byte is the module colour.
    std::string path;
    for (int y = 0; y < width; ++y) {
        for (int x = 0; x < width; ++x) {
            if (code->data[y * width + x] & 1) {
                path += "M" + std::to_string(x + quiet_zone) + " " + std::to_string(y + quiet_zone) + "h1v1h-1z";
            }
        }
    }

    std::string dimension = std::to_string(size);
    std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + dimension + " " + dimension +
                      "\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code for the authenticator app\">";
    svg += "<rect width=\"" + dimension + "\" height=\"" + dimension + "\" fill=\"#ffffff\"/>";
    svg += "<path fill=\"#000000\" d=\"" + path + "\"/></svg>";
    return svg;
}

}  // namespace openbar::web
