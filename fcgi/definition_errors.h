// 422 entries for the problems found in a workflow definition sent as JSON.
#pragma once

#include <vector>

#include "syn/json_value.h"
#include "syn/validation_error.h"
#include "syn/workflow_package.h"

namespace syn::fcgi {

// Converts each problem into one 422 entry located under "body". A wrong
// type, a missing key or an unknown key gets pydantic's type and message,
// such as string_type or extra_forbidden. A broken rule, such as an id
// pattern or a duplicate phase order, becomes value_error with the loader's
// message. `input` is the offending value taken from `definition`, or for a
// missing key the object that lacks it, as pydantic reports.
std::vector<ValidationError> definitionErrors(const std::vector<package::Problem>& problems,
                                              const json::Value& definition);

}  // namespace syn::fcgi
