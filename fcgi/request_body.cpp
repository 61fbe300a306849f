#include "request_body.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "syn/json_writer.h"

namespace syn::fcgi {

bool isJsonContentType(std::string_view contentType) {
    std::string_view mediaType = contentType.substr(0, contentType.find(';'));
    std::string lower;
    for (char c : mediaType) {
        if (!std::isspace(static_cast<unsigned char>(c))) {
            lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    constexpr std::string_view kApplication = "application/";
    if (!std::string_view(lower).starts_with(kApplication)) {
        return false;
    }
    std::string_view subtype = std::string_view(lower).substr(kApplication.size());
    return subtype == "json" || (subtype.size() > 5 && subtype.ends_with("+json"));
}

bool readJsonBody(const Request& request, std::optional<json::Value>& body,
                  std::vector<ValidationError>& errors) {
    body.reset();
    if (!request.hasBody || request.body.empty()) {
        return true;
    }

    // A form post must never start an execution, so anything not declared
    // as JSON is validated as a plain string, which no model accepts.
    if (!isJsonContentType(request.contentType)) {
        errors.push_back(makeValidationError("model_attributes_type", {std::string("body")},
                                             stringValue(request.body)));
        return false;
    }

    json::Value value;
    json::ParseError error;
    if (!json::parse(request.body, value, error)) {
        json::Value emptyObject;
        emptyObject.kind = json::Value::Kind::Object;
        json::Writer writer;
        writer.beginObject().key("error").string(error.reason).endObject();
        errors.push_back(makeValidationError("json_invalid", {std::string("body"), error.offset},
                                             std::move(emptyObject), writer.take()));
        return false;
    }
    if (!value.isNull()) {
        body = std::move(value);
    }
    return true;
}

}  // namespace syn::fcgi
