// POST /workflows/{workflow_id}/execute: success, domain errors, idempotency.
#include <cppunit/extensions/HelperMacros.h>
#include <unistd.h>

#include <ctime>
#include <memory>
#include <regex>
#include <string>

#include "support/api_checks.h"
#include "support/http_client.h"
#include "support/test_database.h"

using syn::test::HttpClient;
using syn::test::HttpResponse;
using syn::test::TestDatabase;

class ApiExecuteTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ApiExecuteTest);
    CPPUNIT_TEST(executeStoresExecutionAndPhases);
    CPPUNIT_TEST(executeMergesDefaultsInputsAndTask);
    CPPUNIT_TEST(executeUnknownWorkflow);
    CPPUNIT_TEST(executeArchivedWorkflow);
    CPPUNIT_TEST(executeRejectsRepositoryInputKeys);
    CPPUNIT_TEST(executeRejectsInvalidRepositoryEntry);
    CPPUNIT_TEST(executeAcceptsRepositoryForms);
    CPPUNIT_TEST(executeReportsMissingInputs);
    CPPUNIT_TEST(executeEmptyStringCountsAsPresent);
    CPPUNIT_TEST(executeRequiresRepository);
    CPPUNIT_TEST(executeRepositoryUrlRendersEmpty);
    CPPUNIT_TEST(executeRepositoryUrlFromInput);
    CPPUNIT_TEST(executeRepositoryUrlMissingInput);
    CPPUNIT_TEST(executeRepositoryUrlRendersInvalid);
    CPPUNIT_TEST(idempotencyKeyReturnsFirstExecution);
    CPPUNIT_TEST(idempotencyKeyIsPerWorkflow);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override {
        syn::test::installFixtureWorkflows();
        database_ = std::make_unique<TestDatabase>();
    }

    void executeStoresExecutionAndPhases() {
        HttpResponse response = client_.postJson("/workflows/it-basic/execute",
                                                 R"({"inputs": {"topic": "owls"}, "task": "t"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);

        Poco::JSON::Object::Ptr body = response.json();
        std::string id = body->getValue<std::string>("execution_id");
        CPPUNIT_ASSERT_MESSAGE(id, std::regex_match(id, std::regex("exec-[0-9a-f]{12}")));
        CPPUNIT_ASSERT_EQUAL(std::string("it-basic"), body->getValue<std::string>("workflow_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("started"), body->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("Workflow execution started"),
                             body->getValue<std::string>("message"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), body->size());

        CPPUNIT_ASSERT_EQUAL(1LL,
                             database_->scalar("select count(*) from syn.executions where id = "
                                               "$1 and workflow_id = 'it-basic' and "
                                               "total_phases = 2",
                                               {id}));
        syn::pg::Result phases = database_->query(
            "select phase_id from syn.execution_phases where execution_id = $1 order by position",
            {id});
        CPPUNIT_ASSERT_EQUAL(2, phases.rows());
        CPPUNIT_ASSERT_EQUAL(std::string("draft"), std::string(phases.text(0, 0)));
        CPPUNIT_ASSERT_EQUAL(std::string("review"), std::string(phases.text(1, 0)));
    }

    void executeMergesDefaultsInputsAndTask() {
        std::string id = syn::test::startExecution(
            client_, "it-basic", R"({"inputs": {"topic": "owls", "extra": "x"}, "task": "go"})");

        syn::pg::Result row = database_->query(
            "select inputs->>'topic', inputs->>'style', inputs->>'extra', inputs->>'task', task "
            "from syn.executions where id = $1",
            {id});
        CPPUNIT_ASSERT_EQUAL(1, row.rows());
        CPPUNIT_ASSERT_EQUAL(std::string("owls"), std::string(row.text(0, 0)));
        CPPUNIT_ASSERT_EQUAL(std::string("plain"), std::string(row.text(0, 1)));
        CPPUNIT_ASSERT_EQUAL(std::string("x"), std::string(row.text(0, 2)));
        CPPUNIT_ASSERT_EQUAL(std::string("go"), std::string(row.text(0, 3)));
        CPPUNIT_ASSERT_EQUAL(std::string("go"), std::string(row.text(0, 4)));
    }

    void executeUnknownWorkflow() {
        auto before = database_->snapshot();
        HttpResponse response = client_.postJson("/workflows/it-missing/execute", "{}");
        SYN_ASSERT_DETAIL(response, 404, "Workflow it-missing not found");
        CPPUNIT_ASSERT_EQUAL(before.describe(), database_->snapshot().describe());
    }

    void executeArchivedWorkflow() {
        database_->query("update syn.workflows set archived_at = now() where id = 'it-archived'");
        auto before = database_->snapshot();
        HttpResponse response = client_.postJson("/workflows/it-archived/execute", "{}");
        SYN_ASSERT_DETAIL(response, 404, "Workflow it-archived not found");
        CPPUNIT_ASSERT_EQUAL(before.describe(), database_->snapshot().describe());
    }

    void executeRejectsRepositoryInputKeys() {
        auto before = database_->snapshot();
        HttpResponse one = client_.postJson("/workflows/it-simple/execute",
                                            R"({"inputs": {"repository": "a/b"}})");
        SYN_ASSERT_DETAIL(one, 422,
                          "'repository' is not a valid input key. Pass repositories in the "
                          "typed 'repos' array.");

        HttpResponse both = client_.postJson("/workflows/it-simple/execute",
                                             R"({"inputs": {"repository": "a/b", "repos": "c"}})");
        SYN_ASSERT_DETAIL(both, 422,
                          "'repos', 'repository' is not a valid input key. Pass repositories in "
                          "the typed 'repos' array.");
        CPPUNIT_ASSERT_EQUAL(before.describe(), database_->snapshot().describe());
    }

    void executeRejectsInvalidRepositoryEntry() {
        auto before = database_->snapshot();
        for (const char* entry :
             {"owner", "owner/", "/name", "owner/name/extra", "./name", "owner/..",
              "https://gitlab.com/owner/name", "own er/name", "ftp://github.com/owner/name", ""}) {
            std::string body = "{\"repos\": [\"" + std::string(entry) + "\"]}";
            HttpResponse response = client_.postJson("/workflows/it-simple/execute", body);
            SYN_ASSERT_DETAIL(response, 422,
                              "Invalid repository entry '" + std::string(entry) +
                                  "': Expected 'owner/repo' or 'https://github.com/owner/repo'.");
        }
        CPPUNIT_ASSERT_EQUAL(before.describe(), database_->snapshot().describe());
    }

    void executeAcceptsRepositoryForms() {
        std::string id = syn::test::startExecution(
            client_, "it-repos",
            R"({"repos": ["a/b", "https://github.com/c/d", "https://github.com/e/f.git",
                          "http://github.com/g/h/", "i.j/k_l-m"]})");
        syn::pg::Result row =
            database_->query("select cardinality(repos) from syn.executions where id = $1", {id});
        CPPUNIT_ASSERT_EQUAL(5LL, row.integer(0, 0));
    }

    void executeReportsMissingInputs() {
        auto before = database_->snapshot();
        HttpResponse response = client_.postJson("/workflows/it-basic/execute", "{}");
        SYN_ASSERT_DETAIL(response, 422, "Missing required inputs: topic.");
        CPPUNIT_ASSERT_EQUAL(before.describe(), database_->snapshot().describe());
    }

    void executeEmptyStringCountsAsPresent() {
        std::string id =
            syn::test::startExecution(client_, "it-basic", R"({"inputs": {"topic": ""}})");
        CPPUNIT_ASSERT_EQUAL(
            1LL, database_->scalar("select count(*) from syn.executions where id = $1", {id}));
    }

    void executeRequiresRepository() {
        auto before = database_->snapshot();
        HttpResponse response = client_.postJson("/workflows/it-repos/execute", "{}");
        SYN_ASSERT_DETAIL(response, 422,
                          "Workflow it-repos requires at least one repository in 'repos'.");
        CPPUNIT_ASSERT_EQUAL(before.describe(), database_->snapshot().describe());
    }

    void executeRepositoryUrlRendersEmpty() {
        auto before = database_->snapshot();
        HttpResponse response = client_.postJson("/workflows/it-repo-template/execute",
                                                 R"({"inputs": {"source": "  "}})");
        SYN_ASSERT_DETAIL(response, 422,
                          "Workflow it-repo-template requires at least one repository in 'repos'.");
        CPPUNIT_ASSERT_EQUAL(before.describe(), database_->snapshot().describe());

        response = client_.postJson("/workflows/it-repo-template/execute", "{}");
        SYN_ASSERT_DETAIL(response, 422,
                          "Workflow it-repo-template requires at least one repository in 'repos'.");
        CPPUNIT_ASSERT_EQUAL(before.describe(), database_->snapshot().describe());
    }

    void executeRepositoryUrlFromInput() {
        std::string id = syn::test::startExecution(client_, "it-repo-template",
                                                   R"({"inputs": {"source": "acme/widgets"}})");
        CPPUNIT_ASSERT_EQUAL(
            1LL, database_->scalar("select count(*) from syn.executions where id = $1", {id}));
        id =
            syn::test::startExecution(client_, "it-repo-owner", R"({"inputs": {"owner": "acme"}})");
        CPPUNIT_ASSERT_EQUAL(
            1LL, database_->scalar("select count(*) from syn.executions where id = $1", {id}));
    }

    void executeRepositoryUrlMissingInput() {
        auto before = database_->snapshot();
        HttpResponse response = client_.postJson("/workflows/it-repo-owner/execute", "{}");
        SYN_ASSERT_DETAIL(response, 422,
                          "The repository URL of workflow it-repo-owner uses {{owner}}, but the "
                          "execution has no input 'owner'; pass it in the request's inputs");
        CPPUNIT_ASSERT_EQUAL(before.describe(), database_->snapshot().describe());
    }

    void executeRepositoryUrlRendersInvalid() {
        auto before = database_->snapshot();
        HttpResponse response = client_.postJson("/workflows/it-repo-template/execute",
                                                 R"({"inputs": {"source": "acme/.."}})");
        SYN_ASSERT_DETAIL(response, 422,
                          "Invalid repository entry 'acme/..': Expected 'owner/repo' or "
                          "'https://github.com/owner/repo'.");
        CPPUNIT_ASSERT_EQUAL(before.describe(), database_->snapshot().describe());
    }

    void idempotencyKeyReturnsFirstExecution() {
        std::string key =
            "it-key-" + std::to_string(::time(nullptr)) + "-" + std::to_string(::getpid());
        syn::test::Headers headers = {{"Idempotency-Key", key}};
        std::string first = syn::test::startExecution(client_, "it-simple", "{}", headers);
        auto before = database_->snapshot();

        HttpResponse repeat =
            client_.postJson("/workflows/it-simple/execute", "{\"task\": \"other\"}", headers);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(repeat.body, 200, repeat.status);
        CPPUNIT_ASSERT_EQUAL(first, repeat.json()->getValue<std::string>("execution_id"));
        CPPUNIT_ASSERT_EQUAL(before.describe(), database_->snapshot().describe());
        CPPUNIT_ASSERT_EQUAL(1LL, database_->scalar("select count(*) from syn.executions where "
                                                    "idempotency_key = $1",
                                                    {key}));
    }

    void idempotencyKeyIsPerWorkflow() {
        std::string key =
            "it-shared-" + std::to_string(::time(nullptr)) + "-" + std::to_string(::getpid());
        syn::test::Headers headers = {{"Idempotency-Key", key}};
        std::string simple = syn::test::startExecution(client_, "it-simple", "{}", headers);
        std::string basic = syn::test::startExecution(client_, "it-basic",
                                                      R"({"inputs": {"topic": "t"}})", headers);
        CPPUNIT_ASSERT(simple != basic);
    }

  private:
    HttpClient client_;
    std::unique_ptr<TestDatabase> database_;
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(ApiExecuteTest, "api_execute");
