// Integration tests of syn-runner stopping a clone that hangs before the
// first phase: a cancel sent through nginx and the pool (CloneInterruptApiTest),
// and SIGTERM and a lost lease, which need no HTTP and use the runner tests'
// own database (CloneInterruptTest). Each clone waits on a loopback listener
// that never responds, with git.timeout_seconds far beyond the tests' limits,
// so only the stop request can end it in time.
#include <cppunit/extensions/HelperMacros.h>

#include "../fixtures/silent_server.h"
#include "runner_api.h"
#include "runner_harness.h"

using namespace syn::test::runner;
using syn::test::HttpClient;
using syn::test::HttpResponse;
using syn::test::TestDatabase;
using syn::testing::SilentServer;

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// Settings that make every clone hang on `server` for up to two minutes.
std::vector<std::string> hangingCloneSettings(const SilentServer& server) {
    return {"git.url_template=" + server.urlTemplate(), "git.timeout_seconds=120",
            "runner.slots=1"};
}

// Returns the pids of git processes whose arguments name a path under `root`.
std::vector<pid_t> gitProcessesUnder(const std::string& root) {
    std::vector<pid_t> pids;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator("/proc", error)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) {
            continue;
        }
        std::ifstream file(entry.path() / "cmdline");
        std::string command((std::istreambuf_iterator<char>(file)),
                            std::istreambuf_iterator<char>());
        std::string program = command.substr(0, command.find('\0'));
        pid_t pid = static_cast<pid_t>(std::stoi(name));
        if (fs::path(program).filename() == "git" && command.find(root) != std::string::npos &&
            processAlive(pid)) {
            pids.push_back(pid);
        }
    }
    return pids;
}

