#include "support/api_checks.h"

#include <map>
#include <stdexcept>

#include "support/stack_control.h"

namespace syn::test {

void installFixtureWorkflows() {
    for (const char* id : {"it-basic", "it-simple", "it-repos", "it-archived", "it-repo-template",
                           "it-repo-owner"}) {
        installFixtureWorkflow(id, id);
    }
}

std::string startExecution(const HttpClient& client, const std::string& workflowId,
                           const std::string& body, const Headers& headers) {
    HttpResponse response = client.postJson("/workflows/" + workflowId + "/execute", body, headers);
    if (response.status != 200) {
        throw std::runtime_error("POST /workflows/" + workflowId + "/execute returned " +
                                 std::to_string(response.status) + ": " + response.body);
    }
    return response.json()->getValue<std::string>("execution_id");
}

std::string checkDetail(const HttpResponse& response, int status, const std::string& detail) {
    std::string context = "response " + std::to_string(response.status) + " " +
                          response.body.substr(0, 500) + " instead of " + std::to_string(status) +
                          " with detail '" + detail + "'";
    if (response.status != status) {
        return context;
    }
    Poco::JSON::Object::Ptr object;
    try {
        object = response.json();
    } catch (const std::runtime_error& error) {
        return std::string(error.what()) + "; " + context;
    }
    if (object->size() != 1 || response.detail() != detail) {
        return context;
    }
    return "";
}

std::string validationMessage(const std::string& type) {
    static const std::map<std::string, std::string> messages = {
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
        {"greater_than_equal", "Input should be greater than or equal to 1"},
        {"less_than_equal", "Input should be less than or equal to 100"},
    };
    auto found = messages.find(type);
    return found == messages.end() ? "" : found->second;
}

std::string findValidationError(const HttpResponse& response, const std::string& type,
                                const std::string& locJson) {
    std::string context = " in response " + std::to_string(response.status) + " " + response.body;
    if (response.status != 422) {
        return "status is not 422" + context;
    }
    Poco::JSON::Object::Ptr object = response.json();
    Poco::JSON::Array::Ptr entries = object->getArray("detail");
    if (!entries) {
        return "detail is not a list" + context;
    }

    for (size_t i = 0; i < entries->size(); ++i) {
        Poco::JSON::Object::Ptr entry = entries->getObject(static_cast<unsigned>(i));
        if (!entry || entry->optValue<std::string>("type", "") != type) {
            continue;
        }
        if (toJson(entry->get("loc")) != locJson) {
            continue;
        }
        std::string message = entry->optValue<std::string>("msg", "");
        if (message != validationMessage(type)) {
            return "entry " + type + " at " + locJson + " has msg '" + message + "'" + context;
        }
        return "";
    }
    return "no entry of type " + type + " at " + locJson + context;
}

}  // namespace syn::test
