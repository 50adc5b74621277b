#include "web/html.hpp"

#include <gtest/gtest.h>

#include "web/pages.hpp"

namespace openbar::web {
namespace {

TEST(EscapeHtml, EscapesMarkupAndQuotes) {
    EXPECT_EQ(escape_html("<a href=\"x\" title='y'>&</a>"),
              "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
    EXPECT_EQ(escape_html("plain text"), "plain text");
}

TEST(MaskToken, KeepsLastFourCharacters) {
    std::string masked = mask_token("obar_abcdefgh1234");
    EXPECT_TRUE(masked.ends_with("1234"));
    EXPECT_EQ(masked.find("obar_"), std::string::npos);
    EXPECT_EQ(masked, mask_token("obar_abcdefghijklmnopqrstuvwxyz1234"));
    EXPECT_EQ(mask_token("abc"), "***");
}

TEST(RenderLoginPage, EscapesEveryValue) {
    LoginView view{"acme", "tok\"en", "/next\"><script>", "<user>", std::string("<error>")};
    std::string html = render_login_page(view);
    EXPECT_EQ(html.find("<script>"), std::string::npos);
    EXPECT_NE(html.find("&lt;user&gt;"), std::string::npos);
    EXPECT_NE(html.find("&lt;error&gt;"), std::string::npos);
    EXPECT_NE(html.find("value=\"tok&quot;en\""), std::string::npos);
}

}  // namespace
}  // namespace openbar::web