// Waits up to 10 s for a git process to work under `root`. Returns its pid, or 0 when none did.
pid_t waitForGitUnder(const std::string& root) {
    for (int i = 0; i < 200; ++i) {
        std::vector<pid_t> pids = gitProcessesUnder(root);
        if (!pids.empty()) {
            return pids.front();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return 0;
}

// Waits up to `limit` for every git process under `root` to be gone and
// returns how many are left.
size_t waitForNoGitUnder(const std::string& root, std::chrono::milliseconds limit) {
    auto deadline = Clock::now() + limit;
    while (!gitProcessesUnder(root).empty() && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return gitProcessesUnder(root).size();
}

// True when `repos` contains anything: a clone or a partial one.
bool containsAnything(const fs::path& repos) {
    return fs::exists(repos) && !fs::is_empty(repos);
}

std::string column(syn::pg::Connection& db, const std::string& sql, const std::string& id) {
    return queryText(db, sql, {id});
}

// Inserts a pending execution with two phases that names acme/widgets, in
// one transaction so that no runner claims it before its repository is set.
void insertCloningExecution(syn::pg::Connection& db, const std::string& executionId) {
    db.execute("begin");
    insertExecution(db, executionId, {{"first", "One"}, {"second", "Two"}});
    db.execute("update syn.executions set repos = '{acme/widgets}' where id = $1", {executionId});
    db.execute("commit");
}

}  // namespace

class CloneInterruptTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CloneInterruptTest);
    CPPUNIT_TEST(sigtermReleasesCloningExecution);
    CPPUNIT_TEST(lostLeaseStopsCloneSilently);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override { recreateDatabase(); }

    void sigtermReleasesCloningExecution() {
        SilentServer server;
        syn::pg::Connection db(runnerDatabaseUrl());
        std::vector<std::string> settings = hangingCloneSettings(server);
        settings.push_back("runner.shutdown_grace_seconds=1");
        RunnerProcess runner("clone-sigterm", {fixtureAgent("sleep.sh"), "0"}, settings);
        const std::string id = "exec-0000000c1e01";
        insertCloningExecution(db, id);
        pid_t git = waitForGitUnder(runner.workspaceRoot());
        CPPUNIT_ASSERT(git > 0);

        runner.signal(SIGTERM);
        // One second of grace, then the stop request kills git at once.
        int status = runner.waitForExit(std::chrono::seconds(5));
        CPPUNIT_ASSERT(status != -1);
        CPPUNIT_ASSERT(WIFEXITED(status));
        CPPUNIT_ASSERT_EQUAL(0, WEXITSTATUS(status));
        CPPUNIT_ASSERT(!processAlive(git));
        CPPUNIT_ASSERT_EQUAL(size_t(0), gitProcessesUnder(runner.workspaceRoot()).size());

        CPPUNIT_ASSERT_EQUAL(std::string("pending"),
                             column(db, "select status from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("(null)"),
                             column(db, "select error from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(
            std::string("(null)"),
            column(db, "select lease_token from syn.executions where id = $1", id));
        // A release gives its claim back.
        CPPUNIT_ASSERT_EQUAL(std::string("0"),
                             column(db, "select attempts from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("0"),
                             column(db,
                                    "select count(*) from syn.execution_phases where execution_id "
                                    "= $1 and status <> 'pending'",
                                    id));
        CPPUNIT_ASSERT_EQUAL(std::string("1"),
                             column(db,
                                    "select count(*) from syn.execution_events where execution_id "
                                    "= $1 and event = 'released'",
                                    id));
        CPPUNIT_ASSERT(!containsAnything(fs::path(runner.workspace(id)) / "repos"));
        CPPUNIT_ASSERT(runner.log().find("Released execution " + id +
                                         ": cloning acme/widgets was stopped by runner "
                                         "shutdown") != std::string::npos);
    }

    // Another runner took the lease over while the clone hangs: the heartbeat
    // finds it gone, git is killed, and the runner writes nothing more.
    void lostLeaseStopsCloneSilently() {
        SilentServer server;
        syn::pg::Connection db(runnerDatabaseUrl());
        std::vector<std::string> settings = hangingCloneSettings(server);
        settings.push_back("runner.heartbeat_seconds=1");
        RunnerProcess runner("clone-lease", {fixtureAgent("sleep.sh"), "0"}, settings);
        const std::string id = "exec-0000000c1e02";
        insertCloningExecution(db, id);
        pid_t git = waitForGitUnder(runner.workspaceRoot());
        CPPUNIT_ASSERT(git > 0);

        db.execute(
            "update syn.executions set claimed_by = 'another-runner', "
            "lease_token = gen_random_uuid() where id = $1",
            {id});
        CPPUNIT_ASSERT_EQUAL(size_t(0),
                             waitForNoGitUnder(runner.workspaceRoot(), std::chrono::seconds(5)));
        CPPUNIT_ASSERT(!processAlive(git));
        for (int i = 0;
             i < 100 && runner.log().find("Lost the lease on execution " + id) == std::string::npos;
             ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }

        CPPUNIT_ASSERT(runner.log().find("Lost the lease on execution " + id +
                                         " (cloning acme/widgets)") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("running"),
                             column(db, "select status from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("another-runner"),
                             column(db, "select claimed_by from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("(null)"),
                             column(db, "select error from syn.executions where id = $1", id));
        CPPUNIT_ASSERT_EQUAL(std::string("0"),
                             column(db,
                                    "select count(*) from syn.execution_events where execution_id "
                                    "= $1 and event <> 'claimed'",
                                    id));
        CPPUNIT_ASSERT(!containsAnything(fs::path(runner.workspace(id)) / "repos"));
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(CloneInterruptTest, "clone_interrupt");

class CloneInterruptApiTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CloneInterruptApiTest);
    CPPUNIT_TEST(cancelStopsHangingClone);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override { prepareApiTest(); }

    void cancelStopsHangingClone() {
        SilentServer server;
        HttpClient client;
        std::vector<std::string> settings = hangingCloneSettings(server);
        settings.push_back(std::string("runner.workflows=") + kApiWorkflowId);
        RunnerProcess runner("api-clone-cancel", {fixtureAgent("sleep.sh"), "0"}, settings,
                             stackRunnerDatabaseUrl());
        std::string id = executeApiWorkflow(
            client, R"({"task": "the cancelled clone", "repos": ["acme/widgets"]})");
        pid_t git = waitForGitUnder(runner.workspaceRoot());
        CPPUNIT_ASSERT(git > 0);
        CPPUNIT_ASSERT_EQUAL(std::string("running"), field(fetchStatus(client, id), "status"));

        auto requested = Clock::now();
        HttpResponse response = postControl(client, id, "cancel", "test request");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);
        CPPUNIT_ASSERT_EQUAL(std::string("running"), field(response.json(), "state"));

        Poco::JSON::Object::Ptr status =
            waitForApiStatus(client, id, "cancelled", std::chrono::seconds(10));
        auto elapsed = Clock::now() - requested;
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), field(status, "status"));
        // The runner reads the stop request every 50 ms. The bound is generous
        // for busy machines.
        CPPUNIT_ASSERT(elapsed < std::chrono::seconds(3));
        CPPUNIT_ASSERT_EQUAL(std::string("Cancelled by request while cloning acme/widgets: "
                                         "test request"),
                             field(status, "error"));
        CPPUNIT_ASSERT_EQUAL(std::string("(null)"), field(status, "current_phase"));
        CPPUNIT_ASSERT_EQUAL(std::string("0"), field(status, "completed_phases"));
        CPPUNIT_ASSERT(field(status, "completed_at") != "(null)");
        CPPUNIT_ASSERT_EQUAL(size_t(0),
                             waitForNoGitUnder(runner.workspaceRoot(), std::chrono::seconds(2)));
        CPPUNIT_ASSERT(!processAlive(git));
        CPPUNIT_ASSERT(!containsAnything(fs::path(runner.workspace(id)) / "repos"));

        Poco::JSON::Object::Ptr detail = fetchDetail(client, id);
        for (const char* phaseId : {"plan", "build", "check"}) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(phaseId, std::string("cancelled"),
                                         field(phaseOf(detail, phaseId), "status"));
        }
        TestDatabase database;
        CPPUNIT_ASSERT_EQUAL(0LL, database.scalar("select count(*) from syn.executions where id "
                                                  "= $1 and lease_token is not null",
                                                  {id}));
        CPPUNIT_ASSERT_EQUAL(0LL, database.scalar("select count(*) from syn.execution_phases "
                                                  "where execution_id = $1 and runs > 0",
                                                  {id}));

        // The runner's only slot is free again and runs the next execution.
        std::string next = executeApiWorkflow(client, R"({"task": "the next task"})");
        Poco::JSON::Object::Ptr nextStatus = waitForApiStatus(client, next, "completed");
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), field(nextStatus, "status"));
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(CloneInterruptApiTest, "clone_interrupt");
