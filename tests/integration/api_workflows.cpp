// GET /workflows, GET /workflows/{id} and POST /workflows.
#include <cppunit/extensions/HelperMacros.h>
#include <unistd.h>

#include <ctime>
#include <memory>
#include <string>

#include "support/api_checks.h"
#include "support/http_client.h"
#include "support/test_database.h"

using syn::test::HttpClient;
using syn::test::HttpResponse;
using syn::test::TestDatabase;

class ApiWorkflowsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ApiWorkflowsTest);
    CPPUNIT_TEST(listCountsAllMatches);
    CPPUNIT_TEST(listPagesThroughWorkflows);
    CPPUNIT_TEST(listHidesArchivedByDefault);
    CPPUNIT_TEST(getReturnsDefinition);
    CPPUNIT_TEST(getUnknownWorkflow);
    CPPUNIT_TEST(createThenDuplicate);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override {
        syn::test::installFixtureWorkflows();
        database_ = std::make_unique<TestDatabase>();
        database_->query("update syn.workflows set archived_at = now() where id = 'it-archived'");
    }

    void listCountsAllMatches() {
        HttpResponse response = client_.get("/workflows");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);
        Poco::JSON::Object::Ptr body = response.json();
        long long unarchived =
            database_->scalar("select count(*) from syn.workflows where archived_at is null");
        CPPUNIT_ASSERT_EQUAL(unarchived, body->getValue<long long>("total"));
        CPPUNIT_ASSERT_EQUAL(1, body->getValue<int>("page"));
        CPPUNIT_ASSERT_EQUAL(20, body->getValue<int>("page_size"));
        CPPUNIT_ASSERT(body->getArray("workflows"));
    }

    void listPagesThroughWorkflows() {
        long long total =
            database_->scalar("select count(*) from syn.workflows where archived_at is null");
        CPPUNIT_ASSERT(total >= 3);

        HttpResponse first = client_.get("/workflows?page=1&page_size=1");
        HttpResponse second = client_.get("/workflows?page=2&page_size=1");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(first.body, 200, first.status);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(second.body, 200, second.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), first.json()->getArray("workflows")->size());
        CPPUNIT_ASSERT_EQUAL(total, first.json()->getValue<long long>("total"));
        CPPUNIT_ASSERT(toJson(first.json()->getArray("workflows")) !=
                       toJson(second.json()->getArray("workflows")));

        HttpResponse beyond = client_.get("/workflows?page=1000&page_size=100");
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), beyond.json()->getArray("workflows")->size());
        CPPUNIT_ASSERT_EQUAL(total, beyond.json()->getValue<long long>("total"));
    }

    void listHidesArchivedByDefault() {
        HttpResponse hidden = client_.get("/workflows?page_size=100");
        CPPUNIT_ASSERT(hidden.body.find("\"it-archived\"") == std::string::npos);
        HttpResponse shown = client_.get("/workflows?page_size=100&include_archived=true");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown.body, 200, shown.status);
        CPPUNIT_ASSERT(shown.body.find("\"it-archived\"") != std::string::npos);
    }

    void getReturnsDefinition() {
        HttpResponse response = client_.get("/workflows/it-basic");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);
        Poco::JSON::Object::Ptr body = response.json();
        CPPUNIT_ASSERT_EQUAL(std::string("it-basic"), body->getValue<std::string>("id"));
        CPPUNIT_ASSERT_EQUAL(std::string("Integration basic"), body->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), body->getArray("phases")->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), body->getArray("inputs")->size());
    }

    void getUnknownWorkflow() {
        SYN_ASSERT_DETAIL(client_.get("/workflows/it-missing"), 404,
                          "Workflow it-missing not found");
    }

    void createThenDuplicate() {
        std::string id =
            "it-created-" + std::to_string(::time(nullptr)) + "-" + std::to_string(::getpid());
        std::string definition = R"({"id": ")" + id + R"(", "name": "Created by a test",
            "description": "Posted as JSON.",
            "inputs": [{"name": "topic", "description": "Topic.", "required": true}],
            "phases": [{"id": "one", "name": "One", "order": 1,
                        "prompt_template": "Write about {{topic}}.", "timeout_seconds": 30}]})";

        HttpResponse created = client_.postJson("/workflows", definition);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(created.body, 201, created.status);
        CPPUNIT_ASSERT_EQUAL(1LL, database_->scalar("select count(*) from syn.workflow_phases "
                                                    "where workflow_id = $1",
                                                    {id}));

        auto before = database_->snapshot();
        HttpResponse duplicate = client_.postJson("/workflows", definition);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(duplicate.body, 409, duplicate.status);
        CPPUNIT_ASSERT_MESSAGE(duplicate.body, !duplicate.detail().empty());
        CPPUNIT_ASSERT_EQUAL(before.describe(), database_->snapshot().describe());
    }

  private:
    static std::string toJson(const Poco::JSON::Array::Ptr& array) {
        return syn::test::toJson(array);
    }

    HttpClient client_;
    std::unique_ptr<TestDatabase> database_;
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(ApiWorkflowsTest, "api_workflows");
