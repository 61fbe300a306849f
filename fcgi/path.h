// Request paths: splitting into segments and percent-decoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace syn::fcgi {

// Decodes %XX escapes in `text`; when `plusIsSpace`, '+' becomes ' ' as in
// form-encoded query strings. Returns nullopt for a '%' not followed by two
// hex digits.
std::optional<std::string> percentDecode(std::string_view text, bool plusIsSpace = false);

// Splits an absolute path such as "/workflows/a%2Fb" on '/' first and then
// decodes each segment, so that an encoded slash stays inside its segment.
// Returns nullopt when the path is not absolute, an escape is malformed or a
// decoded segment is not valid UTF-8.
std::optional<std::vector<std::string>> splitPath(std::string_view target);

}  // namespace syn::fcgi
