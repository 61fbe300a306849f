// Reading a request body as JSON under the API's content-type rules.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "http.h"
#include "syn/json_value.h"
#include "syn/validation_error.h"

namespace syn::fcgi {

// True for application/json and application/<anything>+json, with or
// without parameters such as charset, in any letter case.
bool isJsonContentType(std::string_view contentType);

// Parses the body of `request` into `body`. Leaves `body` empty when the
// request has no body or the body is JSON null, which FastAPI treats alike.
// Returns false after appending a 422 entry to `errors` when the body is not
// JSON: model_attributes_type for a non-JSON content type, json_invalid with
// the byte offset for a syntax error.
bool readJsonBody(const Request& request, std::optional<json::Value>& body,
                  std::vector<ValidationError>& errors);

}  // namespace syn::fcgi
