#include "definition_errors.h"

#include "syn/json_writer.h"

namespace syn::fcgi {
namespace {

// Returns the value at `location` inside `root`, or null when the path leads
// nowhere, such as into a scalar.
const json::Value* valueAt(const json::Value& root, const Location& location) {
    const json::Value* value = &root;
    for (const LocationPart& part : location) {
        if (const std::string* key = std::get_if<std::string>(&part)) {
            const json::Value* member = nullptr;
            for (const json::Member& candidate : value->members) {
                if (candidate.key == *key) {
                    member = &candidate.value;
                }
            }
            if (member == nullptr) {
                return nullptr;
            }
            value = member;
        } else {
            size_t index = std::get<size_t>(part);
            if (!value->isArray() || index >= value->items.size()) {
                return nullptr;
            }
            value = &value->items[index];
        }
    }
    return value;
}

const char* pydanticType(package::ProblemKind kind) {
    using package::ProblemKind;
    switch (kind) {
        case ProblemKind::missingKey:
            return "missing";
        case ProblemKind::unknownKey:
            return "extra_forbidden";
        case ProblemKind::notString:
            return "string_type";
        case ProblemKind::notInteger:
            return "int_type";
        case ProblemKind::notBoolean:
            return "bool_type";
        case ProblemKind::notList:
            return "list_type";
        case ProblemKind::notMapping:
            return "dict_type";
        case ProblemKind::invalidValue:
            break;
    }
    return nullptr;
}

// pydantic words a failed validator as "Value error, <reason>" with the
// reason again in ctx.error.
ValidationError valueError(Location location, json::Value input, const std::string& reason) {
    json::Writer context;
    context.beginObject().key("error").string(reason).endObject();
    return ValidationError{"value_error", std::move(location), "Value error, " + reason,
                           std::move(input), context.take()};
}

}  // namespace

std::vector<ValidationError> definitionErrors(const std::vector<package::Problem>& problems,
                                              const json::Value& definition) {
    std::vector<ValidationError> errors;
    errors.reserve(problems.size());
    for (const package::Problem& problem : problems) {
        Location inputLocation = problem.location;
        if (problem.kind == package::ProblemKind::missingKey && !inputLocation.empty()) {
            inputLocation.pop_back();
        }
        const json::Value* found = valueAt(definition, inputLocation);
        json::Value input = found != nullptr ? *found : json::Value{};

        Location location = {std::string("body")};
        location.insert(location.end(), problem.location.begin(), problem.location.end());
        if (const char* type = pydanticType(problem.kind)) {
            errors.push_back(makeValidationError(type, std::move(location), std::move(input)));
        } else {
            errors.push_back(valueError(std::move(location), std::move(input), problem.message));
        }
    }
    return errors;
}

}  // namespace syn::fcgi
