#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace openbar::auth {

// `Authorization: Token <token>` (or `Bearer <token>`). The token is a
// view into the header value that was parsed.
struct TokenCredentials {
    std::string_view token;
};

// `Authorization: Basic <base64(user-id ":" password)>` as in RFC 7617. When
// the user-id is `access-token` the password is an access token.
struct BasicCredentials {
    std::string user_id;
    std::string password;
};

// The reason a header could not be parsed. `reason` is safe to show to the client
// because it never contains any part of the credentials.
struct MalformedAuthorization {
    std::string reason;
};

using ParsedAuthorization = std::variant<TokenCredentials, BasicCredentials, MalformedAuthorization>;

// The user-id that marks Basic credentials whose password is an access token.
inline constexpr std::string_view access_token_user_id = "access-token";

// Parses one Authorization header value. Scheme names match in any letter
// case; Basic payloads must be canonical padded base64 and decode to text
// without control characters (UTF-8, or Latin-1 for bytes that are not UTF-8).
ParsedAuthorization parse_authorization(std::string_view header_value);

// Decodes bytes as UTF-8 when valid and as Latin-1 otherwise, the fallback
// RFC 7617 section 2.1 describes for clients that do not send UTF-8.
std::string decode_utf8_or_latin1(std::string_view bytes);

// True when `text` (valid UTF-8) contains a C0 or C1 control character or DEL.
bool has_control_character(std::string_view text);

}  // namespace openbar::auth
