// Integration tests of syn-runner storing a phase's output while the agent
// runs. RunnerOutputApiTest reads it over HTTP through nginx and the pool and
// from the workspace's artifact; RunnerOutputTest covers a lost lease and a
// failing write with executions inserted into the runner tests' own database.
#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>

#include "runner_api.h"
#include "runner_harness.h"

using namespace syn::test::runner;
using syn::test::HttpClient;
using syn::test::HttpResponse;

namespace {

// An agent that prints a line, sleeps 3 s in phase plan only, then prints a
// second line. It creates printed-<phase id> in the workspace after the first line.
const std::vector<std::string> kTwoLineAgent = {
    "sh", "-c",
    "echo first line of $SYN_PHASE_ID; : > printed-$SYN_PHASE_ID; "
    "if [ $SYN_PHASE_ID = plan ]; then sleep 3; fi; echo second line of $SYN_PHASE_ID"};

// Returns the file's contents, or "(missing)" when it does not exist.
std::string readFile(const std::string& path) {
    if (!std::filesystem::exists(path)) {
        return "(missing)";
    }
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// Waits up to `limit` for the file to contain `expected` and returns its last contents.
std::string waitForFileText(const std::string& path, const std::string& expected,
                            std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    std::string text = readFile(path);
    while (text != expected && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        text = readFile(path);
    }
    return text;
}

// Returns the stored output of phase `phaseId`, "(null)" when there is none.
std::string phaseOutput(syn::pg::Connection& db, const std::string& id,
                        const std::string& phaseId) {
    return queryText(db,
                     "select output from syn.execution_phases "
                     "where execution_id = $1 and phase_id = $2",
                     {id, phaseId});
}

size_t countOccurrences(const std::string& text, const std::string& part) {
    size_t count = 0;
    for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
        ++count;
    }
    return count;
}

}  // namespace

class RunnerOutputApiTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RunnerOutputApiTest);
    CPPUNIT_TEST(outputShowsWhileRunning);
    CPPUNIT_TEST(flushOffStoresOutputAtEnd);
    CPPUNIT_TEST(lockedPhaseRowKeepsCancelPrompt);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override { prepareApiTest(); }

    // With the default runner.output_flush_ms of 1000, the first line shows
    // about 1 s after the agent starts, during its 3 s sleep.
    void outputShowsWhileRunning() {
        HttpClient client;
        auto runner = startApiRunner("api-output", kTwoLineAgent);
        std::string id = executeApiWorkflow(client, R"({"task": "the streamed task"})");
        const std::string artifact = runner->workspace(id) + "/artifacts/plan.md";

        Poco::JSON::Object::Ptr detail;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        do {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            detail = fetchDetail(client, id);
        } while (field(phaseOf(detail, "plan"), "output") == "(null)" &&
                 std::chrono::steady_clock::now() < deadline);
        CPPUNIT_ASSERT_EQUAL(std::string("first line of plan\n"),
                             field(phaseOf(detail, "plan"), "output"));
        CPPUNIT_ASSERT_EQUAL(std::string("running"), field(phaseOf(detail, "plan"), "status"));
        CPPUNIT_ASSERT_EQUAL(std::string("running"), field(detail, "status"));
        CPPUNIT_ASSERT_EQUAL(std::string("(null)"), field(phaseOf(detail, "build"), "output"));
        // The runner writes the artifact right after the database row.
        CPPUNIT_ASSERT_EQUAL(
            std::string("first line of plan\n"),
            waitForFileText(artifact, "first line of plan\n", std::chrono::milliseconds(500)));

        Poco::JSON::Object::Ptr status = waitForApiStatus(client, id, "completed");
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), field(status, "status"));
        detail = fetchDetail(client, id);
        const std::string both = "first line of plan\nsecond line of plan\n";
        CPPUNIT_ASSERT_EQUAL(both, field(phaseOf(detail, "plan"), "output"));
        CPPUNIT_ASSERT_EQUAL(std::string("first line of check\nsecond line of check\n"),
                             field(phaseOf(detail, "check"), "output"));
        CPPUNIT_ASSERT_EQUAL(both, readFile(artifact));
    }

    // SYN_RUNNER_OUTPUT_FLUSH_MS=0 leaves the output empty until the phase ends.
    void flushOffStoresOutputAtEnd() {
        HttpClient client;
        ::setenv("SYN_RUNNER_OUTPUT_FLUSH_MS", "0", 1);
        auto runner = startApiRunner("api-output-off", kTwoLineAgent);
        ::unsetenv("SYN_RUNNER_OUTPUT_FLUSH_MS");
        std::string id = executeApiWorkflow(client, R"({"task": "the unstreamed task"})");
        const std::string workspace = runner->workspace(id);
        CPPUNIT_ASSERT_EQUAL(std::string(""), waitForFileText(workspace + "/printed-plan", "",
                                                              std::chrono::seconds(10)));

        // Past the default interval of 1 s, well inside the agent's 3 s sleep.
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        Poco::JSON::Object::Ptr detail = fetchDetail(client, id);
        CPPUNIT_ASSERT_EQUAL(std::string("running"), field(phaseOf(detail, "plan"), "status"));
        CPPUNIT_ASSERT_EQUAL(std::string("(null)"), field(phaseOf(detail, "plan"), "output"));
        CPPUNIT_ASSERT_EQUAL(std::string("(missing)"), readFile(workspace + "/artifacts/plan.md"));

        Poco::JSON::Object::Ptr status = waitForApiStatus(client, id, "completed");
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), field(status, "status"));
        detail = fetchDetail(client, id);
        const std::string both = "first line of plan\nsecond line of plan\n";
        CPPUNIT_ASSERT_EQUAL(both, field(phaseOf(detail, "plan"), "output"));
        CPPUNIT_ASSERT_EQUAL(both, readFile(workspace + "/artifacts/plan.md"));
    }

    // A write of the running output that waits for a locked phase row gives
    // up after 500 ms, so a cancel still stops the agent within a few seconds.
    void lockedPhaseRowKeepsCancelPrompt() {
        HttpClient client;
        auto runner = startApiRunner(
            "api-output-lock",
            {"sh", "-c", "echo $$ > agent.pid; while true; do echo tick; sleep 0.2; done"});
        std::string id = executeApiWorkflow(client, R"({"task": "the locked task"})");
        pid_t agent = waitForPidFile(runner->workspace(id) + "/agent.pid");

        syn::pg::Connection locker(syn::test::databaseUrl());
        locker.execute("begin");
        locker.execute(
            "select 1 from syn.execution_phases where execution_id = $1 and phase_id = 'plan' "
            "for update",
            {id});
        // Past the first output write, which now waits for the lock.
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        HttpResponse response = postControl(client, id, "cancel", "locked phase row");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);

        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
        while (processAlive(agent) && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        bool stopped = !processAlive(agent);
        locker.execute("rollback");
        CPPUNIT_ASSERT_MESSAGE("the agent outlived the cancel while the phase row was locked",
                               stopped);
        Poco::JSON::Object::Ptr status = waitForApiStatus(client, id, "cancelled");
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), field(status, "status"));
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(RunnerOutputApiTest, "runner_output");

class RunnerOutputTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RunnerOutputTest);
    CPPUNIT_TEST(lostLeaseStopsStreaming);
    CPPUNIT_TEST(failedWriteKeepsPhaseRunning);
    CPPUNIT_TEST(unstorableBytesAreReplaced);
    CPPUNIT_TEST(unstorableStderrIsReplaced);
    CPPUNIT_TEST(unstorableOutputInNextPrompt);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override { recreateDatabase(); }

    // Once the lease token changes, the runner's writes match no row: the
    // output and the artifact stay as they were.
    void lostLeaseStopsStreaming() {
        syn::pg::Connection db(runnerDatabaseUrl());
        RunnerProcess runner("output-lease",
                             {"sh", "-c",
                              "i=0; while [ $i -lt 300 ]; do echo line $i; i=$((i+1)); "
                              "sleep 0.1; done"},
                             {"runner.output_flush_ms=200"});
        const std::string id = "exec-0000000000a1";
        insertExecution(db, id, {{"only", "One"}});
        std::string first =
            waitForValue(db,
                         "select coalesce(output, '') <> '' from syn.execution_phases "
                         "where execution_id = $1",
                         {id}, "t", std::chrono::seconds(10));
        CPPUNIT_ASSERT_EQUAL(std::string("t"), first);

        db.execute("update syn.executions set lease_token = gen_random_uuid() where id = $1", {id});
        // A write whose snapshot predates the new token may still commit, so let it end.
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        std::string stored = phaseOutput(db, id, "only");
        std::this_thread::sleep_for(std::chrono::milliseconds(1000));
        CPPUNIT_ASSERT_EQUAL(stored, phaseOutput(db, id, "only"));
        CPPUNIT_ASSERT_EQUAL(stored, readFile(runner.workspace(id) + "/artifacts/only.md"));
        CPPUNIT_ASSERT_EQUAL(size_t(1), countOccurrences(runner.log(),
                                                         "stopped storing the output of phase "
                                                         "only while it runs"));
    }

    // Bytes that are not UTF-8, a NUL byte and a character cut by the output
    // cap become U+FFFD, and the phase completes on its first run.
    void unstorableBytesAreReplaced() {
        syn::pg::Connection db(runnerDatabaseUrl());
        RunnerProcess runner("output-bytes", {fixtureAgent("unstorable_bytes.sh")},
                             {"runner.output_flush_ms=200", "runner.output_max_bytes=26"});
        const std::string id = "exec-0000000000a3";
        insertExecution(db, id, {{"only", "One"}});

        CPPUNIT_ASSERT_EQUAL(std::string("completed"), waitForStatus(db, id, "completed"));
        const std::string replacement = "\xEF\xBF\xBD";
        std::string output = phaseOutput(db, id, "only");
        CPPUNIT_ASSERT_EQUAL(std::string("bad ") + replacement + replacement + " bytes\nnul" +
                                 replacement + "byte\ncaf" + replacement,
                             output.substr(0, output.find("\n[syn-runner")));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), queryText(db,
                                                         "select runs from syn.execution_phases "
                                                         "where execution_id = $1",
                                                         {id}));
    }

    // A failing agent's stderr that is not UTF-8 still fails the phase with
    // the agent's exit code.
    void unstorableStderrIsReplaced() {
        syn::pg::Connection db(runnerDatabaseUrl());
        RunnerProcess runner("output-stderr", {fixtureAgent("unstorable_bytes.sh"), "stderr"});
        const std::string id = "exec-0000000000a4";
        insertExecution(db, id, {{"only", "One"}});

        CPPUNIT_ASSERT_EQUAL(std::string("failed"), waitForStatus(db, id, "failed"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("Phase only failed: agent exited with code 4: err \xEF\xBF\xBD x"),
            queryText(db, "select error from syn.executions where id = $1", {id}));
    }

    // Output that is not UTF-8 reaches the next phase's prompt as stored,
    // with U+FFFD, and that phase starts on the first attempt.
    void unstorableOutputInNextPrompt() {
        syn::pg::Connection db(runnerDatabaseUrl());
        RunnerProcess runner("output-prompt", {fixtureAgent("unstorable_bytes.sh")});
        const std::string id = "exec-0000000000a5";
        insertExecution(db, id, {{"first", "One"}, {"second", "Before: {{first}}"}});

        CPPUNIT_ASSERT_EQUAL(std::string("completed"), waitForStatus(db, id, "completed"));
        const std::string replacement = "\xEF\xBF\xBD";
        CPPUNIT_ASSERT_EQUAL(std::string("Before: bad ") + replacement + replacement +
                                 " bytes\nnul" + replacement + "byte\ncaf\xC3\xA9",
                             queryText(db,
                                       "select prompt from syn.execution_phases "
                                       "where execution_id = $1 and phase_id = 'second'",
                                       {id}));
        CPPUNIT_ASSERT_EQUAL(
            std::string("1"),
            queryText(db, "select attempts from syn.executions where id = $1", {id}));
    }

    // A statement error on the progress write is logged once. The phase runs
    // on, and its end stores the whole output.
    void failedWriteKeepsPhaseRunning() {
        syn::pg::Connection db(runnerDatabaseUrl());
        db.executeScript(
            "create function syn_test_reject_progress() returns trigger language plpgsql as $$ "
            "begin raise exception 'progress rejected by the test'; end $$; "
            "create trigger reject_progress before update on syn.execution_phases for each row "
            "when (new.status = 'running' and new.output is not null) "
            "execute function syn_test_reject_progress();");
        RunnerProcess runner("output-failure", {"sh", "-c", "echo first; sleep 1.5; echo second"},
                             {"runner.output_flush_ms=200"});
        const std::string id = "exec-0000000000a2";
        insertExecution(db, id, {{"only", "One"}});

        CPPUNIT_ASSERT_EQUAL(std::string("completed"), waitForStatus(db, id, "completed"));
        CPPUNIT_ASSERT_EQUAL(std::string("first\nsecond\n"), phaseOutput(db, id, "only"));
        CPPUNIT_ASSERT_EQUAL(std::string("first\nsecond\n"),
                             readFile(runner.workspace(id) + "/artifacts/only.md"));
        std::string log = runner.log();
        CPPUNIT_ASSERT_EQUAL(size_t(1), countOccurrences(log,
                                                         "storing the output of running "
                                                         "phase only failed"));
        CPPUNIT_ASSERT(log.find("progress rejected by the test") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(RunnerOutputTest, "runner_output");
