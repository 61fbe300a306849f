#include "syn/execute_request.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string_view>
#include <unordered_map>

#include "syn/repository.h"

namespace syn {
namespace {

Location bodyLocation(std::string_view field) {
    return {std::string("body"), std::string(field)};
}

void validateInputs(json::Value& value, ExecuteRequest& request,
                    std::vector<ValidationError>& errors) {
    if (!value.isObject()) {
        errors.push_back(
            makeValidationError("dict_type", bodyLocation("inputs"), std::move(value)));
        return;
    }
    request.inputs.reserve(value.members.size());
    for (json::Member& member : value.members) {
        if (!member.value.isString()) {
            Location location = bodyLocation("inputs");
            location.emplace_back(member.key);
            errors.push_back(
                makeValidationError("string_type", std::move(location), std::move(member.value)));
            continue;
        }
        request.inputs.emplace_back(std::move(member.key), std::move(member.value.text));
    }
}

void validateTask(json::Value& value, ExecuteRequest& request,
                  std::vector<ValidationError>& errors) {
    if (value.isNull()) {
        return;
    }
    if (!value.isString()) {
        errors.push_back(
            makeValidationError("string_type", bodyLocation("task"), std::move(value)));
        return;
    }
    request.task = std::move(value.text);
}

void validateRepos(json::Value& value, ExecuteRequest& request,
                   std::vector<ValidationError>& errors) {
    if (!value.isArray()) {
        errors.push_back(makeValidationError("list_type", bodyLocation("repos"), std::move(value)));
        return;
    }
    for (size_t i = 0; i < value.items.size(); ++i) {
        json::Value& item = value.items[i];
        if (!item.isString()) {
            Location location = bodyLocation("repos");
            location.emplace_back(i);
            errors.push_back(
                makeValidationError("string_type", std::move(location), std::move(item)));
            continue;
        }
        request.repos.push_back(std::move(item.text));
    }
}

// pydantic's lax float mode accepts numeric strings such as " 1.5 ", "1e3" or
// "inf"; strtod accepts the same set plus hex forms, which are excluded.
bool isFloatString(std::string_view text) {
    std::string trimmed(text);
    trimmed.erase(0, trimmed.find_first_not_of(" \t\n\r"));
    trimmed.erase(trimmed.find_last_not_of(" \t\n\r") + 1);
    if (trimmed.empty() || trimmed.find_first_of("xX") != std::string::npos) {
        return false;
    }
    char* end = nullptr;
    std::strtod(trimmed.c_str(), &end);
    return end == trimmed.c_str() + trimmed.size();
}

// `provider` and `max_budget_usd` are deprecated: type-checked, then dropped.
void validateDeprecated(std::string_view field, json::Value& value,
                        std::vector<ValidationError>& errors) {
    if (field == "provider") {
        if (!value.isString()) {
            errors.push_back(
                makeValidationError("string_type", bodyLocation(field), std::move(value)));
        }
        return;
    }
    using Kind = json::Value::Kind;
    if (value.kind == Kind::Null || value.kind == Kind::Number || value.kind == Kind::Boolean) {
        return;
    }
    if (value.kind == Kind::String) {
        if (!isFloatString(value.text)) {
            errors.push_back(
                makeValidationError("float_parsing", bodyLocation(field), std::move(value)));
        }
        return;
    }
    errors.push_back(makeValidationError("float_type", bodyLocation(field), std::move(value)));
}

constexpr std::string_view kFields[] = {"inputs", "task", "repos", "provider", "max_budget_usd"};

}  // namespace

ExecuteRequest validateExecuteRequest(json::Value body, std::vector<ValidationError>& errors) {
    ExecuteRequest request;
    if (!body.isObject()) {
        errors.push_back(
            makeValidationError("model_attributes_type", {std::string("body")}, std::move(body)));
        return request;
    }

    // Declared fields are checked in declaration order, as pydantic does.
    for (std::string_view field : kFields) {
        auto member = std::find_if(body.members.begin(), body.members.end(),
                                   [&](const json::Member& m) { return m.key == field; });
        if (member == body.members.end()) {
            continue;
        }
        if (field == "inputs") {
            validateInputs(member->value, request, errors);
        } else if (field == "task") {
            validateTask(member->value, request, errors);
        } else if (field == "repos") {
            validateRepos(member->value, request, errors);
        } else {
            validateDeprecated(field, member->value, errors);
        }
    }

    for (json::Member& member : body.members) {
        if (std::find(std::begin(kFields), std::end(kFields), member.key) == std::end(kFields)) {
            errors.push_back(makeValidationError("extra_forbidden", bodyLocation(member.key),
                                                 std::move(member.value)));
        }
    }
    return request;
}

std::optional<std::string> findReservedInputKeys(const ExecuteRequest& request) {
    std::vector<std::string> reserved;
    for (const auto& [key, value] : request.inputs) {
        if (key == "repos" || key == "repository") {
            reserved.push_back(key);
        }
    }
    if (reserved.empty()) {
        return std::nullopt;
    }

    std::sort(reserved.begin(), reserved.end());
    std::string quoted;
    for (const std::string& key : reserved) {
        if (!quoted.empty()) {
            quoted += ", ";
        }
        quoted += "'" + key + "'";
    }
    return quoted + " is not a valid input key. Pass repositories in the typed 'repos' array.";
}

std::optional<std::string> normalizeRepos(const ExecuteRequest& request,
                                          std::vector<std::string>& slugs) {
    slugs.clear();
    slugs.reserve(request.repos.size());
    for (const std::string& entry : request.repos) {
        std::optional<Repository> repository = parseRepository(entry);
        if (!repository) {
            return "Invalid repository entry '" + entry +
                   "': Expected 'owner/repo' or 'https://github.com/owner/repo'.";
        }
        slugs.push_back(repository->slug());
    }
    return std::nullopt;
}

std::optional<std::string> mergeInputs(const std::vector<InputDeclaration>& declarations,
                                       ExecuteRequest& request,
                                       std::vector<std::pair<std::string, std::string>>& merged) {
    merged.clear();
    merged.reserve(declarations.size() + request.inputs.size() + 1);
    std::unordered_map<std::string, size_t> index;
    index.reserve(merged.capacity());
    auto set = [&](std::string key, std::string value) {
        auto [entry, inserted] = index.emplace(key, merged.size());
        if (inserted) {
            merged.emplace_back(std::move(key), std::move(value));
        } else {
            merged[entry->second].second = std::move(value);
        }
    };

    for (const InputDeclaration& declaration : declarations) {
        if (declaration.defaultValue) {
            set(declaration.name, *declaration.defaultValue);
        }
    }
    for (auto& [key, value] : request.inputs) {
        set(std::move(key), std::move(value));
    }
    request.inputs.clear();
    if (request.task) {
        set("task", *request.task);
    }

    std::vector<std::string> missing;
    for (const InputDeclaration& declaration : declarations) {
        if (declaration.required && !index.contains(declaration.name)) {
            missing.push_back(declaration.name);
        }
    }
    if (missing.empty()) {
        return std::nullopt;
    }
    std::sort(missing.begin(), missing.end());
    std::string detail = "Missing required inputs: ";
    for (size_t i = 0; i < missing.size(); ++i) {
        detail += (i > 0 ? ", " : "") + missing[i];
    }
    return detail + ".";
}

}  // namespace syn
