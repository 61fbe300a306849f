// Integration tests of syn-runner running phases. RunnerPhasesApiTest starts
// executions and reads their progress over HTTP through nginx and the pool;
// RunnerPhasesTest covers timeouts and misbehaving agents with executions
// inserted into the runner tests' own database.
#include <cppunit/extensions/HelperMacros.h>

#include "runner_api.h"
#include "runner_harness.h"

using namespace syn::test::runner;
using syn::test::HttpClient;
using syn::test::sourceDir;
using syn::test::TestDatabase;

namespace {

const std::vector<PhaseSpec> kThreePhases = {
    {"plan", "Plan $ARGUMENTS in {{language}}"},
    {"build", "Build from: {{ plan }}"},
    {"check", "Check {{build}} for {{execution_id}} keeping {{unknown}}"},
};

std::string column(syn::pg::Connection& db, const std::string& sql, const std::string& id) {
    return queryText(db, sql, {id});
}

}  // namespace

class RunnerPhasesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RunnerPhasesTest);
    CPPUNIT_TEST(timeoutKillsAgentIgnoringTerm);
    CPPUNIT_TEST(missingAgentFails);
    CPPUNIT_TEST(nonExecutableAgentFails);
    CPPUNIT_TEST(floodIsCappedAndFails);
    CPPUNIT_TEST(forkedChildrenAreKilled);
    CPPUNIT_TEST(agentIgnoringStdinTimesOut);
    CPPUNIT_TEST(uncreatableWorkspaceFails);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override { recreateDatabase(); }

    void timeoutKillsAgentIgnoringTerm() {
        syn::pg::Connection db(runnerDatabaseUrl());
        RunnerProcess runner("timeout", {fixtureAgent("ignore_term.sh")});
        const std::string id = "exec-000000000003";
        insertExecution(db, id, {{"build", "Build", 2}});

        pid_t agent = waitForPidFile(runner.workspace(id) + "/agent-build.pid");
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), waitForStatus(db, id, "failed"));
        CPPUNIT_ASSERT_EQUAL(std::string("Phase build timed out after 2 s"),
                             column(db, "select error from syn.executions where id = $1", id));
        CPPUNIT_ASSERT(!processAlive(agent));
    }

    void missingAgentFails() {
        syn::pg::Connection db(runnerDatabaseUrl());
        RunnerProcess runner("missing", {"/nonexistent/agent"});
        const std::string id = "exec-000000000004";
        insertExecution(db, id, kThreePhases);

        CPPUNIT_ASSERT_EQUAL(std::string("failed"), waitForStatus(db, id, "failed"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("Phase plan failed: Agent command /nonexistent/agent not found"),
            column(db, "select error from syn.executions where id = $1", id));
        assertRunnerStillServes(db, "exec-000000000040");
    }

    void nonExecutableAgentFails() {
        syn::pg::Connection db(runnerDatabaseUrl());
        std::string agent = sourceDir() + "/tests/fixtures/agents/../../CMakeLists.txt";
        RunnerProcess runner("noexec", {agent});
        const std::string id = "exec-000000000005";
        insertExecution(db, id, kThreePhases);

        CPPUNIT_ASSERT_EQUAL(std::string("failed"), waitForStatus(db, id, "failed"));
        CPPUNIT_ASSERT_EQUAL(
            "Phase plan failed: Agent command " + agent + " is not an executable file",
            column(db, "select error from syn.executions where id = $1", id));
    }

    void floodIsCappedAndFails() {
        syn::pg::Connection db(runnerDatabaseUrl());
        RunnerProcess runner("flood", {fixtureAgent("flood.sh")},
                             {"runner.output_max_bytes=1000", "runner.stderr_tail_bytes=100"});
        const std::string id = "exec-000000000006";
        insertExecution(db, id, kThreePhases);

        CPPUNIT_ASSERT_EQUAL(std::string("failed"),
                             waitForStatus(db, id, "failed", std::chrono::seconds(60)));
        std::string error = column(db, "select error from syn.executions where id = $1", id);
        CPPUNIT_ASSERT(error.starts_with("Phase plan failed: agent exited with code 1: "));
        CPPUNIT_ASSERT(error.ends_with("eee end of stderr flood"));
        CPPUNIT_ASSERT(error.size() < 200);
        CPPUNIT_ASSERT_EQUAL(std::string("t"),
                             column(db,
                                    "select output_truncated from syn.execution_phases where "
                                    "execution_id = $1 and phase_id = 'plan'",
                                    id));
        std::string output = column(
            db,
            "select output from syn.execution_phases where execution_id = $1 and phase_id = 'plan'",
            id);
        CPPUNIT_ASSERT(
            output.starts_with(std::string(1000, 'o') + "\n[syn-runner: output truncated"));
        assertRunnerStillServes(db, "exec-000000000060");
    }

    void forkedChildrenAreKilled() {
        syn::pg::Connection db(runnerDatabaseUrl());
        RunnerProcess runner("fork", {fixtureAgent("fork_children.sh")});
        const std::string id = "exec-000000000007";
        insertExecution(db, id, kThreePhases);

        pid_t child = waitForPidFile(runner.workspace(id) + "/child.pid");
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), waitForStatus(db, id, "failed"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("Phase plan failed: agent exited with code 0 but left processes running "
                        "in its process group; they were killed"),
            column(db, "select error from syn.executions where id = $1", id));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        CPPUNIT_ASSERT(!processAlive(child));
    }

    void agentIgnoringStdinTimesOut() {
        syn::pg::Connection db(runnerDatabaseUrl());
        RunnerProcess runner("stdin", {fixtureAgent("no_stdin.sh")});
        const std::string id = "exec-000000000008";
        // A prompt far larger than a pipe buffer: writing it must not block the runner.
        insertExecution(db, id, {{"read", std::string(4 << 20, 'p'), 2}});

        pid_t agent = waitForPidFile(runner.workspace(id) + "/agent-read.pid");
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), waitForStatus(db, id, "failed"));
        // The pipe takes one buffer's worth (64 KiB by default on Linux) of
        // the prompt, and the error reports that the agent read none of it.
        std::string error = column(db, "select error from syn.executions where id = $1", id);
        const std::string expected =
            "Phase read timed out after 2 s; the agent did not read its prompt from stdin (";
        CPPUNIT_ASSERT_EQUAL_MESSAGE(error, expected, error.substr(0, expected.size()));
        CPPUNIT_ASSERT_MESSAGE(error, error.ends_with(" of 4194304 bytes taken)"));
        CPPUNIT_ASSERT(!processAlive(agent));
        assertRunnerStillServes(db, "exec-000000000080");
    }

    void uncreatableWorkspaceFails() {
        syn::pg::Connection db(runnerDatabaseUrl());
        // A regular file cannot hold workspaces.
        RunnerProcess runner("workspace", {fixtureAgent("echo_prompt.sh")},
                             {"runner.workspace_root=/etc/hostname"});
        const std::string id = "exec-000000000009";
        insertExecution(db, id, kThreePhases);

        CPPUNIT_ASSERT_EQUAL(std::string("failed"), waitForStatus(db, id, "failed"));
        std::string error = column(db, "select error from syn.executions where id = $1", id);
        CPPUNIT_ASSERT(
            error.starts_with("Workspace /etc/hostname/exec-000000000009 for execution "
                              "exec-000000000009 could not be created: "));
        CPPUNIT_ASSERT_EQUAL(
            std::string("plan"),
            column(db, "select current_phase from syn.executions where id = $1", id));
    }

  private:
    // A second execution after a bad one shows the runner kept serving. The
    // runner's agent is the same, so only its arrival at a final state is checked.
    void assertRunnerStillServes(syn::pg::Connection& db, const std::string& id) {
        insertExecution(db, id, {{"again", "Again", 2}});
        std::string status = waitForValue(
            db, "select status in ('completed', 'failed') from syn.executions where id = $1", {id},
            "t", std::chrono::seconds(20));
        CPPUNIT_ASSERT_EQUAL(std::string("t"), status);
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(RunnerPhasesTest, "runner_phases");

class RunnerPhasesApiTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RunnerPhasesApiTest);
    CPPUNIT_TEST(threePhasesComplete);
    CPPUNIT_TEST(progressVisibleDuringPhases);
    CPPUNIT_TEST(failingPhaseFailsExecution);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override { prepareApiTest(); }

    void threePhasesComplete() {
        HttpClient client;
        auto runner = startApiRunner("api-phases", {fixtureAgent("echo_prompt.sh")});
        std::string id = executeApiWorkflow(
            client, R"({"task": "the test task", "inputs": {"language": "C++"}})");

        Poco::JSON::Object::Ptr status = waitForApiStatus(client, id, "completed");
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), field(status, "status"));
        CPPUNIT_ASSERT_EQUAL(id, field(status, "execution_id"));
        CPPUNIT_ASSERT_EQUAL(std::string(kApiWorkflowId), field(status, "workflow_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("3"), field(status, "completed_phases"));
        CPPUNIT_ASSERT_EQUAL(std::string("3"), field(status, "total_phases"));
        CPPUNIT_ASSERT_EQUAL(std::string("(null)"), field(status, "current_phase"));
        CPPUNIT_ASSERT_EQUAL(std::string("(null)"), field(status, "error"));
        std::string startedAt = field(status, "started_at");
        std::string completedAt = field(status, "completed_at");
        CPPUNIT_ASSERT(startedAt != "(null)");
        CPPUNIT_ASSERT(completedAt != "(null)");
        // RFC 3339 UTC timestamps of one fixed width sort as text.
        CPPUNIT_ASSERT_MESSAGE(startedAt + " is after " + completedAt, startedAt <= completedAt);

        Poco::JSON::Object::Ptr detail = fetchDetail(client, id);
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), field(detail, "status"));
        for (const char* phaseId : {"plan", "build", "check"}) {
            Poco::JSON::Object::Ptr phase = phaseOf(detail, phaseId);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(phaseId, std::string("completed"), field(phase, "status"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(phaseId, std::string("0"), field(phase, "exit_code"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(phaseId, std::string("(null)"), field(phase, "error"));
            CPPUNIT_ASSERT_MESSAGE(phaseId, field(phase, "started_at") >= startedAt);
            CPPUNIT_ASSERT_MESSAGE(phaseId,
                                   field(phase, "started_at") <= field(phase, "completed_at"));
        }
        CPPUNIT_ASSERT_EQUAL(std::string("Plan the test task in C++\nphase plan\n"),
                             field(phaseOf(detail, "plan"), "output"));
        std::string build = field(phaseOf(detail, "build"), "output");
        CPPUNIT_ASSERT_MESSAGE(build, build.starts_with("Build from: Plan the test task in C++\n"));
        std::string check = field(phaseOf(detail, "check"), "output");
        CPPUNIT_ASSERT_MESSAGE(
            check, check.find("for " + id + " keeping {{unknown}}") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(check, check.ends_with("phase check\n"));

        // What the API does not show: each phase ran once, the lease is gone
        // and the artifact was written.
        TestDatabase database;
        CPPUNIT_ASSERT_EQUAL(3LL, database.scalar("select count(*) from syn.execution_phases "
                                                  "where execution_id = $1 and runs = 1",
                                                  {id}));
        CPPUNIT_ASSERT_EQUAL(0LL, database.scalar("select count(*) from syn.executions where id "
                                                  "= $1 and lease_token is not null",
                                                  {id}));
        CPPUNIT_ASSERT(std::ifstream(runner->workspace(id) + "/artifacts/build.md").good());
    }

    void progressVisibleDuringPhases() {
        HttpClient client;
        const std::string log = testRoot() + "/api-progress-phases.log";
        std::remove(log.c_str());
        auto runner = startApiRunner("api-progress", {fixtureAgent("gate.sh"), log});
        std::string id = executeApiWorkflow(client, R"({"task": "the progress task"})");

        const std::vector<std::string> phaseIds = {"plan", "build", "check"};
        for (size_t i = 0; i < phaseIds.size(); ++i) {
            const std::string& running = phaseIds[i];
            // The runner records the phase as running before it starts the agent.
            waitForPidFile(runner->workspace(id) + "/agent-" + running + ".pid");

            Poco::JSON::Object::Ptr status = fetchStatus(client, id);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(running, std::string("running"), field(status, "status"));
            CPPUNIT_ASSERT_EQUAL(running, field(status, "current_phase"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(running, std::to_string(i),
                                         field(status, "completed_phases"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(running, std::string("3"), field(status, "total_phases"));
            CPPUNIT_ASSERT_MESSAGE(running, field(status, "started_at") != "(null)");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(running, std::string("(null)"),
                                         field(status, "completed_at"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(running, std::string("(null)"), field(status, "error"));

            Poco::JSON::Object::Ptr detail = fetchDetail(client, id);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(running, std::string("running"), field(detail, "status"));
            for (size_t j = 0; j < phaseIds.size(); ++j) {
                Poco::JSON::Object::Ptr phase = phaseOf(detail, phaseIds[j]);
                std::string label = phaseIds[j] + " while " + running + " runs";
                std::string expected = "pending";
                if (j < i) {
                    expected = "completed";
                } else if (j == i) {
                    expected = "running";
                }
                CPPUNIT_ASSERT_EQUAL_MESSAGE(label, expected, field(phase, "status"));
                if (j < i) {
                    CPPUNIT_ASSERT_MESSAGE(
                        label, field(phase, "output").ends_with("phase " + phaseIds[j] + "\n"));
                } else if (j == i) {
                    CPPUNIT_ASSERT_MESSAGE(label, field(phase, "started_at") != "(null)");
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(label, std::string("(null)"),
                                                 field(phase, "completed_at"));
                    CPPUNIT_ASSERT_EQUAL_MESSAGE(label, std::string("(null)"),
                                                 field(phase, "exit_code"));
                }
            }
            CPPUNIT_ASSERT_MESSAGE(running, activeStatusOf(client, id) == "running");
            openGate(*runner, id, running);
        }

        Poco::JSON::Object::Ptr status = waitForApiStatus(client, id, "completed");
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), field(status, "status"));
        CPPUNIT_ASSERT_EQUAL(std::string("3"), field(status, "completed_phases"));
        CPPUNIT_ASSERT_EQUAL(std::string("(null)"), field(status, "current_phase"));
        CPPUNIT_ASSERT_EQUAL(std::string("(absent)"), activeStatusOf(client, id));
    }

    void failingPhaseFailsExecution() {
        HttpClient client;
        auto runner = startApiRunner("api-fail", {fixtureAgent("fail.sh")});
        std::string id = executeApiWorkflow(client, R"({"task": "the failing task"})");

        Poco::JSON::Object::Ptr status = waitForApiStatus(client, id, "failed");
        const std::string error =
            "Phase plan failed: agent exited with code 3: the widget could not be found";
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), field(status, "status"));
        CPPUNIT_ASSERT_EQUAL(std::string("plan"), field(status, "current_phase"));
        CPPUNIT_ASSERT_EQUAL(error, field(status, "error"));
        CPPUNIT_ASSERT_EQUAL(std::string("0"), field(status, "completed_phases"));
        CPPUNIT_ASSERT_EQUAL(std::string("3"), field(status, "total_phases"));
        CPPUNIT_ASSERT(field(status, "started_at") != "(null)");
        CPPUNIT_ASSERT(field(status, "completed_at") != "(null)");

        Poco::JSON::Object::Ptr detail = fetchDetail(client, id);
        Poco::JSON::Object::Ptr plan = phaseOf(detail, "plan");
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), field(plan, "status"));
        CPPUNIT_ASSERT_EQUAL(std::string("3"), field(plan, "exit_code"));
        CPPUNIT_ASSERT_EQUAL(error, field(plan, "error"));
        CPPUNIT_ASSERT_EQUAL(std::string("partial output\n"), field(plan, "output"));
        for (const char* phaseId : {"build", "check"}) {
            Poco::JSON::Object::Ptr phase = phaseOf(detail, phaseId);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(phaseId, std::string("skipped"), field(phase, "status"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(phaseId, std::string("(null)"),
                                         field(phase, "started_at"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(phaseId, std::string("(null)"), field(phase, "output"));
        }
    }

  private:
    // Returns the status GET /workflows/executions/active reports for `id`,
    // or "(absent)" when the list does not contain it.
    static std::string activeStatusOf(const HttpClient& client, const std::string& id) {
        syn::test::HttpResponse response = client.get("/workflows/executions/active?limit=100");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);
        Poco::JSON::Array::Ptr active = response.jsonArray();
        for (size_t i = 0; i < active->size(); ++i) {
            Poco::JSON::Object::Ptr entry = active->getObject(static_cast<unsigned>(i));
            if (field(entry, "execution_id") == id) {
                return field(entry, "status");
            }
        }
        return "(absent)";
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(RunnerPhasesApiTest, "runner_phases");
