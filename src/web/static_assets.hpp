#pragma once

#include <string_view>

namespace openbar::web {

// The stylesheet and the copy-button script of the settings pages, served
// from /static/ because the Content-Security-Policy forbids inline code.
extern const std::string_view stylesheet;
extern const std::string_view settings_script;

}  // namespace openbar::web
