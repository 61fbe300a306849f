// A minimal HTTP/1.1 client for the integration tests, aimed at SYN_URL.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace syn::test {

struct HttpResponse {
    int status = 0;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;

    // Returns the header `name` (any case), or "" when absent.
    std::string header(const std::string& name) const;
    // Parses the body as a JSON object; throws with the body when it is not one.
    Poco::JSON::Object::Ptr json() const;
    // Parses the body as a JSON array; throws with the body when it is not one.
    Poco::JSON::Array::Ptr jsonArray() const;
    // Returns the "detail" member when it is a string, else "".
    std::string detail() const;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
  public:
    // Aims at `baseUrl`, or at SYN_URL, read at the first request, when empty.
    explicit HttpClient(std::string baseUrl = "") : baseUrl_(std::move(baseUrl)) {}

    // Sends one request on a fresh connection. `path` goes on the request
    // line exactly as given, percent-encoding included. A body is sent with
    // Content-Length; Content-Type is only sent when given in `headers`.
    HttpResponse send(const std::string& method, const std::string& path,
                      const std::string& body = "", const Headers& headers = {}) const;

    HttpResponse get(const std::string& path) const { return send("GET", path); }
    // POSTs `body` as application/json.
    HttpResponse postJson(const std::string& path, const std::string& body,
                          const Headers& headers = {}) const;

  private:
    std::string baseUrl_;
};

// Serializes a JSON value to text.
std::string toJson(const Poco::Dynamic::Var& value);

}  // namespace syn::test
