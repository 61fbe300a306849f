#include "router.h"

#include <cppunit/extensions/HelperMacros.h>

#include "json_response.h"
#include "path.h"
#include "query_parameters.h"
#include "statement_error.h"
#include "syn/json_writer.h"

namespace {

// Requests in this suite are all decided before any database access; the
// unreachable socket makes a stray access fail loudly.
syn::fcgi::Response route(const std::string& method, const std::string& target,
                          const std::string& query = "", const std::string& body = "") {
    syn::fcgi::Database database("host=/nonexistent/syn-router-test dbname=none");
    syn::fcgi::Request request;
    request.method = method;
    request.target = target;
    request.query = query;
    request.contentType = "application/json";
    request.hasBody = !body.empty();
    request.body = body;
    return syn::fcgi::handleRequest(request, database);
}

std::string header(const syn::fcgi::Response& response, const std::string& name) {
    for (const auto& [key, value] : response.headers) {
        if (key == name) {
            return value;
        }
    }
    return "<absent>";
}

}  // namespace

class RouterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RouterTest);
    CPPUNIT_TEST(unknownPathIsNotFound);
    CPPUNIT_TEST(trailingSlashIsNotFound);
    CPPUNIT_TEST(malformedEscapeIsNotFound);
    CPPUNIT_TEST(invalidUtf8SegmentIsNotFound);
    CPPUNIT_TEST(invalidUtf8QueryIsStringUnicode);
    CPPUNIT_TEST(statementErrorsAreMapped);
    CPPUNIT_TEST(wrongMethodListsAllowed);
    CPPUNIT_TEST(activeIsNotAWorkflowId);
    CPPUNIT_TEST(encodedSlashStaysInSegment);
    CPPUNIT_TEST(limitQueryErrors);
    CPPUNIT_TEST(pageQueryErrorsAreCombined);
    CPPUNIT_TEST(statusFilterMustBeKnown);
    CPPUNIT_TEST(queryRepeatedNameLastWins);
    CPPUNIT_TEST(executeBodyErrorBeforeDatabase);
    CPPUNIT_TEST(idempotencyKeyErrors);
    CPPUNIT_TEST(controlBodyExtraKey);
    CPPUNIT_TEST(jsonEscapesControlCharacters);
    CPPUNIT_TEST(jsonKeepsUnicodeAndReplacesInvalidBytes);
    CPPUNIT_TEST_SUITE_END();

  public:
    void unknownPathIsNotFound() {
        syn::fcgi::Response response = route("GET", "/nothing");
        CPPUNIT_ASSERT_EQUAL(404, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"detail":"Not Found"})"), response.body);
        CPPUNIT_ASSERT_EQUAL(404, route("GET", "/workflows/a/b/c/d").status);
    }

    void trailingSlashIsNotFound() {
        CPPUNIT_ASSERT_EQUAL(404, route("GET", "/workflows/").status);
    }

    void malformedEscapeIsNotFound() {
        CPPUNIT_ASSERT_EQUAL(404, route("POST", "/workflows/a%zz/execute", "", "{}").status);
        CPPUNIT_ASSERT_EQUAL(404, route("GET", "/executions/exec-%4").status);
    }

    void invalidUtf8SegmentIsNotFound() {
        const std::string notFound = R"({"detail":"Not Found"})";
        // A lone byte, a truncated sequence, an overlong form and a surrogate.
        for (const char* target : {"/workflows/%FF", "/workflows/%C3", "/workflows/%C0%AF",
                                   "/executions/exec-%ED%A0%80"}) {
            syn::fcgi::Response response = route("GET", target);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(target, 404, response.status);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(target, notFound, response.body);
        }
        syn::fcgi::Response execute = route("POST", "/workflows/%FF/execute", "", "{}");
        CPPUNIT_ASSERT_EQUAL(404, execute.status);
        CPPUNIT_ASSERT_EQUAL(notFound, execute.body);

        auto segments = syn::fcgi::splitPath("/workflows/caf%C3%A9");
        CPPUNIT_ASSERT(segments.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("caf\xc3\xa9"), (*segments)[1]);
    }

    void invalidUtf8QueryIsStringUnicode() {
        syn::fcgi::Response response = route("GET", "/executions", "workflow_id=%FF");
        CPPUNIT_ASSERT_EQUAL(422, response.status);
        CPPUNIT_ASSERT_EQUAL(
            std::string(R"({"detail":[{"type":"string_unicode","loc":["query","workflow_id"],)"
                        R"("msg":"Input should be a valid string, unable to parse raw data as a )"
                        R"(unicode string","input":")"
                        "\xef\xbf\xbd"
                        R"("}]})"),
            response.body);

        response = route("GET", "/executions", "status=%C3&page=%FF");
        CPPUNIT_ASSERT_EQUAL(422, response.status);
        CPPUNIT_ASSERT(response.body.find(R"("type":"string_unicode","loc":["query","status"])") !=
                       std::string::npos);
        CPPUNIT_ASSERT(response.body.find(R"("type":"string_unicode","loc":["query","page"])") !=
                       std::string::npos);
        CPPUNIT_ASSERT_EQUAL(422, route("GET", "/workflows/executions/active", "limit=%FE").status);
    }

    void statementErrorsAreMapped() {
        syn::fcgi::Request request;
        request.method = "GET";
        request.target = "/workflows";

        syn::pg::Error cancelled("canceling statement due to statement timeout", "57014");
        syn::fcgi::Response response = syn::fcgi::statementErrorResponse(request, cancelled);
        CPPUNIT_ASSERT_EQUAL(503, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"detail":"Database unavailable"})"), response.body);

        syn::pg::Error invalidText("invalid byte sequence for encoding \"UTF8\": 0xff", "22021");
        response = syn::fcgi::statementErrorResponse(request, invalidText);
        CPPUNIT_ASSERT_EQUAL(422, response.status);
        CPPUNIT_ASSERT(response.body.find("UTF8") == std::string::npos);
        syn::pg::Error outOfRange("value out of range", "22003");
        CPPUNIT_ASSERT_EQUAL(422, syn::fcgi::statementErrorResponse(request, outOfRange).status);

        syn::pg::Error missingTable("relation \"syn.x\" does not exist", "42P01");
        response = syn::fcgi::statementErrorResponse(request, missingTable);
        CPPUNIT_ASSERT_EQUAL(500, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"detail":"Internal Server Error"})"), response.body);
    }

    void wrongMethodListsAllowed() {
        syn::fcgi::Response response = route("DELETE", "/workflows/w1/execute");
        CPPUNIT_ASSERT_EQUAL(405, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"detail":"Method Not Allowed"})"), response.body);
        CPPUNIT_ASSERT_EQUAL(std::string("POST"), header(response, "Allow"));
        CPPUNIT_ASSERT_EQUAL(std::string("GET, HEAD"),
                             header(route("POST", "/executions"), "Allow"));
    }

    void activeIsNotAWorkflowId() {
        syn::fcgi::Response response = route("GET", "/workflows/executions/active", "limit=0");
        CPPUNIT_ASSERT_EQUAL(422, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string("GET, HEAD"),
                             header(route("POST", "/workflows/executions/active"), "Allow"));
    }

    void encodedSlashStaysInSegment() {
        auto segments = syn::fcgi::splitPath("/workflows/a%2Fb/execute");
        CPPUNIT_ASSERT(segments.has_value());
        CPPUNIT_ASSERT_EQUAL(size_t(3), segments->size());
        CPPUNIT_ASSERT_EQUAL(std::string("a/b"), (*segments)[1]);
        CPPUNIT_ASSERT(!syn::fcgi::splitPath("workflows").has_value());
    }

    void limitQueryErrors() {
        CPPUNIT_ASSERT_EQUAL(
            std::string(R"({"detail":[{"type":"int_parsing","loc":["query","limit"],"msg":"Input )"
                        R"(should be a valid integer, unable to parse string as an integer",)"
                        R"("input":"ten"}]})"),
            route("GET", "/workflows/executions/active", "limit=ten").body);
        CPPUNIT_ASSERT_EQUAL(
            std::string(R"({"detail":[{"type":"greater_than_equal","loc":["query","limit"],)"
                        R"("msg":"Input should be greater than or equal to 1","input":"0",)"
                        R"("ctx":{"ge":1}}]})"),
            route("GET", "/workflows/executions/active", "limit=0").body);
        CPPUNIT_ASSERT_EQUAL(
            std::string(R"({"detail":[{"type":"less_than_equal","loc":["query","limit"],)"
                        R"("msg":"Input should be less than or equal to 100","input":"101",)"
                        R"("ctx":{"le":100}}]})"),
            route("GET", "/workflows/executions/active", "limit=101").body);
    }

    void pageQueryErrorsAreCombined() {
        syn::fcgi::Response response =
            route("GET", "/workflows", "page=0&page_size=x&include_archived=maybe");
        CPPUNIT_ASSERT_EQUAL(422, response.status);
        CPPUNIT_ASSERT(response.body.find("greater_than_equal") != std::string::npos);
        CPPUNIT_ASSERT(response.body.find("int_parsing") != std::string::npos);
        CPPUNIT_ASSERT(response.body.find("bool_parsing") != std::string::npos);
    }

    void statusFilterMustBeKnown() {
        syn::fcgi::Response response = route("GET", "/executions", "status=done");
        CPPUNIT_ASSERT_EQUAL(422, response.status);
        CPPUNIT_ASSERT(response.body.find(R"("type":"enum","loc":["query","status"])") !=
                       std::string::npos);
    }

    void queryRepeatedNameLastWins() {
        std::vector<syn::ValidationError> errors;
        syn::fcgi::QueryParameters query("limit=1&limit=5&name=a+b%21&bad=%zz");
        CPPUNIT_ASSERT_EQUAL(5LL, query.integer("limit", 20, 1, 100, errors));
        CPPUNIT_ASSERT_EQUAL(std::string("a b!"), *query.text("name", errors));
        CPPUNIT_ASSERT_EQUAL(std::string("%zz"), *query.text("bad", errors));
        CPPUNIT_ASSERT(errors.empty());
    }

    void executeBodyErrorBeforeDatabase() {
        syn::fcgi::Response response =
            route("POST", "/workflows/w1/execute", "", R"({"inputs": [], "x": 1})");
        CPPUNIT_ASSERT_EQUAL(422, response.status);
        CPPUNIT_ASSERT(response.body.find("dict_type") < response.body.find("extra_forbidden"));
        CPPUNIT_ASSERT_EQUAL(422, route("POST", "/workflows/w1/execute").status);
    }

    void idempotencyKeyErrors() {
        syn::fcgi::Database database("host=/nonexistent/syn-router-test dbname=none");
        syn::fcgi::Request request;
        request.method = "POST";
        request.target = "/workflows/w1/execute";
        request.contentType = "application/json";
        request.hasBody = true;
        request.body = "{\"x\":1}";
        request.idempotencyKey = std::string(256, 'k');
        syn::fcgi::Response response = syn::fcgi::handleRequest(request, database);
        CPPUNIT_ASSERT_EQUAL(422, response.status);
        CPPUNIT_ASSERT(response.body.starts_with(
            R"({"detail":[{"type":"string_too_long","loc":["header","idempotency-key"])"));
        CPPUNIT_ASSERT(response.body.find("extra_forbidden") != std::string::npos);

        request.idempotencyKey = "tab\there";
        response = syn::fcgi::handleRequest(request, database);
        CPPUNIT_ASSERT(response.body.find("string_pattern_mismatch") != std::string::npos);
        request.idempotencyKey = "";
        response = syn::fcgi::handleRequest(request, database);
        CPPUNIT_ASSERT(response.body.find("string_too_short") != std::string::npos);
    }

    void controlBodyExtraKey() {
        syn::fcgi::Response response =
            route("POST", "/executions/exec-0123456789ab/cancel", "", R"({"reason": 5, "x": 1})");
        CPPUNIT_ASSERT_EQUAL(422, response.status);
        CPPUNIT_ASSERT(response.body.find(R"("loc":["body","reason"])") != std::string::npos);
        CPPUNIT_ASSERT(response.body.find(R"("loc":["body","x"])") != std::string::npos);
    }

    void jsonEscapesControlCharacters() {
        std::string out;
        syn::json::appendQuoted(out, std::string("a\"b\\c\n\t\x01\x1f\x7f", 10));
        CPPUNIT_ASSERT_EQUAL(std::string("\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\x7f\""), out);
    }

    void jsonKeepsUnicodeAndReplacesInvalidBytes() {
        std::string out;
        syn::json::appendQuoted(out, "h\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80 \xff \xc3");
        CPPUNIT_ASSERT_EQUAL(
            std::string("\"h\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80 \xef\xbf\xbd \xef\xbf\xbd\""),
            out);
        syn::json::Writer writer;
        writer.beginObject().key("a").beginArray().number(1).null().endArray().key("b").boolean(
            false);
        writer.endObject();
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"a":[1,null],"b":false})"), writer.text());
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(RouterTest, "router");
