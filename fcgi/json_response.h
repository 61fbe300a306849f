// JSON responses in the shapes the API contract fixes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http.h"
#include "syn/validation_error.h"

namespace syn::fcgi {

// Returns a response with `body`, which must be JSON text.
Response jsonResponse(int status, std::string body);

// Returns {"detail": "<detail>"} with `status`.
Response detailResponse(int status, std::string_view detail);

// Returns 422 {"detail": [ {type, loc, msg, input, ctx}, ... ]}.
Response validationErrorResponse(const std::vector<ValidationError>& errors);

Response notFoundResponse();

// Returns 405 with `allow` (e.g. "GET, HEAD") in the Allow header.
Response methodNotAllowedResponse(std::string allow);

}  // namespace syn::fcgi
