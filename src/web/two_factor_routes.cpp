#include "web/pages.hpp"
#include "web/web_context.hpp"

namespace openbar::web {

void fill_two_factor_view(WebContext& /*context*/, const ActiveSession& /*active*/, SettingsView& view) {
    // TODO: TOTP is not merged yet; the section stays hidden until it is.
    view.two_factor_available = false;
}

void register_two_factor_routes(http::Router& /*router*/, const std::shared_ptr<WebContext>& /*context*/) {}

}  // namespace openbar::web
