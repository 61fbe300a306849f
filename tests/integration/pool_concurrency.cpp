// Many simultaneous executions through nginx and every pool worker: each
// answered id is stored exactly once, with its phase rows.
#include <cppunit/extensions/HelperMacros.h>

#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/api_checks.h"
#include "support/http_client.h"
#include "support/test_database.h"

using syn::test::HttpClient;
using syn::test::HttpResponse;

class PoolConcurrencyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PoolConcurrencyTest);
    CPPUNIT_TEST(concurrentExecutionsAreStoredOnce);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override { syn::test::installFixtureWorkflows(); }

    void concurrentExecutionsAreStoredOnce() {
        constexpr int kRequests = 500;
        std::vector<HttpResponse> responses(kRequests);
        std::vector<std::string> failures(kRequests);
        std::latch start(kRequests);
        std::vector<std::thread> threads;
        threads.reserve(kRequests);
        for (int i = 0; i < kRequests; ++i) {
            threads.emplace_back([&, i] {
                start.arrive_and_wait();
                try {
                    responses[i] = HttpClient().postJson(
                        "/workflows/it-basic/execute",
                        R"({"inputs": {"topic": "load )" + std::to_string(i) + R"("}})");
                } catch (const std::exception& error) {
                    failures[i] = error.what();
                }
            });
        }
        for (std::thread& thread : threads) {
            thread.join();
        }

        std::set<std::string> ids;
        for (int i = 0; i < kRequests; ++i) {
            CPPUNIT_ASSERT_MESSAGE("request " + std::to_string(i) + ": " + failures[i],
                                   failures[i].empty());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(responses[i].body, 200, responses[i].status);
            ids.insert(responses[i].json()->getValue<std::string>("execution_id"));
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(kRequests), ids.size());

        std::vector<std::string> idList(ids.begin(), ids.end());
        std::string array = syn::pg::arrayLiteral(idList);
        syn::test::TestDatabase database;
        CPPUNIT_ASSERT_EQUAL(
            static_cast<long long>(kRequests),
            database.scalar("select count(*) from syn.executions where id = any($1::text[])",
                            {array}));
        CPPUNIT_ASSERT_EQUAL(2LL * kRequests,
                             database.scalar("select count(*) from syn.execution_phases "
                                             "where execution_id = any($1::text[])",
                                             {array}));
        // Each request stored its own inputs, so no response names another's row.
        CPPUNIT_ASSERT_EQUAL(
            static_cast<long long>(kRequests),
            database.scalar("select count(distinct inputs->>'topic') from syn.executions "
                            "where id = any($1::text[])",
                            {array}));
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(PoolConcurrencyTest, "pool_concurrency");
