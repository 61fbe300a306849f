// Unit tests for the FastCGI request parsing and response formatting helpers.
#include "request_io.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

using namespace syn::fcgi;

class RequestIoTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RequestIoTest);
    CPPUNIT_TEST(pathStripsQuery);
    CPPUNIT_TEST(pathKeepsPercentEncoding);
    CPPUNIT_TEST(pathWithoutQuery);
    CPPUNIT_TEST(contentLengthParsed);
    CPPUNIT_TEST(contentLengthAbsentOrInvalid);
    CPPUNIT_TEST(paramsFillRequest);
    CPPUNIT_TEST(paramsMissingClearFields);
    CPPUNIT_TEST(headHasStatusAndJson);
    CPPUNIT_TEST(headKeepsHandlerContentType);
    CPPUNIT_TEST(headListsExtraHeaders);
    CPPUNIT_TEST(headStripsLineBreaks);
    CPPUNIT_TEST(headOmitsLengthFor204);
    CPPUNIT_TEST(reasonPhrases);
    CPPUNIT_TEST_SUITE_END();

  public:
    void pathStripsQuery() {
        CPPUNIT_ASSERT_EQUAL(std::string("/workflows"),
                             std::string(pathOfUri("/workflows?page=2&page_size=5")));
    }

    void pathKeepsPercentEncoding() {
        CPPUNIT_ASSERT_EQUAL(std::string("/workflows/a%2Fb/execute"),
                             std::string(pathOfUri("/workflows/a%2Fb/execute?x=%3F")));
    }

    void pathWithoutQuery() {
        CPPUNIT_ASSERT_EQUAL(std::string("/executions"), std::string(pathOfUri("/executions")));
        CPPUNIT_ASSERT_EQUAL(std::string(""), std::string(pathOfUri("")));
    }

    void contentLengthParsed() {
        CPPUNIT_ASSERT(parseContentLength("0") == std::optional<std::size_t>(0));
        CPPUNIT_ASSERT(parseContentLength("1048577") == std::optional<std::size_t>(1048577));
    }

    void contentLengthAbsentOrInvalid() {
        CPPUNIT_ASSERT(!parseContentLength(nullptr));
        CPPUNIT_ASSERT(!parseContentLength(""));
        CPPUNIT_ASSERT(!parseContentLength("12abc"));
        CPPUNIT_ASSERT(!parseContentLength("-1"));
        CPPUNIT_ASSERT(!parseContentLength("99999999999999999999999"));
    }

    void paramsFillRequest() {
        char method[] = "REQUEST_METHOD=POST";
        char uri[] = "REQUEST_URI=/workflows/w%20x/execute?dry=1";
        char query[] = "QUERY_STRING=dry=1";
        char type[] = "CONTENT_TYPE=application/json; charset=utf-8";
        char key[] = "HTTP_IDEMPOTENCY_KEY=abc-123";
        char* envp[] = {method, uri, query, type, key, nullptr};
        Request request;
        readParams(envp, request);
        CPPUNIT_ASSERT_EQUAL(std::string("POST"), request.method);
        CPPUNIT_ASSERT_EQUAL(std::string("/workflows/w%20x/execute"), request.target);
        CPPUNIT_ASSERT_EQUAL(std::string("dry=1"), request.query);
        CPPUNIT_ASSERT_EQUAL(std::string("application/json; charset=utf-8"), request.contentType);
        CPPUNIT_ASSERT(request.idempotencyKey == std::optional<std::string>("abc-123"));
    }

    void paramsMissingClearFields() {
        Request request;
        request.query = "old=1";
        request.contentType = "text/plain";
        request.idempotencyKey = "old";
        char method[] = "REQUEST_METHOD=GET";
        char* envp[] = {method, nullptr};
        readParams(envp, request);
        CPPUNIT_ASSERT_EQUAL(std::string(""), request.target);
        CPPUNIT_ASSERT_EQUAL(std::string(""), request.query);
        CPPUNIT_ASSERT_EQUAL(std::string(""), request.contentType);
        CPPUNIT_ASSERT(!request.idempotencyKey);
    }

    void headHasStatusAndJson() {
        Response response;
        response.status = 404;
        response.body = R"({"detail": "Not Found"})";
        std::string head;
        formatResponseHead(response, head);
        CPPUNIT_ASSERT_EQUAL(std::string("Status: 404 Not Found\r\n"
                                         "Content-Type: application/json\r\n"
                                         "Content-Length: 23\r\n"
                                         "\r\n"),
                             head);
    }

    void headKeepsHandlerContentType() {
        Response response;
        response.headers = {{"content-type", "text/plain"}};
        std::string head;
        formatResponseHead(response, head);
        CPPUNIT_ASSERT(head.find("application/json") == std::string::npos);
        CPPUNIT_ASSERT(head.find("content-type: text/plain\r\n") != std::string::npos);
    }

    void headListsExtraHeaders() {
        Response response;
        response.status = 405;
        response.headers = {{"Allow", "GET, POST"}};
        std::string head;
        formatResponseHead(response, head);
        CPPUNIT_ASSERT(head.starts_with("Status: 405 Method Not Allowed\r\n"));
        CPPUNIT_ASSERT(head.ends_with("Allow: GET, POST\r\n\r\n"));
    }

    void headStripsLineBreaks() {
        Response response;
        response.headers = {{"Location", "/executions/x\r\nSet-Cookie: a=b"}};
        std::string head;
        formatResponseHead(response, head);
        CPPUNIT_ASSERT(head.find("Location: /executions/x  Set-Cookie: a=b\r\n") !=
                       std::string::npos);
    }

    void headOmitsLengthFor204() {
        Response response;
        response.status = 204;
        std::string head;
        formatResponseHead(response, head);
        CPPUNIT_ASSERT(head.find("Content-Length") == std::string::npos);
    }

    void reasonPhrases() {
        CPPUNIT_ASSERT_EQUAL(std::string("Unprocessable Content"), std::string(reasonPhrase(422)));
        CPPUNIT_ASSERT_EQUAL(std::string("Service Unavailable"), std::string(reasonPhrase(503)));
        CPPUNIT_ASSERT_EQUAL(std::string("Unknown"), std::string(reasonPhrase(299)));
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(RequestIoTest, "request_io");
