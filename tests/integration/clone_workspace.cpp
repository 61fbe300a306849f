// Integration tests of syn-runner cloning an execution's repositories before
// its first phase, against bare repositories built at test time and reached
// through file:// URLs, and of the workspace retention after the run.
#include <cppunit/extensions/HelperMacros.h>

#include "../fixtures/bare_repository.h"
#include "../fixtures/silent_server.h"
#include "runner_harness.h"

using namespace syn::test::runner;
using syn::testing::BareRepository;
using syn::testing::SilentServer;
using syn::testing::TemporaryDirectory;

namespace fs = std::filesystem;

namespace {

constexpr const char* kToken = "ghp_integrationToken0123456789";

std::string text(syn::pg::Connection& db, const std::string& sql, const std::string& id) {
    syn::pg::Result result = db.execute(sql, {id});
    if (result.rows() == 0 || result.isNull(0, 0)) {
        return "(none)";
    }
    return std::string(result.text(0, 0));
}

// Inserts a pending execution that names `repos`, with one phase, in one
// transaction so that no runner claims it before its phase exists.
void insertWithRepos(syn::pg::Connection& db, const std::string& executionId,
                     const std::vector<std::string>& repos, const std::string& prompt) {
    db.execute("begin");
    db.execute(
        "insert into syn.executions (id, workflow_id, task, repos, total_phases) "
        "values ($1, 'runner-test', 'the test task', $2::text[], 1)",
        {executionId, syn::pg::arrayLiteral(repos)});
    db.execute(
        "insert into syn.execution_phases "
        "(execution_id, phase_id, position, name, prompt_template, timeout_seconds) "
        "values ($1, 'read', 0, 'Read', $2, 30)",
        {executionId, prompt});
    db.execute("select pg_notify('syn_execution_queued', $1)", {executionId});
    db.execute("commit");
}

}  // namespace

class CloneWorkspaceTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CloneWorkspaceTest);
    CPPUNIT_TEST(severalRepositoriesCloned);
    CPPUNIT_TEST(workflowReposAtRef);
    CPPUNIT_TEST(missingRepositoryFailsExecution);
    CPPUNIT_TEST(hangingCloneTimesOut);
    CPPUNIT_TEST(tokenNeverWritten);
    CPPUNIT_TEST(escapingRepositoryRejected);
    CPPUNIT_TEST(completedWorkspaceDeleted);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override {
        recreateDatabase();
        remotes_ = std::make_unique<TemporaryDirectory>();
        fs::permissions(remotes_->path(),
                        fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
        BareRepository widgets(remotes_->path(), "acme", "widgets");
        widgets.commit({{"AGENTS.md", "acme widgets rules\n"}}, "Add agent rules");
        widgets.branch("release");
        widgets.commit({{"release.txt", "1.0\n"}}, "Prepare the release");
        BareRepository otherWidgets(remotes_->path(), "other", "widgets");
        otherWidgets.commit({{"CLAUDE.md", "other widgets rules\n"}}, "Add Claude rules");
        BareRepository gadgets(remotes_->path(), "acme", "gadgets");
        gadgets.commit({{"README.md", "gadgets\n"}}, "Add the readme");
    }

    void tearDown() override { remotes_.reset(); }

    void severalRepositoriesCloned() {
        syn::pg::Connection db(runnerDatabaseUrl());
        RunnerProcess runner("clone-several", {fixtureAgent("print_repos.sh")}, keepSettings());
        const std::string id = "exec-00000000c001";
        insertWithRepos(db, id, {"acme/widgets", "other/widgets", "acme/gadgets"},
                        "First repository: {{repo_url}}");

        CPPUNIT_ASSERT_EQUAL(std::string("completed"), waitForStatus(db, id, "completed"));
        fs::path workspace = runner.workspace(id);
        fs::path acme = workspace / "repos" / "acme-widgets";
        fs::path other = workspace / "repos" / "other-widgets";
        fs::path gadgets = workspace / "repos" / "gadgets";
        CPPUNIT_ASSERT(fs::exists(acme / "AGENTS.md"));
        CPPUNIT_ASSERT(fs::exists(other / "CLAUDE.md"));
        CPPUNIT_ASSERT(fs::exists(gadgets / "README.md"));

        std::string output =
            text(db, "select output from syn.execution_phases where execution_id = $1", id);
        CPPUNIT_ASSERT(output.find("First repository: " + acme.string()) != std::string::npos);
        CPPUNIT_ASSERT(output.find("SYN_REPOS=" + acme.string() + "\n" + other.string() + "\n" +
                                   gadgets.string()) != std::string::npos);

        std::string agents = readFile(workspace / "AGENTS.md");
        std::string claude = readFile(workspace / "CLAUDE.md");
        CPPUNIT_ASSERT(agents.find("repos/acme-widgets/AGENTS.md") != std::string::npos);
        CPPUNIT_ASSERT(agents.find("repos/other-widgets/CLAUDE.md") != std::string::npos);
        CPPUNIT_ASSERT(claude.find("@repos/acme-widgets/AGENTS.md") != std::string::npos);
        CPPUNIT_ASSERT(claude.find("@repos/other-widgets/CLAUDE.md") != std::string::npos);
    }

    void workflowReposAtRef() {
        syn::pg::Connection db(runnerDatabaseUrl());
        db.execute(
            "update syn.workflows set repository_url = 'https://github.com/{{owner}}/widgets', "
            "repository_ref = 'release' where id = 'runner-test'");
        RunnerProcess runner("clone-ref", {fixtureAgent("print_repos.sh")}, keepSettings());
        const std::string id = "exec-00000000c002";
        db.execute("begin");
        db.execute(
            "insert into syn.executions (id, workflow_id, inputs, total_phases) "
            "values ($1, 'runner-test', '{\"owner\": \"acme\"}', 1)",
            {id});
        db.execute(
            "insert into syn.execution_phases "
            "(execution_id, phase_id, position, name, prompt_template, timeout_seconds) "
            "values ($1, 'read', 0, 'Read', 'Read {{repo_url}}', 30)",
            {id});
        db.execute("select pg_notify('syn_execution_queued', $1)", {id});
        db.execute("commit");

        CPPUNIT_ASSERT_EQUAL(std::string("completed"), waitForStatus(db, id, "completed"));
        CPPUNIT_ASSERT(fs::exists(fs::path(runner.workspace(id)) / "repos/widgets/release.txt"));
    }

    void missingRepositoryFailsExecution() {
        syn::pg::Connection db(runnerDatabaseUrl());
        RunnerProcess runner("clone-missing", {fixtureAgent("print_repos.sh")}, keepSettings());
        const std::string id = "exec-00000000c003";
        insertWithRepos(db, id, {"acme/widgets", "acme/missing"}, "Read");

        CPPUNIT_ASSERT_EQUAL(std::string("failed"), waitForStatus(db, id, "failed"));
        std::string error = text(db, "select error from syn.executions where id = $1", id);
        CPPUNIT_ASSERT_MESSAGE(error, error.starts_with("Cloning acme/missing failed: fatal: "));
        CPPUNIT_ASSERT_EQUAL(
            std::string("0"),
            text(db, "select runs from syn.execution_phases where execution_id = $1", id));
        CPPUNIT_ASSERT(!fs::exists(fs::path(runner.workspace(id)) / "repos" / "missing"));
        CPPUNIT_ASSERT(fs::exists(fs::path(runner.workspace(id)) / "repos" / "widgets"));
    }

    void hangingCloneTimesOut() {
        SilentServer server;
        syn::pg::Connection db(runnerDatabaseUrl());
        std::vector<std::string> settings = keepSettings();
        settings.push_back("git.url_template=" + server.urlTemplate());
        settings.push_back("git.timeout_seconds=1");
        RunnerProcess runner("clone-hang", {fixtureAgent("print_repos.sh")}, settings);
        const std::string id = "exec-00000000c004";
        insertWithRepos(db, id, {"acme/widgets"}, "Read");

        CPPUNIT_ASSERT_EQUAL(std::string("failed"), waitForStatus(db, id, "failed"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("Cloning acme/widgets failed: git timed out after 1 seconds "
                        "(git.timeout_seconds)"),
            text(db, "select error from syn.executions where id = $1", id));
        fs::path repos = fs::path(runner.workspace(id)) / "repos";
        CPPUNIT_ASSERT(!fs::exists(repos) || fs::is_empty(repos));
    }

    void tokenNeverWritten() {
        TemporaryDirectory secrets;
        fs::path tokenFile = secrets.path() / "token";
        std::ofstream(tokenFile) << kToken << "\n";
        syn::pg::Connection db(runnerDatabaseUrl());
        std::vector<std::string> settings = keepSettings();
        settings.push_back("git.token_file=" + tokenFile.string());
        RunnerProcess runner("clone-token", {fixtureAgent("print_repos.sh")}, settings);
        const std::string id = "exec-00000000c005";
        insertWithRepos(db, id, {"acme/widgets"}, "Read");
        const std::string failedId = "exec-00000000c006";
        insertWithRepos(db, failedId, {"acme/missing"}, "Read");

        CPPUNIT_ASSERT_EQUAL(std::string("completed"), waitForStatus(db, id, "completed"));
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), waitForStatus(db, failedId, "failed"));
        CPPUNIT_ASSERT(!syn::testing::treeContains(runner.workspace(id), kToken));
        CPPUNIT_ASSERT(!syn::testing::treeContains(runner.workspace(failedId), kToken));
        CPPUNIT_ASSERT(runner.log().find(kToken) == std::string::npos);
        for (const char* sql :
             {"select count(*) from syn.executions where strpos(coalesce(error, ''), $1) > 0",
              "select count(*) from syn.execution_phases where "
              "strpos(coalesce(output, '') || coalesce(error, ''), $1) > 0",
              "select count(*) from syn.execution_events where strpos(detail::text, $1) > 0"}) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(sql, std::string("0"), text(db, sql, kToken));
        }
    }

    void escapingRepositoryRejected() {
        syn::pg::Connection db(runnerDatabaseUrl());
        RunnerProcess runner("clone-escape", {fixtureAgent("print_repos.sh")}, keepSettings());
        const std::string id = "exec-00000000c007";
        // The API rejects such entries with 422; this row bypasses it.
        insertWithRepos(db, id, {"acme/widgets", "../../etc"}, "Read");

        CPPUNIT_ASSERT_EQUAL(std::string("failed"), waitForStatus(db, id, "failed"));
        std::string error = text(db, "select error from syn.executions where id = $1", id);
        CPPUNIT_ASSERT_MESSAGE(
            error, error.starts_with("Invalid repository entry '../../etc' for execution"));
        CPPUNIT_ASSERT(!fs::exists(fs::path(runner.workspace(id)) / "repos"));
    }

    void completedWorkspaceDeleted() {
        syn::pg::Connection db(runnerDatabaseUrl());
        RunnerProcess runner("clone-retention", {fixtureAgent("print_repos.sh")},
                             {"git.url_template=" + urlTemplate(),
                              "workspace.keep_completed_days=0", "workspace.keep_failed_days=7"});
        const std::string completedId = "exec-00000000c008";
        const std::string failedId = "exec-00000000c009";
        insertWithRepos(db, completedId, {"acme/widgets"}, "Read");
        insertWithRepos(db, failedId, {"acme/missing"}, "Read");

        CPPUNIT_ASSERT_EQUAL(std::string("completed"), waitForStatus(db, completedId, "completed"));
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), waitForStatus(db, failedId, "failed"));
        // The runner deletes the workspace right after recording the final status.
        for (int i = 0; i < 100 && fs::exists(runner.workspace(completedId)); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        CPPUNIT_ASSERT(!fs::exists(runner.workspace(completedId)));
        CPPUNIT_ASSERT(fs::exists(runner.workspace(failedId)));
    }

  private:
    std::string urlTemplate() const {
        return "file://" + remotes_->path().string() + "/{owner}/{name}.git";
    }

    std::vector<std::string> keepSettings() const {
        return {"git.url_template=" + urlTemplate(), "workspace.keep_completed_days=1"};
    }

    static std::string readFile(const fs::path& path) {
        std::ifstream file(path);
        return std::string((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
    }

    std::unique_ptr<TemporaryDirectory> remotes_;
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(CloneWorkspaceTest, "clone_workspace");
