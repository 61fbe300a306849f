#include "json_response.h"

#include "syn/json_writer.h"

namespace syn::fcgi {

Response jsonResponse(int status, std::string body) {
    Response response;
    response.status = status;
    response.body = std::move(body);
    return response;
}

Response detailResponse(int status, std::string_view detail) {
    json::Writer writer;
    writer.beginObject().key("detail").string(detail).endObject();
    return jsonResponse(status, writer.take());
}

Response validationErrorResponse(const std::vector<ValidationError>& errors) {
    json::Writer writer;
    writer.beginObject().key("detail").beginArray();
    for (const ValidationError& error : errors) {
        writer.beginObject().key("type").string(error.type).key("loc").beginArray();
        for (const LocationPart& part : error.location) {
            if (const std::string* name = std::get_if<std::string>(&part)) {
                writer.string(*name);
            } else {
                writer.number(static_cast<long long>(std::get<size_t>(part)));
            }
        }
        writer.endArray().key("msg").string(error.message).key("input").value(error.input);
        if (!error.context.empty()) {
            writer.key("ctx").raw(error.context);
        }
        writer.endObject();
    }
    writer.endArray().endObject();
    return jsonResponse(422, writer.take());
}

Response notFoundResponse() {
    return detailResponse(404, "Not Found");
}

Response methodNotAllowedResponse(std::string allow) {
    Response response = detailResponse(405, "Method Not Allowed");
    response.headers.emplace_back("Allow", std::move(allow));
    return response;
}

}  // namespace syn::fcgi
