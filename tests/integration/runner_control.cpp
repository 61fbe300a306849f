// Integration tests of syn-runner reacting to cancel, pause, resume and
// SIGTERM. Control requests are written the way the API writes them: the
// request column, then NOTIFY syn_execution_control.
#include <cppunit/extensions/HelperMacros.h>

#include "runner_harness.h"

using namespace syn::test::runner;
using syn::test::sourceDir;

namespace {

std::string column(syn::pg::Connection& db, const std::string& sql, const std::string& id) {
    return queryText(db, sql, {id});
}

void requestControl(syn::pg::Connection& db, const std::string& id, const std::string& column) {
    db.execute("update syn.executions set " + column +
                   " = now(), control_reason = 'test request' where id = $1",
               {id});
    db.execute("select pg_notify('syn_execution_control', $1)", {id});
}

}  // namespace

class RunnerControlTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RunnerControlTest);
    CPPUNIT_TEST(cancelStopsRunningAgent);
    CPPUNIT_TEST(pauseThenResumeRunsEachPhaseOnce);
    CPPUNIT_TEST(sigtermReleasesExecution);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override { recreateDatabase(); }

    void cancelStopsRunningAgent() {
        syn::pg::Connection db(runnerDatabaseUrl());
        RunnerProcess runner("cancel", {fixtureAgent("sleep.sh"), "30"});
        const std::string id = "exec-00000000000a";
        insertExecution(db, id, {{"first", "One"}, {"second", "Two"}});
        pid_t agent = waitForPidFile(runner.workspace(id) + "/agent-first.pid");

        auto requested = std::chrono::steady_clock::now();
        requestControl(db, id, "cancel_requested_at");
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"),
                             waitForStatus(db, id, "cancelled", std::chrono::seconds(5)));
        auto elapsed = std::chrono::steady_clock::now() - requested;
        // The agent obeys SIGTERM at once; the bound is generous for busy machines.
        CPPUNIT_ASSERT(elapsed < std::chrono::seconds(3));
        CPPUNIT_ASSERT(!processAlive(agent));
        CPPUNIT_ASSERT_EQUAL(std::string("Cancelled by request during phase first: test request"),
                             column(db, "select error from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("2"),
                             column(db,
                                    "select count(*) from syn.execution_phases where execution_id "
                                    "= $1 and status = 'cancelled'",
                                    id));
        CPPUNIT_ASSERT_EQUAL(
            std::string("(null)"),
            column(db, "select lease_token from syn.executions where id = $1", id));
    }

    void pauseThenResumeRunsEachPhaseOnce() {
        syn::pg::Connection db(runnerDatabaseUrl());
        RunnerProcess runner("pause", {fixtureAgent("sleep.sh"), "1"});
        const std::string id = "exec-00000000000b";
        insertExecution(db, id, {{"first", "One"}, {"second", "Two"}, {"third", "Three"}});
        waitForPidFile(runner.workspace(id) + "/agent-first.pid");

        requestControl(db, id, "pause_requested_at");
        CPPUNIT_ASSERT_EQUAL(std::string("paused"), waitForStatus(db, id, "paused"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("second"),
            column(db, "select current_phase from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(
            std::string("1"),
            column(db, "select completed_phases from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("(null)"),
                             column(db, "select claimed_by from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(
            std::string("(null)"),
            column(db, "select pause_requested_at from syn.executions where id = $1", id));

        // Stays paused while nothing resumes it.
        std::this_thread::sleep_for(std::chrono::milliseconds(600));
        CPPUNIT_ASSERT_EQUAL(std::string("paused"),
                             column(db, "select status from syn.executions where id = $1", id));

        db.execute("update syn.executions set status = 'pending' where id = $1", {id});
        db.execute("select pg_notify('syn_execution_queued', $1)", {id});
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), waitForStatus(db, id, "completed"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("3"),
            column(db,
                   "select count(*) from syn.execution_phases where execution_id = $1 and runs = 1",
                   id));
        CPPUNIT_ASSERT_EQUAL(
            std::string("3"),
            column(db, "select completed_phases from syn.executions where id = $1", id));
    }

    void sigtermReleasesExecution() {
        syn::pg::Connection db(runnerDatabaseUrl());
        RunnerProcess runner("sigterm", {fixtureAgent("sleep.sh"), "30"},
                             {"runner.shutdown_grace_seconds=1"});
        const std::string id = "exec-00000000000c";
        insertExecution(db, id, {{"first", "One"}, {"second", "Two"}});
        pid_t agent = waitForPidFile(runner.workspace(id) + "/agent-first.pid");

        runner.signal(SIGTERM);
        int status = runner.waitForExit(std::chrono::seconds(10));
        CPPUNIT_ASSERT(status != -1);
        CPPUNIT_ASSERT(WIFEXITED(status));
        CPPUNIT_ASSERT_EQUAL(0, WEXITSTATUS(status));
        CPPUNIT_ASSERT(!processAlive(agent));
        CPPUNIT_ASSERT_EQUAL(std::string("pending"),
                             column(db, "select status from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("pending"),
                             column(db,
                                    "select status from syn.execution_phases where execution_id = "
                                    "$1 and phase_id = 'first'",
                                    id));
        CPPUNIT_ASSERT_EQUAL(
            std::string("(null)"),
            column(db, "select lease_token from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("1"),
                             column(db,
                                    "select count(*) from syn.execution_events where execution_id "
                                    "= $1 and event = 'released'",
                                    id));
        CPPUNIT_ASSERT(runner.log().find("Released execution " + id) != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(RunnerControlTest, "runner_control");
