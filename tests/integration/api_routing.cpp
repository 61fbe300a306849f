// Unknown paths, wrong methods and oversized bodies, through nginx.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "support/api_checks.h"
#include "support/http_client.h"
#include "support/test_database.h"

using syn::test::HttpClient;
using syn::test::HttpResponse;

class ApiRoutingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ApiRoutingTest);
    CPPUNIT_TEST(unknownPathsReturnNotFound);
    CPPUNIT_TEST(wrongMethodsReturnAllow);
    CPPUNIT_TEST(bodyJustOverLimitIsRejectedByPool);
    CPPUNIT_TEST(bodyFarOverLimitIsRejectedByNginx);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override { syn::test::installFixtureWorkflows(); }

    void unknownPathsReturnNotFound() {
        HttpClient client;
        for (const char* path : {"/", "/nothing", "/workflowsx", "/workflows/it-basic/unknown",
                                 "/executions/x/y/z", "/workflows/it-basic/execute/more"}) {
            HttpResponse response = client.get(path);
            SYN_ASSERT_DETAIL(response, 404, "Not Found");
        }
    }

    void wrongMethodsReturnAllow() {
        struct Case {
            const char* method;
            const char* path;
            const char* allowed;
        };
        const Case cases[] = {
            {"DELETE", "/workflows", "GET"},
            {"PUT", "/workflows", "POST"},
            {"GET", "/workflows/it-basic/execute", "POST"},
            {"DELETE", "/workflows/it-basic", "GET"},
            {"POST", "/workflows/executions/active", "GET"},
            {"POST", "/workflows/it-basic/executions/exec-000000000000", "GET"},
            {"POST", "/executions", "GET"},
            {"GET", "/executions/exec-000000000000/cancel", "POST"},
            {"PATCH", "/executions/exec-000000000000", "GET"},
        };
        HttpClient client;
        for (const Case& c : cases) {
            std::string label = std::string(c.method) + " " + c.path;
            HttpResponse response = client.send(c.method, c.path);
            SYN_ASSERT_DETAIL(response, 405, "Method Not Allowed");
            std::string allow = response.header("Allow");
            CPPUNIT_ASSERT_MESSAGE(label + ": Allow is '" + allow + "'",
                                   allow.find(c.allowed) != std::string::npos);
        }
    }

    // Between the pool's limit (1 MiB) and nginx's (1 MiB + 64 KiB).
    void bodyJustOverLimitIsRejectedByPool() { checkTooLarge(1048576 + 1); }

    void bodyFarOverLimitIsRejectedByNginx() { checkTooLarge(3 * 1048576); }

  private:
    void checkTooLarge(size_t size) {
        syn::test::TestDatabase database;
        auto before = database.snapshot();

        // A valid JSON object of the given size: a long task string.
        std::string body = "{\"task\": \"" + std::string(size - 12, 'a') + "\"}";
        CPPUNIT_ASSERT_EQUAL(size, body.size());
        HttpResponse response = HttpClient().postJson("/workflows/it-simple/execute", body);

        SYN_ASSERT_DETAIL(response, 413, "Request body exceeds 1048576 bytes");
        CPPUNIT_ASSERT_EQUAL(before.describe(), database.snapshot().describe());
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(ApiRoutingTest, "api_routing");
