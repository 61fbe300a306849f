// Reading executions: status by id or prefix, the active list, the wider
// execution endpoints, and cancel, pause and resume.
#include <cppunit/extensions/HelperMacros.h>

#include <cstdio>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include "support/api_checks.h"
#include "support/http_client.h"
#include "support/test_database.h"

using syn::test::HttpClient;
using syn::test::HttpResponse;
using syn::test::startExecution;
using syn::test::TestDatabase;

class ApiExecutionsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ApiExecutionsTest);
    CPPUNIT_TEST(statusOfNewExecution);
    CPPUNIT_TEST(statusUnknownExecution);
    CPPUNIT_TEST(statusOfOtherWorkflow);
    CPPUNIT_TEST(prefixResolvesUniqueMatch);
    CPPUNIT_TEST(prefixAmbiguityIsConflict);
    CPPUNIT_TEST(prefixTooShortIsNotFound);
    CPPUNIT_TEST(activeListFiltersThenLimits);
    CPPUNIT_TEST(pendingHidesStoredStartedAt);
    CPPUNIT_TEST(executionDetailListsPhases);
    CPPUNIT_TEST(executionListFiltersByWorkflow);
    CPPUNIT_TEST(controlActionsFollowStates);
    CPPUNIT_TEST(controlUnknownExecution);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override {
        syn::test::installFixtureWorkflows();
        database_ = std::make_unique<TestDatabase>();
    }

    void tearDown() override {
        if (database_ && !insertedPrefix_.empty()) {
            database_->query("delete from syn.executions where id like $1",
                             {insertedPrefix_ + "%"});
        }
    }

    void statusOfNewExecution() {
        std::string id = startExecution(client_, "it-basic", R"({"inputs": {"topic": "t"}})");
        HttpResponse response = client_.get("/workflows/it-basic/executions/" + id);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);

        Poco::JSON::Object::Ptr body = response.json();
        CPPUNIT_ASSERT_EQUAL(std::size_t(9), body->size());
        CPPUNIT_ASSERT_EQUAL(id, body->getValue<std::string>("execution_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("it-basic"), body->getValue<std::string>("workflow_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), body->getValue<std::string>("status"));
        CPPUNIT_ASSERT(body->isNull("current_phase"));
        CPPUNIT_ASSERT_EQUAL(0, body->getValue<int>("completed_phases"));
        CPPUNIT_ASSERT_EQUAL(2, body->getValue<int>("total_phases"));
        CPPUNIT_ASSERT(body->isNull("started_at"));
        CPPUNIT_ASSERT(body->isNull("completed_at"));
        CPPUNIT_ASSERT(body->isNull("error"));
    }

    void statusUnknownExecution() {
        HttpResponse response = client_.get("/workflows/it-basic/executions/exec-ffffffffffff");
        SYN_ASSERT_DETAIL(response, 404, "Execution exec-ffffffffffff not found");
    }

    void statusOfOtherWorkflow() {
        std::string id = startExecution(client_, "it-simple");
        HttpResponse response = client_.get("/workflows/it-basic/executions/" + id);
        SYN_ASSERT_DETAIL(response, 404, "Execution " + id + " not found for workflow it-basic");
    }

    void prefixResolvesUniqueMatch() {
        std::string prefix = insertPair();
        HttpResponse response = client_.get("/workflows/it-simple/executions/" + prefix + "a");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);
        CPPUNIT_ASSERT_EQUAL(prefix + "aaaa",
                             response.json()->getValue<std::string>("execution_id"));

        HttpResponse full = client_.get("/workflows/it-simple/executions/" + prefix + "bbbb");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(full.body, 200, full.status);
        CPPUNIT_ASSERT_EQUAL(prefix + "bbbb", full.json()->getValue<std::string>("execution_id"));
    }

    void prefixAmbiguityIsConflict() {
        std::string prefix = insertPair();
        HttpResponse response = client_.get("/workflows/it-simple/executions/" + prefix);
        SYN_ASSERT_DETAIL(response, 409,
                          "Ambiguous execution id prefix '" + prefix + "' matches 2 executions.");

        // Four characters after "exec-" are enough to be looked up, and
        // insertPair made sure no other execution shares them.
        std::string shortest = prefix.substr(0, 9);
        HttpResponse four = client_.get("/workflows/it-simple/executions/" + shortest);
        SYN_ASSERT_DETAIL(four, 409,
                          "Ambiguous execution id prefix '" + shortest + "' matches 2 executions.");
    }

    void prefixTooShortIsNotFound() {
        std::string prefix = insertPair();
        std::string tooShort = prefix.substr(0, 8);
        HttpResponse response = client_.get("/workflows/it-simple/executions/" + tooShort);
        SYN_ASSERT_DETAIL(response, 404, "Execution " + tooShort + " not found");
    }

    void activeListFiltersThenLimits() {
        std::string oldest = startExecution(client_, "it-simple");
        std::string middle = startExecution(client_, "it-simple");
        std::string newest = startExecution(client_, "it-simple");
        database_->query(
            "update syn.executions set status = 'completed', completed_at = now() where id = $1",
            {newest});

        HttpResponse response = client_.get("/workflows/executions/active?limit=2");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);
        Poco::JSON::Array::Ptr list = response.jsonArray();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), list->size());
        CPPUNIT_ASSERT_EQUAL(middle, list->getObject(0)->getValue<std::string>("execution_id"));
        CPPUNIT_ASSERT_EQUAL(oldest, list->getObject(1)->getValue<std::string>("execution_id"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(9), list->getObject(0)->size());

        HttpResponse defaults = client_.get("/workflows/executions/active");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(defaults.body, 200, defaults.status);
        CPPUNIT_ASSERT(defaults.jsonArray()->size() <= 20);
    }

    // A released or resumed execution is pending again with started_at still
    // stored; every status output reports null until a runner claims it anew.
    void pendingHidesStoredStartedAt() {
        std::string id = startExecution(client_, "it-simple");
        database_->query("update syn.executions set started_at = now() where id = $1", {id});

        HttpResponse status = client_.get("/workflows/it-simple/executions/" + id);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(status.body, 200, status.status);
        CPPUNIT_ASSERT_MESSAGE(status.body, status.json()->isNull("started_at"));

        HttpResponse detail = client_.get("/executions/" + id);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(detail.body, 200, detail.status);
        CPPUNIT_ASSERT_MESSAGE(detail.body, detail.json()->isNull("started_at"));

        HttpResponse list = client_.get("/executions?workflow_id=it-simple&status=pending");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(list.body, 200, list.status);
        Poco::JSON::Object::Ptr listed = findById(list.json()->getArray("executions"), id);
        CPPUNIT_ASSERT_MESSAGE(list.body, listed);
        CPPUNIT_ASSERT_MESSAGE(list.body, listed->isNull("started_at"));

        HttpResponse active = client_.get("/workflows/executions/active?limit=100");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(active.body, 200, active.status);
        Poco::JSON::Object::Ptr activeEntry = findById(active.jsonArray(), id);
        CPPUNIT_ASSERT_MESSAGE(active.body, activeEntry);
        CPPUNIT_ASSERT_MESSAGE(active.body, activeEntry->isNull("started_at"));

        CPPUNIT_ASSERT_EQUAL(1LL, database_->scalar("select count(*) from syn.executions"
                                                    " where id = $1 and started_at is not null",
                                                    {id}));
        database_->query("update syn.executions set status = 'paused' where id = $1", {id});
        HttpResponse paused = client_.get("/workflows/it-simple/executions/" + id);
        CPPUNIT_ASSERT_MESSAGE(paused.body, !paused.json()->isNull("started_at"));
    }

    void executionDetailListsPhases() {
        std::string id = startExecution(client_, "it-basic", R"({"inputs": {"topic": "t"}})");
        HttpResponse response = client_.get("/executions/" + id);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);

        Poco::JSON::Array::Ptr phases = response.json()->getArray("phases");
        CPPUNIT_ASSERT(phases);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), phases->size());
        CPPUNIT_ASSERT_EQUAL(std::string("draft"),
                             phases->getObject(0)->getValue<std::string>("phase_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("review"),
                             phases->getObject(1)->getValue<std::string>("phase_id"));
        for (const char* field :
             {"name", "status", "started_at", "completed_at", "exit_code", "error", "output"}) {
            CPPUNIT_ASSERT_MESSAGE(field, phases->getObject(0)->has(field));
        }

        SYN_ASSERT_DETAIL(client_.get("/executions/exec-ffffffffffff"), 404,
                          "Execution exec-ffffffffffff not found");
    }

    void executionListFiltersByWorkflow() {
        startExecution(client_, "it-repos", R"({"repos": ["a/b"]})");
        HttpResponse response = client_.get("/executions?workflow_id=it-repos&page_size=100");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 200, response.status);
        CPPUNIT_ASSERT(response.body.find("it-simple") == std::string::npos);
        CPPUNIT_ASSERT(response.body.find("it-repos") != std::string::npos);
    }

    void controlActionsFollowStates() {
        std::string id = startExecution(client_, "it-simple");
        SYN_ASSERT_DETAIL(client_.postJson("/executions/" + id + "/resume", "{}"), 409,
                          "Cannot resume execution in state pending");

        HttpResponse pause =
            client_.postJson("/executions/" + id + "/pause", R"({"reason": "checking"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(pause.body, 200, pause.status);
        CPPUNIT_ASSERT(pause.json()->getValue<bool>("success"));
        CPPUNIT_ASSERT_EQUAL(id, pause.json()->getValue<std::string>("execution_id"));

        HttpResponse cancel = client_.send("POST", "/executions/" + id + "/cancel");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(cancel.body, 200, cancel.status);
        CPPUNIT_ASSERT(cancel.json()->getValue<bool>("success"));

        std::string done = startExecution(client_, "it-simple");
        database_->query(
            "update syn.executions set status = 'completed', completed_at = now() where id = $1",
            {done});
        for (const char* action : {"cancel", "pause", "resume"}) {
            HttpResponse response = client_.postJson("/executions/" + done + "/" + action, "{}");
            SYN_ASSERT_DETAIL(response, 409,
                              "Cannot " + std::string(action) + " execution in state completed");
        }
    }

    void controlUnknownExecution() {
        HttpResponse response = client_.postJson("/executions/exec-ffffffffffff/cancel", "{}");
        SYN_ASSERT_DETAIL(response, 404, "Execution exec-ffffffffffff not found");
    }

  private:
    static Poco::JSON::Object::Ptr findById(const Poco::JSON::Array::Ptr& list,
                                            const std::string& id) {
        for (std::size_t i = 0; list && i < list->size(); ++i) {
            Poco::JSON::Object::Ptr entry = list->getObject(i);
            if (entry->getValue<std::string>("execution_id") == id) {
                return entry;
            }
        }
        return nullptr;
    }

    // Inserts two pending executions of it-simple whose ids share all but
    // their last four hex digits ("aaaa" and "bbbb"); returns the shared
    // prefix, "exec-" and eight digits, unused by any other execution.
    std::string insertPair() {
        std::mt19937_64 random(std::random_device{}());
        for (int attempt = 0; attempt < 100; ++attempt) {
            char digits[9];
            std::snprintf(digits, sizeof digits, "%08llx",
                          static_cast<unsigned long long>(random() & 0xffffffffULL));
            std::string prefix = std::string("exec-") + digits;
            if (database_->scalar("select count(*) from syn.executions where id like $1",
                                  {prefix.substr(0, 9) + "%"}) > 0) {
                continue;
            }
            insertedPrefix_ = prefix;
            for (const char* tail : {"aaaa", "bbbb"}) {
                database_->query(
                    "insert into syn.executions (id, workflow_id, total_phases) "
                    "values ($1, 'it-simple', 1)",
                    {prefix + tail});
            }
            return prefix;
        }
        throw std::runtime_error("found no unused execution id prefix in 100 attempts");
    }

    HttpClient client_;
    std::unique_ptr<TestDatabase> database_;
    std::string insertedPrefix_;
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(ApiExecutionsTest, "api_executions");
