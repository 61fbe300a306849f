// One entry of a 422 answer in the list form FastAPI emits with pydantic 2:
// {"type", "loc", "msg", "input", "ctx"}.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "syn/json_value.h"

namespace syn {

// A `loc` element: a field name, or an index into a list or a byte offset.
using LocationPart = std::variant<std::string, size_t>;
using Location = std::vector<LocationPart>;

struct ValidationError {
    std::string type;     // pydantic error type, e.g. "string_type"
    Location location;    // e.g. {"body", "inputs", "goal"}
    std::string message;  // pydantic's message for `type`
    json::Value input;    // the offending value; null when absent
    std::string context;  // JSON object text for "ctx", empty when the type has none
};

// Builds the entry for `type` with pydantic's message for it. Throws
// std::invalid_argument for a type this product never emits.
ValidationError makeValidationError(std::string_view type, Location location, json::Value input,
                                    std::string context = {});

// Returns a JSON string value holding `text`, for the `input` of an entry.
json::Value stringValue(std::string_view text);

}  // namespace syn
