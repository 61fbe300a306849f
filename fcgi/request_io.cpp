#include "request_io.h"

#include <strings.h>

#include <charconv>
#include <cstring>

namespace syn::fcgi {

namespace {

// A body larger than this after the limit was exceeded is not drained: the
// connection is closed instead and the web server reports the upstream error.
constexpr std::size_t kMaxDrainBytes = 64 * 1024 * 1024;

constexpr std::size_t kChunkBytes = 16 * 1024;

void drain(FCGX_Stream* in) {
    char chunk[kChunkBytes];
    std::size_t drained = 0;
    while (drained < kMaxDrainBytes) {
        int read = FCGX_GetStr(chunk, sizeof(chunk), in);
        if (read <= 0) {
            return;
        }
        drained += static_cast<std::size_t>(read);
    }
}

void assignParam(char** envp, const char* name, std::string& field) {
    const char* value = FCGX_GetParam(name, envp);
    if (value == nullptr) {
        field.clear();
    } else {
        field.assign(value);
    }
}

// Header values come from handlers, some of which echo ids from the request;
// a CR or LF would start a new header, so both become spaces.
void appendHeaderText(std::string& head, const std::string& text) {
    std::size_t start = head.size();
    head += text;
    for (std::size_t i = start; i < head.size(); ++i) {
        if (head[i] == '\r' || head[i] == '\n') {
            head[i] = ' ';
        }
    }
}

bool bodyAllowed(int status) {
    return status >= 200 && status != 204 && status != 304;
}

}  // namespace

std::string_view pathOfUri(std::string_view uri) {
    return uri.substr(0, uri.find('?'));
}

std::optional<std::size_t> parseContentLength(const char* text) {
    if (text == nullptr || *text == '\0') {
        return std::nullopt;
    }
    std::size_t length = 0;
    const char* end = text + std::strlen(text);
    auto [stop, error] = std::from_chars(text, end, length);
    if (error != std::errc() || stop != end) {
        return std::nullopt;
    }
    return length;
}

void readParams(char** envp, Request& request) {
    assignParam(envp, "REQUEST_METHOD", request.method);
    const char* uri = FCGX_GetParam("REQUEST_URI", envp);
    request.target.assign(pathOfUri(uri == nullptr ? "" : uri));
    assignParam(envp, "QUERY_STRING", request.query);
    assignParam(envp, "CONTENT_TYPE", request.contentType);

    const char* key = FCGX_GetParam("HTTP_IDEMPOTENCY_KEY", envp);
    if (key == nullptr) {
        request.idempotencyKey.reset();
    } else if (request.idempotencyKey) {
        request.idempotencyKey->assign(key);
    } else {
        request.idempotencyKey.emplace(key);
    }
}

BodyOutcome readBody(FCGX_Stream* in, std::optional<std::size_t> contentLength,
                     std::size_t maxBytes, Request& request) {
    request.body.clear();
    request.hasBody = false;
    if (contentLength && *contentLength > maxBytes) {
        drain(in);
        return BodyOutcome::TooLarge;
    }
    if (contentLength) {
        request.body.reserve(*contentLength);
    }

    char chunk[kChunkBytes];
    for (;;) {
        int read = FCGX_GetStr(chunk, sizeof(chunk), in);
        if (read <= 0) {
            break;
        }
        if (request.body.size() + static_cast<std::size_t>(read) > maxBytes) {
            request.body.clear();
            drain(in);
            return BodyOutcome::TooLarge;
        }
        request.body.append(chunk, static_cast<std::size_t>(read));
    }
    request.hasBody = !request.body.empty();
    return BodyOutcome::Complete;
}

const char* reasonPhrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 202:
            return "Accepted";
        case 204:
            return "No Content";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 303:
            return "See Other";
        case 304:
            return "Not Modified";
        case 307:
            return "Temporary Redirect";
        case 308:
            return "Permanent Redirect";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 406:
            return "Not Acceptable";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 410:
            return "Gone";
        case 411:
            return "Length Required";
        case 412:
            return "Precondition Failed";
        case 413:
            return "Content Too Large";
        case 415:
            return "Unsupported Media Type";
        case 422:
            return "Unprocessable Content";
        case 428:
            return "Precondition Required";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        default:
            return "Unknown";
    }
}

void formatResponseHead(const Response& response, std::string& head) {
    head.assign("Status: ");
    head += std::to_string(response.status);
    head += ' ';
    head += reasonPhrase(response.status);
    head += "\r\n";

    bool hasContentType = false;
    for (const auto& [name, value] : response.headers) {
        hasContentType = hasContentType || ::strcasecmp(name.c_str(), "Content-Type") == 0;
    }
    if (!hasContentType) {
        head += "Content-Type: application/json\r\n";
    }
    if (bodyAllowed(response.status)) {
        head += "Content-Length: ";
        head += std::to_string(response.body.size());
        head += "\r\n";
    }
    for (const auto& [name, value] : response.headers) {
        appendHeaderText(head, name);
        head += ": ";
        appendHeaderText(head, value);
        head += "\r\n";
    }
    head += "\r\n";
}

void writeResponse(FCGX_Stream* out, const Response& response, std::string& head) {
    formatResponseHead(response, head);
    FCGX_PutStr(head.data(), static_cast<int>(head.size()), out);
    if (bodyAllowed(response.status) && !response.body.empty()) {
        FCGX_PutStr(response.body.data(), static_cast<int>(response.body.size()), out);
    }
}

}  // namespace syn::fcgi
