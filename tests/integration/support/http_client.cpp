#include "support/http_client.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <sstream>
#include <stdexcept>

#include "support/environment.h"

namespace syn::test {

std::string HttpResponse::header(const std::string& name) const {
    auto found = headers.find(Poco::toLower(name));
    return found == headers.end() ? "" : found->second;
}

static Poco::Dynamic::Var parseBody(const std::string& body) {
    try {
        return Poco::JSON::Parser().parse(body);
    } catch (const Poco::Exception& error) {
        throw std::runtime_error("response body is not JSON (" + error.displayText() +
                                 "): " + body.substr(0, 500));
    }
}

Poco::JSON::Array::Ptr HttpResponse::jsonArray() const {
    Poco::Dynamic::Var parsed = parseBody(body);
    if (parsed.type() != typeid(Poco::JSON::Array::Ptr)) {
        throw std::runtime_error("response body is not a JSON array: " + body.substr(0, 500));
    }
    return parsed.extract<Poco::JSON::Array::Ptr>();
}

Poco::JSON::Object::Ptr HttpResponse::json() const {
    Poco::Dynamic::Var parsed = parseBody(body);
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
        throw std::runtime_error("response body is not a JSON object: " + body.substr(0, 500));
    }
    return parsed.extract<Poco::JSON::Object::Ptr>();
}

std::string HttpResponse::detail() const {
    Poco::JSON::Object::Ptr object = json();
    if (!object->has("detail") || !object->get("detail").isString()) {
        return "";
    }
    return object->getValue<std::string>("detail");
}

HttpResponse HttpClient::send(const std::string& method, const std::string& path,
                              const std::string& body, const Headers& headers) const {
    Poco::URI base(baseUrl_.empty() ? stackUrl() : baseUrl_);
    Poco::Net::HTTPClientSession session(base.getHost(), base.getPort());
    session.setTimeout(Poco::Timespan(120, 0));

    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setKeepAlive(false);
    for (const auto& [name, value] : headers) {
        request.set(name, value);
    }
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
        request.setContentLength(static_cast<std::streamsize>(body.size()));
    }

    // nginx answers 413 before reading an oversized body and may close the
    // connection while it is still being sent; its answer is still readable.
    try {
        std::ostream& out = session.sendRequest(request);
        out.write(body.data(), static_cast<std::streamsize>(body.size()));
        out.flush();
    } catch (const Poco::Net::NetException&) {
    } catch (const Poco::IOException&) {
    }

    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    HttpResponse result;
    result.status = static_cast<int>(response.getStatus());
    for (const auto& [name, value] : response) {
        result.headers[Poco::toLower(name)] = value;
    }
    std::ostringstream text;
    Poco::StreamCopier::copyStream(in, text);
    result.body = text.str();
    return result;
}

HttpResponse HttpClient::postJson(const std::string& path, const std::string& body,
                                  const Headers& headers) const {
    Headers all = headers;
    all.emplace_back("Content-Type", "application/json");
    return send("POST", path, body, all);
}

std::string toJson(const Poco::Dynamic::Var& value) {
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(value, out);
    return out.str();
}

}  // namespace syn::test
