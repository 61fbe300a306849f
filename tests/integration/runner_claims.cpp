// Integration tests of how syn-runner claims work for its slots: one claim
// statement for every idle slot, each execution run by exactly one slot, and
// no more executions claimed than there are idle slots.
#include <cppunit/extensions/HelperMacros.h>

#include <map>

#include "runner_harness.h"

using namespace syn::test::runner;

namespace {

std::string executionId(int number) {
    char id[32];
    std::snprintf(id, sizeof id, "exec-%012x", 0x200000 + number);
    return id;
}

// Inserts `count` one-phase executions in one transaction, so that a runner
// finds them all in its first claim.
void queueExecutions(syn::pg::Connection& db, int count) {
    db.execute("begin");
    for (int i = 0; i < count; ++i) {
        insertExecution(db, executionId(i), {{"only", "Only"}});
    }
    db.execute("commit");
}

}  // namespace

class RunnerClaimsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RunnerClaimsTest);
    CPPUNIT_TEST(batchClaimRunsEachOnce);
    CPPUNIT_TEST(claimsNoMoreThanIdleSlots);
    CPPUNIT_TEST(sigtermReleasesEveryClaim);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override { recreateDatabase(); }

    void batchClaimRunsEachOnce() {
        syn::pg::Connection db(runnerDatabaseUrl());
        const std::string log = testRoot() + "/batch-claim.log";
        std::remove(log.c_str());
        RunnerProcess runner("batch", {fixtureAgent("log_append.sh"), log}, {"runner.slots=4"});
        // Slots claim only for idle slots with a database connection, so the
        // work arrives once the listener, the heartbeat and all four slots
        // are connected.
        waitForValue(db,
                     "select count(*) from pg_stat_activity where datname = current_database() "
                     "and backend_type = 'client backend' and pid <> pg_backend_pid()",
                     {}, "6", std::chrono::seconds(10));
        queueExecutions(db, 60);
        std::string completed =
            waitForValue(db, "select count(*) from syn.executions where status = 'completed'", {},
                         "60", std::chrono::seconds(60));
        CPPUNIT_ASSERT_EQUAL(std::string("60"), completed);

        std::map<std::string, int> runs;
        std::ifstream file(log);
        std::string execution, phase;
        while (file >> execution >> phase) {
            ++runs[execution];
        }
        CPPUNIT_ASSERT_EQUAL(size_t(60), runs.size());
        for (const auto& [id, count] : runs) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(id, 1, count);
        }
        CPPUNIT_ASSERT_EQUAL(std::string("60"),
                             queryText(db,
                                       "select count(*) from syn.execution_events "
                                       "where event = 'claimed'"));
        CPPUNIT_ASSERT_EQUAL(std::string("60"),
                             queryText(db,
                                       "select count(distinct execution_id) from "
                                       "syn.execution_events where event = 'claimed'"));
        // The first claim found four idle slots and took four executions in
        // one transaction, so their claimed events share one timestamp.
        CPPUNIT_ASSERT_EQUAL(std::string("4"),
                             queryText(db,
                                       "select max(claims) from (select count(*) as claims "
                                       "from syn.execution_events where event = 'claimed' "
                                       "group by occurred_at) as batches"));
    }

    void claimsNoMoreThanIdleSlots() {
        syn::pg::Connection db(runnerDatabaseUrl());
        queueExecutions(db, 5);

        RunnerProcess runner("idle-slots", {fixtureAgent("sleep.sh"), "30"}, {"runner.slots=2"});
        CPPUNIT_ASSERT_EQUAL(
            std::string("2"),
            waitForValue(db, "select count(*) from syn.execution_phases where status = 'running'",
                         {}, "2", std::chrono::seconds(10)));
        // Give a slot that wrongly claimed more a moment to show it.
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        CPPUNIT_ASSERT_EQUAL(
            std::string("2"),
            queryText(db, "select count(*) from syn.executions where status = 'running'"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("3"),
            queryText(db, "select count(*) from syn.executions where status = 'pending'"));
    }

    void sigtermReleasesEveryClaim() {
        syn::pg::Connection db(runnerDatabaseUrl());
        queueExecutions(db, 3);

        RunnerProcess runner("release-all", {fixtureAgent("sleep.sh"), "30"},
                             {"runner.slots=3", "runner.shutdown_grace_seconds=1"});
        CPPUNIT_ASSERT_EQUAL(
            std::string("3"),
            waitForValue(db, "select count(*) from syn.execution_phases where status = 'running'",
                         {}, "3", std::chrono::seconds(10)));

        runner.signal(SIGTERM);
        int status = runner.waitForExit(std::chrono::seconds(10));
        CPPUNIT_ASSERT(status != -1);
        CPPUNIT_ASSERT(WIFEXITED(status));
        CPPUNIT_ASSERT_EQUAL(0, WEXITSTATUS(status));
        CPPUNIT_ASSERT_EQUAL(
            std::string("3"),
            queryText(db, "select count(*) from syn.executions where status = 'pending'"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("0"),
            queryText(db, "select count(*) from syn.executions where lease_token is not null"));
        CPPUNIT_ASSERT_EQUAL(std::string("3"),
                             queryText(db,
                                       "select count(*) from syn.execution_events "
                                       "where event = 'released'"));
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(RunnerClaimsTest, "runner_claims");
