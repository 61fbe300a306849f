#include "syn/validation_error.h"

#include <stdexcept>
#include <utility>

namespace syn {
namespace {

struct TypeMessage {
    std::string_view type;
    std::string_view message;
};

// Messages as pydantic 2 words them; clients match on them.
constexpr TypeMessage kMessages[] = {
    {"missing", "Field required"},
    {"json_invalid", "JSON decode error"},
    {"model_attributes_type",
     "Input should be a valid dictionary or object to extract fields from"},
    {"dict_type", "Input should be a valid dictionary"},
    {"list_type", "Input should be a valid list"},
    {"string_type", "Input should be a valid string"},
    {"string_unicode",
     "Input should be a valid string, unable to parse raw data as a unicode string"},
    {"float_type", "Input should be a valid number"},
    {"float_parsing", "Input should be a valid number, unable to parse string as a number"},
    {"extra_forbidden", "Extra inputs are not permitted"},
    {"int_parsing", "Input should be a valid integer, unable to parse string as an integer"},
    {"bool_parsing", "Input should be a valid boolean, unable to interpret input"},
    {"int_type", "Input should be a valid integer"},
    {"bool_type", "Input should be a valid boolean"},
    {"greater_than_equal", "Input should be greater than or equal to 1"},
    {"less_than_equal", "Input should be less than or equal to 100"},
    {"string_too_short", "String should have at least 1 character"},
    {"string_too_long", "String should have at most 255 characters"},
    {"string_pattern_mismatch", "String should match pattern '^[\\x20-\\x7e]+$'"},
    {"enum",
     "Input should be 'pending', 'running', 'paused', 'completed', 'failed' or 'cancelled'"},
};

}  // namespace

ValidationError makeValidationError(std::string_view type, Location location, json::Value input,
                                    std::string context) {
    for (const TypeMessage& entry : kMessages) {
        if (entry.type == type) {
            return ValidationError{std::string(type), std::move(location),
                                   std::string(entry.message), std::move(input),
                                   std::move(context)};
        }
    }
    throw std::invalid_argument("No message for validation error type " + std::string(type));
}

json::Value stringValue(std::string_view text) {
    json::Value value;
    value.kind = json::Value::Kind::String;
    value.text.assign(text);
    return value;
}

}  // namespace syn
