// Unit tests for dispatchRequest's error policy, with handlers that throw
// what a real handler throws when the database is down or a bug strikes.
#include "dispatch.h"

#include <Poco/Logger.h>
#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>
#include <string>

#include "syn/pg.h"

using namespace syn::fcgi;

namespace {

int calls = 0;

Response succeeds(const Request&, Database&) {
    ++calls;
    Response response;
    response.status = 201;
    response.body = R"({"ok": true})";
    return response;
}

Response unavailable(const Request&, Database&) {
    ++calls;
    throw DatabaseUnavailable("Connecting to PostgreSQL failed: no such socket");
}

Response unavailableOnce(const Request& request, Database& database) {
    if (calls == 0) {
        return unavailable(request, database);
    }
    return succeeds(request, database);
}

Response connectionLost(const Request&, Database&) {
    ++calls;
    throw syn::pg::Error("Statement failed: server closed the connection", "08006");
}

Response uniqueViolation(const Request&, Database&) {
    ++calls;
    throw syn::pg::Error("duplicate key value violates unique constraint \"x\"", "23505");
}

Response bug(const Request&, Database&) {
    ++calls;
    throw std::logic_error("secret internal detail");
}

Request requestFor(const std::string& method) {
    Request request;
    request.method = method;
    request.target = "/executions/exec-1";
    return request;
}

}  // namespace

class DispatchTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DispatchTest);
    CPPUNIT_TEST(handlerResponsePassedThrough);
    CPPUNIT_TEST(getRetriedOnce);
    CPPUNIT_TEST(getFailingTwiceGets503);
    CPPUNIT_TEST(postNotRetried);
    CPPUNIT_TEST(connectionErrorGets503);
    CPPUNIT_TEST(statementErrorGets500);
    CPPUNIT_TEST(otherExceptionGets500);
    CPPUNIT_TEST(bareAnswersOk);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override {
        calls = 0;
        // The failures below are logged at error level by design.
        Poco::Logger::get("syn.fcgi").setLevel(Poco::Message::PRIO_FATAL);
        Poco::Logger::setLevel("syn.fcgi", Poco::Message::PRIO_FATAL);
    }

    void handlerResponsePassedThrough() {
        Database database("");
        Response response = dispatchRequest(succeeds, requestFor("POST"), database);
        CPPUNIT_ASSERT_EQUAL(201, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"ok": true})"), response.body);
    }

    void getRetriedOnce() {
        Database database("");
        Response response = dispatchRequest(unavailableOnce, requestFor("GET"), database);
        CPPUNIT_ASSERT_EQUAL(201, response.status);
        CPPUNIT_ASSERT_EQUAL(2, calls);
    }

    void getFailingTwiceGets503() {
        Database database("");
        Response response = dispatchRequest(unavailable, requestFor("GET"), database);
        CPPUNIT_ASSERT_EQUAL(503, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"detail": "Database unavailable"})"), response.body);
        CPPUNIT_ASSERT_EQUAL(2, calls);
    }

    void postNotRetried() {
        Database database("");
        Response response = dispatchRequest(unavailable, requestFor("POST"), database);
        CPPUNIT_ASSERT_EQUAL(503, response.status);
        CPPUNIT_ASSERT_EQUAL(1, calls);
    }

    void connectionErrorGets503() {
        Database database("");
        Response response = dispatchRequest(connectionLost, requestFor("POST"), database);
        CPPUNIT_ASSERT_EQUAL(503, response.status);
    }

    void statementErrorGets500() {
        Database database("");
        Response response = dispatchRequest(uniqueViolation, requestFor("GET"), database);
        CPPUNIT_ASSERT_EQUAL(500, response.status);
        CPPUNIT_ASSERT_EQUAL(1, calls);
    }

    void otherExceptionGets500() {
        Database database("");
        Response response = dispatchRequest(bug, requestFor("GET"), database);
        CPPUNIT_ASSERT_EQUAL(500, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"detail": "Internal Server Error"})"), response.body);
    }

    void bareAnswersOk() {
        Database database("");
        Response response = answerOk(requestFor("GET"), database);
        CPPUNIT_ASSERT_EQUAL(200, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"status":"ok"})"), response.body);
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(DispatchTest, "dispatch");
