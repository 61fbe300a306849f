// The body of POST /workflows/{id}/execute: shape validation, then the
// domain checks that need the workflow's declarations.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "syn/json_value.h"
#include "syn/validation_error.h"

namespace syn {

struct ExecuteRequest {
    std::vector<std::pair<std::string, std::string>> inputs;  // request order, unique keys
    std::optional<std::string> task;
    std::vector<std::string> repos;  // as given, not yet parsed
};

// Checks `body` against the request model (every field optional, extra keys
// forbidden) and moves the accepted fields out of it. Appends one entry per
// problem to `errors`, in the order pydantic reports them: declared fields
// first, then extra keys in body order.
ExecuteRequest validateExecuteRequest(json::Value body, std::vector<ValidationError>& errors);

// Returns the 422 detail when `inputs` uses a key reserved for repositories.
std::optional<std::string> findReservedInputKeys(const ExecuteRequest& request);

// Parses every entry of `request.repos` into `slugs` (owner/name). Returns
// the 422 detail for the first entry that does not parse.
std::optional<std::string> normalizeRepos(const ExecuteRequest& request,
                                          std::vector<std::string>& slugs);

struct InputDeclaration {
    std::string name;
    bool required = true;
    std::optional<std::string> defaultValue;
};

// Merges declared defaults, then request inputs, then `task` under the name
// "task". Returns the 422 detail naming every required input that is still
// absent (sorted), or nullopt with `merged` filled.
std::optional<std::string> mergeInputs(const std::vector<InputDeclaration>& declarations,
                                       ExecuteRequest& request,
                                       std::vector<std::pair<std::string, std::string>>& merged);

}  // namespace syn
