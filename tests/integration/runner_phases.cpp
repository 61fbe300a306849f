// Integration tests of syn-runner running phases: success, failures,
// timeouts and misbehaving agents, against the stack's PostgreSQL.
#include <cppunit/extensions/HelperMacros.h>

#include "runner_harness.h"

using namespace syn::test::runner;
using syn::test::sourceDir;

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
    CPPUNIT_TEST(threePhasesComplete);
    CPPUNIT_TEST(failingPhaseFailsExecution);
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

    void threePhasesComplete() {
        syn::pg::Connection db(runnerDatabaseUrl());
        RunnerProcess runner("phases", {fixtureAgent("echo_prompt.sh")});
        insertExecution(db, "exec-000000000001", kThreePhases, R"({"language": "C++"})");

        CPPUNIT_ASSERT_EQUAL(std::string("completed"),
                             waitForStatus(db, "exec-000000000001", "completed"));
        const std::string id = "exec-000000000001";
        CPPUNIT_ASSERT_EQUAL(
            std::string("3"),
            column(db, "select completed_phases from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(
            std::string("(null)"),
            column(db, "select current_phase from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("(null)"),
                             column(db, "select error from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(
            std::string("(null)"),
            column(db, "select lease_token from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(
            std::string("t"),
            column(db, "select started_at <= completed_at from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(
            std::string("3"),
            column(db,
                   "select count(*) from syn.execution_phases where execution_id = $1 and "
                   "status = 'completed' and runs = 1 and exit_code = 0 and "
                   "started_at <= completed_at",
                   id));

        std::string plan = column(
            db,
            "select output from syn.execution_phases where execution_id = $1 and phase_id = 'plan'",
            id);
        CPPUNIT_ASSERT(plan.find("Plan the test task in C++") != std::string::npos);
        std::string checkPrompt = column(db,
                                         "select prompt from syn.execution_phases where "
                                         "execution_id = $1 and phase_id = 'check'",
                                         id);
        CPPUNIT_ASSERT(checkPrompt.find("Build from: Plan the test task in C++") !=
                       std::string::npos);
        CPPUNIT_ASSERT(checkPrompt.find("for exec-000000000001 keeping {{unknown}}") !=
                       std::string::npos);

        std::ifstream artifact(runner.workspace(id) + "/artifacts/build.md");
        CPPUNIT_ASSERT(artifact.good());
        CPPUNIT_ASSERT_EQUAL(
            std::string("8"),
            column(db, "select count(*) from syn.execution_events where execution_id = $1", id));
    }

    void failingPhaseFailsExecution() {
        syn::pg::Connection db(runnerDatabaseUrl());
        RunnerProcess runner("fail", {fixtureAgent("fail.sh")});
        const std::string id = "exec-000000000002";
        insertExecution(db, id, kThreePhases);

        CPPUNIT_ASSERT_EQUAL(std::string("failed"), waitForStatus(db, id, "failed"));
        CPPUNIT_ASSERT_EQUAL(
            std::string(
                "Phase plan failed: agent exited with code 3: the widget could not be found"),
            column(db, "select error from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(
            std::string("plan"),
            column(db, "select current_phase from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("3"),
                             column(db,
                                    "select exit_code from syn.execution_phases where execution_id "
                                    "= $1 and phase_id = 'plan'",
                                    id));
        CPPUNIT_ASSERT_EQUAL(std::string("2"),
                             column(db,
                                    "select count(*) from syn.execution_phases where execution_id "
                                    "= $1 and status = 'skipped'",
                                    id));
        CPPUNIT_ASSERT_EQUAL(
            std::string("t"),
            column(db, "select completed_at is not null from syn.executions where id = $1", id));
    }

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
        CPPUNIT_ASSERT_EQUAL(std::string("Phase read timed out after 2 s"),
                             column(db, "select error from syn.executions where id = $1", id));
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
