// Integration tests of syn-runner reacting to cancel, pause and resume sent
// as HTTP requests through nginx and the pool (RunnerControlApiTest), and to
// SIGTERM, which needs no HTTP and uses the runner tests' own database
// (RunnerControlTest).
#include <cppunit/extensions/HelperMacros.h>

#include <map>

#include "runner_api.h"
#include "runner_harness.h"

using namespace syn::test::runner;
using syn::test::HttpClient;
using syn::test::HttpResponse;
using syn::test::sourceDir;
using syn::test::TestDatabase;

namespace {

std::string column(syn::pg::Connection& db, const std::string& sql, const std::string& id) {
    return queryText(db, sql, {id});
}

}  // namespace

class RunnerControlTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RunnerControlTest);
    CPPUNIT_TEST(sigtermReleasesExecution);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override { recreateDatabase(); }

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
        CPPUNIT_ASSERT_EQUAL(
            std::string("(null)"),
            column(db, "select current_phase from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("pending"),
                             column(db,
                                    "select status from syn.execution_phases where execution_id = "
                                    "$1 and phase_id = 'first'",
                                    id));
        CPPUNIT_ASSERT_EQUAL(
            std::string("(null)"),
            column(db, "select lease_token from syn.executions where id = $1", id));
        // A release gives its claim back.
        CPPUNIT_ASSERT_EQUAL(std::string("0"),
                             column(db, "select attempts from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("1"),
                             column(db,
                                    "select count(*) from syn.execution_events where execution_id "
                                    "= $1 and event = 'released'",
                                    id));
        CPPUNIT_ASSERT(runner.log().find("Released execution " + id) != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(RunnerControlTest, "runner_control");

class RunnerControlApiTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RunnerControlApiTest);
    CPPUNIT_TEST(cancelStopsRunningAgent);
    CPPUNIT_TEST(pauseThenResumeRunsEachPhaseOnce);
    CPPUNIT_TEST(pauseDuringLastPhaseCompletes);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override { prepareApiTest(); }

    void cancelStopsRunningAgent() {
        HttpClient client;
        auto runner = startApiRunner("api-cancel", {fixtureAgent("sleep.sh"), "30"});
        std::string id = executeApiWorkflow(client, R"({"task": "the cancelled task"})");
        pid_t agent = waitForPidFile(runner->workspace(id) + "/agent-plan.pid");
        CPPUNIT_ASSERT_EQUAL(std::string("running"), field(fetchStatus(client, id), "status"));

        auto requested = std::chrono::steady_clock::now();
        HttpResponse response = postControl(client, id, "cancel", "test request");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string("true"), field(response.json(), "success"));
        CPPUNIT_ASSERT_EQUAL(id, field(response.json(), "execution_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("running"), field(response.json(), "state"));

        Poco::JSON::Object::Ptr status =
            waitForApiStatus(client, id, "cancelled", std::chrono::seconds(10));
        auto elapsed = std::chrono::steady_clock::now() - requested;
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), field(status, "status"));
        // The agent obeys SIGTERM at once; the bound is generous for busy machines.
        CPPUNIT_ASSERT(elapsed < std::chrono::seconds(5));
        waitForProcessExit(agent, std::chrono::seconds(5));
        CPPUNIT_ASSERT(!processAlive(agent));
        CPPUNIT_ASSERT_EQUAL(std::string("Cancelled by request during phase plan: test request"),
                             field(status, "error"));
        CPPUNIT_ASSERT_EQUAL(std::string("(null)"), field(status, "current_phase"));
        CPPUNIT_ASSERT_EQUAL(std::string("0"), field(status, "completed_phases"));
        CPPUNIT_ASSERT(field(status, "completed_at") != "(null)");

        Poco::JSON::Object::Ptr detail = fetchDetail(client, id);
        for (const char* phaseId : {"plan", "build", "check"}) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(phaseId, std::string("cancelled"),
                                         field(phaseOf(detail, phaseId), "status"));
        }
        TestDatabase database;
        CPPUNIT_ASSERT_EQUAL(0LL, database.scalar("select count(*) from syn.executions where id "
                                                  "= $1 and lease_token is not null",
                                                  {id}));

        HttpResponse again = postControl(client, id, "cancel", "once more");
        SYN_ASSERT_DETAIL(again, 409, "Cannot cancel execution in state cancelled");
    }

    void pauseThenResumeRunsEachPhaseOnce() {
        HttpClient client;
        const std::string log = testRoot() + "/api-pause-phases.log";
        std::remove(log.c_str());
        auto runner = startApiRunner("api-pause", {fixtureAgent("gate.sh"), log});
        std::string id = executeApiWorkflow(client, R"({"task": "the paused task"})");
        waitForPidFile(runner->workspace(id) + "/agent-plan.pid");

        HttpResponse response = postControl(client, id, "pause", "test pause");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string("running"), field(response.json(), "state"));
        // A pause takes effect at the next phase boundary: plan still runs to its end.
        Poco::JSON::Object::Ptr status = fetchStatus(client, id);
        CPPUNIT_ASSERT_EQUAL(std::string("running"), field(status, "status"));
        CPPUNIT_ASSERT_EQUAL(std::string("plan"), field(status, "current_phase"));
        openGate(*runner, id, "plan");

        status = waitForApiStatus(client, id, "paused");
        CPPUNIT_ASSERT_EQUAL(std::string("paused"), field(status, "status"));
        CPPUNIT_ASSERT_EQUAL(std::string("build"), field(status, "current_phase"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), field(status, "completed_phases"));
        CPPUNIT_ASSERT_EQUAL(std::string("3"), field(status, "total_phases"));
        CPPUNIT_ASSERT_EQUAL(std::string("(null)"), field(status, "completed_at"));
        CPPUNIT_ASSERT_EQUAL(std::string("(null)"), field(status, "error"));
        Poco::JSON::Object::Ptr detail = fetchDetail(client, id);
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), field(phaseOf(detail, "plan"), "status"));
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), field(phaseOf(detail, "build"), "status"));
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), field(phaseOf(detail, "check"), "status"));
        // A pause gives its claim back.
        TestDatabase database;
        CPPUNIT_ASSERT_EQUAL(
            0LL, database.scalar("select attempts from syn.executions where id = $1", {id}));

        // Stays paused while nothing resumes it, and starts no agent.
        std::this_thread::sleep_for(std::chrono::milliseconds(600));
        CPPUNIT_ASSERT_EQUAL(std::string("paused"), field(fetchStatus(client, id), "status"));
        CPPUNIT_ASSERT(!std::filesystem::exists(runner->workspace(id) + "/agent-build.pid"));

        openGate(*runner, id, "build");
        openGate(*runner, id, "check");
        response = postControl(client, id, "resume", "test resume");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), field(response.json(), "state"));

        status = waitForApiStatus(client, id, "completed");
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), field(status, "status"));
        CPPUNIT_ASSERT_EQUAL(std::string("3"), field(status, "completed_phases"));
        CPPUNIT_ASSERT_EQUAL(std::string("(null)"), field(status, "current_phase"));

        std::map<std::string, int> runs;
        std::ifstream file(log);
        std::string execution, phase;
        while (file >> execution >> phase) {
            CPPUNIT_ASSERT_EQUAL(id, execution);
            ++runs[phase];
        }
        CPPUNIT_ASSERT_EQUAL(size_t(3), runs.size());
        for (const char* phaseId : {"plan", "build", "check"}) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(phaseId, 1, runs[phaseId]);
        }
        CPPUNIT_ASSERT_EQUAL(
            1LL, database.scalar("select attempts from syn.executions where id = $1", {id}));
    }

    // A pause requested during the last phase finds no boundary: the
    // execution completes and the request is cleared with it.
    void pauseDuringLastPhaseCompletes() {
        HttpClient client;
        const std::string log = testRoot() + "/api-pause-last.log";
        std::remove(log.c_str());
        auto runner = startApiRunner("api-pause-last", {fixtureAgent("gate.sh"), log});
        std::string id = executeApiWorkflow(client, R"({"task": "the late pause"})");
        for (const char* phaseId : {"plan", "build"}) {
            waitForPidFile(runner->workspace(id) + "/agent-" + phaseId + ".pid");
            openGate(*runner, id, phaseId);
        }
        waitForPidFile(runner->workspace(id) + "/agent-check.pid");

        HttpResponse response = postControl(client, id, "pause", "too late");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);
        TestDatabase database;
        CPPUNIT_ASSERT_EQUAL(1LL, database.scalar("select count(*) from syn.executions where id = "
                                                  "$1 and pause_requested_at is not null",
                                                  {id}));
        openGate(*runner, id, "check");

        Poco::JSON::Object::Ptr status = waitForApiStatus(client, id, "completed");
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), field(status, "status"));
        CPPUNIT_ASSERT_EQUAL(std::string("3"), field(status, "completed_phases"));
        CPPUNIT_ASSERT_EQUAL(0LL, database.scalar("select count(*) from syn.executions where id = "
                                                  "$1 and pause_requested_at is not null",
                                                  {id}));
    }

  private:
    // Waits up to `limit` for process `pid` to be gone.
    static void waitForProcessExit(pid_t pid, std::chrono::milliseconds limit) {
        auto deadline = std::chrono::steady_clock::now() + limit;
        while (processAlive(pid) && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(RunnerControlApiTest, "runner_control");
