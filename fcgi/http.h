// The request and response as the handlers see them, independent of FastCGI.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace syn::fcgi {

struct Request {
    std::string method;       // REQUEST_METHOD, e.g. "GET"
    std::string target;       // REQUEST_URI path part, still percent-encoded
    std::string query;        // QUERY_STRING without the '?'
    std::string contentType;  // CONTENT_TYPE, empty when absent
    std::optional<std::string> idempotencyKey;  // Idempotency-Key header
    bool hasBody = false;     // true when the client sent a non-empty body
    std::string body;
};

struct Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;  // JSON text
};

}  // namespace syn::fcgi
