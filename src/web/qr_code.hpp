#pragma once

#include <string>
#include <string_view>

namespace openbar::web {

// Renders `text` as a QR code (libqrencode, error correction level M) in an
// inline SVG element with a four-module quiet zone. The markup uses only
// SVG attributes, no style attributes, so the pages' Content-Security-Policy
// allows it. Throws std::runtime_error when the text does not fit a QR code.
std::string qr_code_svg(std::string_view text);

}  // namespace openbar::web
