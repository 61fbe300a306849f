// Many simultaneous executions through nginx and every pool worker: each
// answered id is stored exactly once, with its phase rows.
#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <fstream>
#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/api_checks.h"
#include "support/http_client.h"
#include "support/stack_control.h"
#include "support/test_database.h"

using syn::test::HttpClient;
using syn::test::HttpResponse;

class PoolConcurrencyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PoolConcurrencyTest);
    CPPUNIT_TEST(concurrentExecutionsAreStoredOnce);
    CPPUNIT_TEST(largeBodiesLeaveWorkersSmall);
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

    // Ten simultaneous bodies of exactly the default limit (1 MiB): the memory
    // they needed goes back to the system, so a worker's resident set stays
    // near its idle size (about 6 MiB) instead of keeping every thread's
    // buffers and malloc arenas at their peak.
    // NOTE: with the stack's default 2 workers x 4 threads, a build without
    // the fix measured about 16 MiB per worker, so this test also passes
    // without it. It guards the 30 MiB limit, not the mechanism.
    void largeBodiesLeaveWorkersSmall() {
        constexpr std::size_t kBodyBytes = 1048576;
        constexpr long kMaxWorkerRssKib = 30 * 1024;
        const std::string head = R"({"inputs": {"topic": ")";
        const std::string tail = R"("}})";
        const std::string body =
            head + std::string(kBodyBytes - head.size() - tail.size(), 'x') + tail;

        constexpr int kRequests = 10;
        std::vector<HttpResponse> responses(kRequests);
        std::latch start(kRequests);
        std::vector<std::thread> threads;
        for (int i = 0; i < kRequests; ++i) {
            threads.emplace_back([&, i] {
                start.arrive_and_wait();
                responses[i] = HttpClient().postJson("/workflows/it-basic/execute", body);
            });
        }
        for (std::thread& thread : threads) {
            thread.join();
        }
        for (const HttpResponse& response : responses) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);
        }

        std::this_thread::sleep_for(std::chrono::seconds(5));
        for (pid_t worker : syn::test::poolWorkerPids()) {
            long rss = residentKib(worker);
            CPPUNIT_ASSERT_MESSAGE("worker " + std::to_string(worker) + " keeps " +
                                       std::to_string(rss) + " KiB resident",
                                   rss > 0 && rss <= kMaxWorkerRssKib);
        }
    }

  private:
    // Returns VmRSS of `pid` in KiB, or -1 when /proc does not show it.
    static long residentKib(pid_t pid) {
        std::ifstream status("/proc/" + std::to_string(pid) + "/status");
        for (std::string line; std::getline(status, line);) {
            if (line.starts_with("VmRSS:")) {
                return std::stol(line.substr(6));
            }
        }
        return -1;
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(PoolConcurrencyTest, "pool_concurrency");
