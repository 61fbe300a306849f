// The pool survives a killed worker and a database outage without a restart.
#include <cppunit/extensions/HelperMacros.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/api_checks.h"
#include "support/http_client.h"
#include "support/stack_control.h"
#include "support/test_database.h"

using syn::test::HttpClient;
using syn::test::HttpResponse;

class PoolRecoveryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PoolRecoveryTest);
    CPPUNIT_TEST(killedWorkerIsReplaced);
    CPPUNIT_TEST(databaseOutageAnswers503);
    CPPUNIT_TEST(restartedDatabaseTakesWritesAtOnce);
    CPPUNIT_TEST(lockedTableTimesOutWith503);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override { syn::test::installFixtureWorkflows(); }

    // Whatever an assertion interrupted, the database must be up for the next suite.
    void tearDown() override { syn::test::startDatabase(); }

    void killedWorkerIsReplaced() {
        pid_t master = syn::test::poolMasterPid();
        std::vector<pid_t> workers = syn::test::poolWorkerPids();
        CPPUNIT_ASSERT_MESSAGE("the pool needs at least two workers", workers.size() >= 2);

        // Load while the worker dies. Requests it was serving may fail.
        std::atomic<bool> stop{false};
        std::vector<std::thread> load;
        for (int i = 0; i < 8; ++i) {
            load.emplace_back([&stop] {
                HttpClient client;
                while (!stop) {
                    try {
                        client.postJson("/workflows/it-simple/execute", "{}");
                    } catch (const std::exception&) {
                    }
                }
            });
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        CPPUNIT_ASSERT_EQUAL(0, ::kill(workers.front(), SIGKILL));

        std::vector<pid_t> replaced = waitForWorkers(workers.size(), workers.front());
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        stop = true;
        for (std::thread& thread : load) {
            thread.join();
        }

        CPPUNIT_ASSERT_EQUAL(master, syn::test::poolMasterPid());
        CPPUNIT_ASSERT_EQUAL_MESSAGE("live workers after the kill", workers.size(),
                                     replaced.size());
        HttpClient client;
        for (int i = 0; i < 50; ++i) {
            HttpResponse response = client.postJson("/workflows/it-simple/execute", "{}");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);
        }
    }

    void databaseOutageAnswers503() {
        pid_t master = syn::test::poolMasterPid();
        std::vector<pid_t> workers = syn::test::poolWorkerPids();
        HttpClient client;
        CPPUNIT_ASSERT_EQUAL(200, client.get("/workflows").status);

        syn::test::stopDatabase();
        // Enough requests that every thread of every worker meets the outage.
        for (int i = 0; i < 20; ++i) {
            SYN_ASSERT_DETAIL(client.get("/workflows"), 503, "Database unavailable");
            SYN_ASSERT_DETAIL(client.postJson("/workflows/it-simple/execute", "{}"), 503,
                              "Database unavailable");
            SYN_ASSERT_DETAIL(client.get("/workflows/it-simple/executions/exec-000000000000"), 503,
                              "Database unavailable");
        }
        syn::test::startDatabase();

        // A connection broken by the outage may fail the first request on it,
        // so give the pool a few seconds to reconnect.
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
        HttpResponse response;
        do {
            response = client.postJson("/workflows/it-simple/execute", "{}");
            if (response.status == 200) {
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        } while (std::chrono::steady_clock::now() < deadline);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);

        std::string id = response.json()->getValue<std::string>("execution_id");
        syn::test::TestDatabase database;
        CPPUNIT_ASSERT_EQUAL(
            1LL, database.scalar("select count(*) from syn.executions where id = $1", {id}));
        for (int i = 0; i < 20; ++i) {
            CPPUNIT_ASSERT_EQUAL(200, client.get("/workflows").status);
        }
        CPPUNIT_ASSERT_EQUAL(master, syn::test::poolMasterPid());
        CPPUNIT_ASSERT(workers == syn::test::poolWorkerPids());
    }

    // A restart while the pool is idle closes every pool connection. Once the
    // database is back, no write fails on one of those closed connections.
    void restartedDatabaseTakesWritesAtOnce() {
        constexpr int kClients = 16;
        constexpr int kRounds = 3;
        // Every thread of every worker opens its connection first.
        std::vector<int> warmUp = concurrentStatuses(
            kClients, kRounds, [] { return HttpClient().get("/workflows/it-simple").status; });
        for (int status : warmUp) {
            CPPUNIT_ASSERT_EQUAL(200, status);
        }

        syn::test::stopDatabase();
        syn::test::startDatabase();
        syn::test::TestDatabase ready;  // db-start waits, so this connects at once

        std::vector<int> writes = concurrentStatuses(kClients, kRounds, [] {
            return HttpClient().postJson("/workflows/it-simple/execute", "{}").status;
        });
        for (int status : writes) {
            CPPUNIT_ASSERT_EQUAL(200, status);
        }
    }

    // With syn.executions locked, every request that reads it is cancelled by
    // fcgi.statement_timeout_ms (default 5 s) instead of holding its thread,
    // so requests that do not touch the table are still answered.
    void lockedTableTimesOutWith503() {
        syn::test::TestDatabase locker;
        locker.query("begin");
        locker.query("lock table syn.executions in access exclusive mode");

        // More requests than the pool has threads (2 workers x 4 by default).
        constexpr int kBlocked = 12;
        std::vector<HttpResponse> blocked(kBlocked);
        std::vector<std::thread> threads;
        auto started = std::chrono::steady_clock::now();
        for (int i = 0; i < kBlocked; ++i) {
            threads.emplace_back([&blocked, i] { blocked[i] = HttpClient().get("/executions"); });
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        HttpResponse workflows = HttpClient().get("/workflows");
        auto workflowsTook = std::chrono::steady_clock::now() - started;
        for (std::thread& thread : threads) {
            thread.join();
        }
        auto blockedTook = std::chrono::steady_clock::now() - started;
        locker.query("rollback");

        // The kernel may hand all 13 connections to one worker's 4 threads, so
        // the requests can need 4 rounds of the 5 s statement timeout. Without
        // the timeout they would wait for the lock until nginx gives up at 60 s.
        CPPUNIT_ASSERT_EQUAL_MESSAGE(workflows.body, 200, workflows.status);
        CPPUNIT_ASSERT_MESSAGE("GET /workflows waited behind the lock for more than 25 s",
                               workflowsTook < std::chrono::seconds(25));
        for (const HttpResponse& response : blocked) {
            SYN_ASSERT_DETAIL(response, 503, "Database unavailable");
        }
        CPPUNIT_ASSERT_MESSAGE("locked requests took more than 25 s",
                               blockedTook < std::chrono::seconds(25));
        // The cancelled statements left their connections usable.
        HttpClient client;
        for (int i = 0; i < 16; ++i) {
            HttpResponse response = client.get("/executions");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);
        }
    }

  private:
    // Runs `request` `rounds` times in each of `clients` threads at once and
    // returns every HTTP status, or 0 for a request that threw.
    template <typename Request>
    static std::vector<int> concurrentStatuses(int clients, int rounds, Request request) {
        std::vector<int> statuses(static_cast<size_t>(clients * rounds), 0);
        std::vector<std::thread> threads;
        for (int client = 0; client < clients; ++client) {
            threads.emplace_back([&, client] {
                for (int round = 0; round < rounds; ++round) {
                    try {
                        statuses[static_cast<size_t>(client * rounds + round)] = request();
                    } catch (const std::exception&) {
                    }
                }
            });
        }
        for (std::thread& thread : threads) {
            thread.join();
        }
        return statuses;
    }

    // Waits up to 10 s until the master has `count` workers again, none of
    // them `killed`; returns the workers it found last.
    static std::vector<pid_t> waitForWorkers(size_t count, pid_t killed) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        std::vector<pid_t> workers;
        while (std::chrono::steady_clock::now() < deadline) {
            workers = syn::test::poolWorkerPids();
            bool killedGone = std::find(workers.begin(), workers.end(), killed) == workers.end();
            if (killedGone && workers.size() == count) {
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return workers;
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(PoolRecoveryTest, "pool_recovery");
