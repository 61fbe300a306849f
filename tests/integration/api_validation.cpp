// Malformed and hostile request bodies and paths: each gets its documented
// answer and changes nothing in the database.
#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>

#include "support/api_checks.h"
#include "support/http_client.h"
#include "support/test_database.h"

using syn::test::findValidationError;
using syn::test::HttpClient;
using syn::test::HttpResponse;
using syn::test::TestDatabase;

class ApiValidationTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ApiValidationTest);
    CPPUNIT_TEST(missingBodyIsFieldRequired);
    CPPUNIT_TEST(invalidJsonIsJsonInvalid);
    CPPUNIT_TEST(nonObjectJsonIsRejected);
    CPPUNIT_TEST(nonJsonContentTypeIsRejected);
    CPPUNIT_TEST(jsonContentTypeVariantsAreAccepted);
    CPPUNIT_TEST(wrongFieldTypesAreReported);
    CPPUNIT_TEST(allShapeErrorsAreReportedTogether);
    CPPUNIT_TEST(extraKeyIsExtraForbidden);
    CPPUNIT_TEST(invalidUtf8IsRejected);
    CPPUNIT_TEST(invalidUtf8PathIsNotFound);
    CPPUNIT_TEST(invalidUtf8QueryIsStringUnicode);
    CPPUNIT_TEST(tenThousandInputKeys);
    CPPUNIT_TEST(sqlMetacharactersAreStoredVerbatim);
    CPPUNIT_TEST(sqlMetacharactersInWorkflowId);
    CPPUNIT_TEST(emptyAndLongWorkflowIds);
    CPPUNIT_TEST(percentEncodedSlashesStayInSegment);
    CPPUNIT_TEST(queryParametersAreValidated);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override {
        syn::test::installFixtureWorkflows();
        database_ = std::make_unique<TestDatabase>();
        before_ = database_->snapshot();
    }

    void missingBodyIsFieldRequired() {
        HttpResponse response = client_.postJson(path_, "");
        expectError(response, "missing", R"(["body"])");
        Poco::JSON::Object::Ptr entry = response.json()->getArray("detail")->getObject(0);
        CPPUNIT_ASSERT(entry->isNull("input"));
        expectUnchanged();
    }

    void invalidJsonIsJsonInvalid() {
        for (const char* body : {"{", "{\"task\": }", "nul", "{\"a\" 1}", "{\"task\": \"x\"} x"}) {
            HttpResponse response = client_.postJson(path_, body);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(body, 422, response.status);
            Poco::JSON::Object::Ptr entry = response.json()->getArray("detail")->getObject(0);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, std::string("json_invalid"),
                                         entry->getValue<std::string>("type"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, std::string("JSON decode error"),
                                         entry->getValue<std::string>("msg"));
            Poco::JSON::Array::Ptr loc = entry->getArray("loc");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, std::size_t(2), loc->size());
            CPPUNIT_ASSERT_EQUAL(std::string("body"), loc->getElement<std::string>(0));
            CPPUNIT_ASSERT_MESSAGE(response.body, loc->get(1).isInteger());
            CPPUNIT_ASSERT_MESSAGE(response.body, entry->getObject("ctx")->get("error").isString());
        }
        HttpResponse offset = client_.postJson(path_, "{\"task\": }");
        CPPUNIT_ASSERT_EQUAL(
            9,
            offset.json()->getArray("detail")->getObject(0)->getArray("loc")->getElement<int>(1));
        expectUnchanged();
    }

    void nonObjectJsonIsRejected() {
        for (const char* body : {"[]", "[{\"task\": \"x\"}]", "\"text\"", "1", "true"}) {
            expectError(client_.postJson(path_, body), "model_attributes_type", R"(["body"])");
        }
        expectUnchanged();
    }

    void nonJsonContentTypeIsRejected() {
        for (const char* type : {"text/plain", "application/x-www-form-urlencoded",
                                 "multipart/form-data; boundary=x", "application/jsonx"}) {
            HttpResponse response =
                client_.send("POST", path_, "{\"task\": \"x\"}", {{"Content-Type", type}});
            expectError(response, "model_attributes_type", R"(["body"])");
        }
        expectError(client_.send("POST", path_, "{\"task\": \"x\"}"), "model_attributes_type",
                    R"(["body"])");
        expectUnchanged();
    }

    void jsonContentTypeVariantsAreAccepted() {
        for (const char* type :
             {"application/json; charset=utf-8", "application/vnd.api+json", "Application/JSON"}) {
            HttpResponse response =
                client_.send("POST", path_, "{\"task\": \"x\"}", {{"Content-Type", type}});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(type) + ": " + response.body, 200,
                                         response.status);
        }
    }

    void wrongFieldTypesAreReported() {
        struct Case {
            const char* body;
            const char* type;
            const char* loc;
        };
        const Case cases[] = {
            {R"({"inputs": []})", "dict_type", R"(["body","inputs"])"},
            {R"({"inputs": "a=b"})", "dict_type", R"(["body","inputs"])"},
            {R"({"inputs": {"a": 1}})", "string_type", R"(["body","inputs","a"])"},
            {R"({"inputs": {"a": null}})", "string_type", R"(["body","inputs","a"])"},
            {R"({"inputs": {"a": {"b": "c"}}})", "string_type", R"(["body","inputs","a"])"},
            {R"({"task": 5})", "string_type", R"(["body","task"])"},
            {R"({"task": ["x"]})", "string_type", R"(["body","task"])"},
            {R"({"repos": "a/b"})", "list_type", R"(["body","repos"])"},
            {R"({"repos": {"a": "b"}})", "list_type", R"(["body","repos"])"},
            {R"({"repos": ["a/b", 1]})", "string_type", R"(["body","repos",1])"},
            {R"({"repos": [null]})", "string_type", R"(["body","repos",0])"},
            {R"({"provider": 1})", "string_type", R"(["body","provider"])"},
            {R"({"provider": null})", "string_type", R"(["body","provider"])"},
            {R"({"max_budget_usd": "abc"})", "float_parsing", R"(["body","max_budget_usd"])"},
            {R"({"max_budget_usd": []})", "float_type", R"(["body","max_budget_usd"])"},
            {R"({"max_budget_usd": {}})", "float_type", R"(["body","max_budget_usd"])"},
        };
        for (const Case& c : cases) {
            expectError(client_.postJson(path_, c.body), c.type, c.loc);
        }
        expectUnchanged();
    }

    void allShapeErrorsAreReportedTogether() {
        HttpResponse response =
            client_.postJson(path_, R"({"task": 5, "repos": "x", "foo": 1, "inputs": []})");
        expectError(response, "string_type", R"(["body","task"])");
        expectError(response, "list_type", R"(["body","repos"])");
        expectError(response, "extra_forbidden", R"(["body","foo"])");
        expectError(response, "dict_type", R"(["body","inputs"])");
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), response.json()->getArray("detail")->size());
        expectUnchanged();
    }

    void extraKeyIsExtraForbidden() {
        HttpResponse response = client_.postJson(path_, R"({"task": "x", "foo": 1})");
        expectError(response, "extra_forbidden", R"(["body","foo"])");
        Poco::JSON::Object::Ptr entry = response.json()->getArray("detail")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(1, entry->getValue<int>("input"));

        expectError(client_.postJson(path_, R"({"workflow_id": "it-basic"})"), "extra_forbidden",
                    R"(["body","workflow_id"])");
        expectUnchanged();
    }

    void invalidUtf8IsRejected() {
        for (std::string body :
             {std::string("{\"task\": \"\xff\xfe\"}"), std::string("{\"task\": \"\xc3\"}"),
              std::string("{\"inputs\": {\"\xed\xa0\x80\": \"x\"}}")}) {
            HttpResponse response = client_.postJson(path_, body);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, 422, response.status);
            CPPUNIT_ASSERT_MESSAGE(response.body, response.json()->getArray("detail"));
        }
        expectUnchanged();
    }

    // PostgreSQL rejects such ids as parameters, so they must stop before it.
    void invalidUtf8PathIsNotFound() {
        for (const char* path : {"/workflows/%FF", "/workflows/%C3", "/executions/exec-%FF00",
                                 "/workflows/it-simple/executions/%ED%A0%80"}) {
            SYN_ASSERT_DETAIL(client_.get(path), 404, "Not Found");
        }
        SYN_ASSERT_DETAIL(client_.postJson("/workflows/%FF/execute", "{}"), 404, "Not Found");
        SYN_ASSERT_DETAIL(client_.postJson("/executions/%FF/cancel", "{}"), 404, "Not Found");
        expectUnchanged();
    }

    void invalidUtf8QueryIsStringUnicode() {
        expectError(client_.get("/executions?workflow_id=%FF"), "string_unicode",
                    R"(["query","workflow_id"])");
        expectError(client_.get("/executions?status=%C3"), "string_unicode",
                    R"(["query","status"])");
        expectError(client_.get("/workflows/executions/active?limit=%FF"), "string_unicode",
                    R"(["query","limit"])");
        expectError(client_.get("/workflows?include_archived=%FF"), "string_unicode",
                    R"(["query","include_archived"])");
        expectUnchanged();
    }

    // The contract sets no limit on the number of inputs; either the request
    // is accepted and stores exactly one execution with every key, or it is
    // rejected with a 4xx and stores nothing.
    void tenThousandInputKeys() {
        std::string body = "{\"inputs\": {";
        for (int i = 0; i < 10000; ++i) {
            body += (i ? ",\"k" : "\"k") + std::to_string(i) + "\": \"v\"";
        }
        body += "}}";
        HttpResponse response = client_.postJson(path_, body);
        if (response.status == 200) {
            std::string id = response.json()->getValue<std::string>("execution_id");
            CPPUNIT_ASSERT_EQUAL(10000LL,
                                 database_->scalar("select count(*) from syn.executions, "
                                                   "jsonb_object_keys(inputs) where id = $1",
                                                   {id}));
            CPPUNIT_ASSERT_EQUAL(before_.executions + 1, database_->snapshot().executions);
        } else {
            CPPUNIT_ASSERT_MESSAGE(response.body, response.status >= 400 && response.status < 500);
            expectUnchanged();
        }
    }

    void sqlMetacharactersAreStoredVerbatim() {
        const std::string hostile = "x'); delete from syn.workflows; -- \" \\ $1 %s ;";
        Poco::JSON::Object::Ptr inputs = new Poco::JSON::Object;
        inputs->set(hostile, hostile);
        Poco::JSON::Object::Ptr request = new Poco::JSON::Object;
        request->set("inputs", inputs);
        request->set("task", hostile);
        request->set("provider", hostile);

        std::string id =
            syn::test::startExecution(client_, "it-simple", syn::test::toJson(request));
        syn::pg::Result row = database_->query(
            "select task, inputs->>$2, (select count(*) from syn.workflows) from syn.executions "
            "where id = $1",
            {id, hostile});
        CPPUNIT_ASSERT_EQUAL(1, row.rows());
        CPPUNIT_ASSERT_EQUAL(hostile, std::string(row.text(0, 0)));
        CPPUNIT_ASSERT_EQUAL(hostile, std::string(row.text(0, 1)));
        CPPUNIT_ASSERT_EQUAL(before_.workflows, row.integer(0, 2));

        HttpResponse repo = client_.postJson(path_, R"({"repos": ["o'wner/re;po"]})");
        SYN_ASSERT_DETAIL(repo, 422,
                          "Invalid repository entry 'o'wner/re;po': Expected 'owner/repo' or "
                          "'https://github.com/owner/repo'.");
    }

    void sqlMetacharactersInWorkflowId() {
        HttpResponse response =
            client_.postJson("/workflows/it-simple%27%20or%20%271%27=%271/execute", "{}");
        SYN_ASSERT_DETAIL(response, 404, "Workflow it-simple' or '1'='1 not found");
        HttpResponse get = client_.get("/workflows/x%27%3B%20drop%20table%20syn.workflows%3B--");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(get.body, 404, get.status);
        expectUnchanged();
    }

    void emptyAndLongWorkflowIds() {
        HttpResponse empty = client_.postJson("/workflows//execute", "{}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(empty.body, 404, empty.status);

        // Long, but inside nginx's 8 KiB request-line buffer.
        std::string id(4000, 'w');
        HttpResponse longId = client_.postJson("/workflows/" + id + "/execute", "{}");
        SYN_ASSERT_DETAIL(longId, 404, "Workflow " + id + " not found");
        // No execution id can start with "exec-z", however many the database holds.
        HttpResponse longGet = client_.get("/workflows/" + id + "/executions/exec-zzzz");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(longGet.body, 404, longGet.status);
        expectUnchanged();
    }

    void percentEncodedSlashesStayInSegment() {
        HttpResponse execute = client_.postJson("/workflows/it-simple%2Fexecute/execute", "{}");
        SYN_ASSERT_DETAIL(execute, 404, "Workflow it-simple/execute not found");

        // Decoded, this path stays below the root, so nginx routes it; the
        // pool must still see one segment "it-simple/../../executions".
        HttpResponse inside =
            client_.postJson("/workflows/it-simple%2F..%2F..%2Fexecutions/execute", "{}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(inside.body, 404, inside.status);

        // Decoded, this one climbs above the root: nginx rejects it with 400
        // before any location is chosen.
        HttpResponse above = client_.postJson("/workflows/..%2F..%2F..%2Fit-simple/execute", "{}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(above.body, 400, above.status);

        HttpResponse get = client_.get("/workflows/it-simple%2Fexecutions%2Fexec-0000");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(get.body, 404, get.status);
        expectUnchanged();
    }

    void queryParametersAreValidated() {
        expectError(client_.get("/workflows/executions/active?limit=abc"), "int_parsing",
                    R"(["query","limit"])");
        expectError(client_.get("/workflows/executions/active?limit=0"), "greater_than_equal",
                    R"(["query","limit"])");
        expectError(client_.get("/workflows/executions/active?limit=101"), "less_than_equal",
                    R"(["query","limit"])");
        HttpResponse ge = client_.get("/workflows/executions/active?limit=-5");
        expectError(ge, "greater_than_equal", R"(["query","limit"])");
        CPPUNIT_ASSERT_EQUAL(
            1, ge.json()->getArray("detail")->getObject(0)->getObject("ctx")->getValue<int>("ge"));
        HttpResponse le = client_.get("/workflows?page_size=500");
        expectError(le, "less_than_equal", R"(["query","page_size"])");
        CPPUNIT_ASSERT_EQUAL(
            100,
            le.json()->getArray("detail")->getObject(0)->getObject("ctx")->getValue<int>("le"));
        expectError(client_.get("/workflows?page=0"), "greater_than_equal", R"(["query","page"])");
        expectError(client_.get("/executions?page=x"), "int_parsing", R"(["query","page"])");
    }

  private:
    void expectError(const HttpResponse& response, const std::string& type,
                     const std::string& loc) {
        std::string difference = findValidationError(response, type, loc);
        CPPUNIT_ASSERT_MESSAGE(difference, difference.empty());
    }

    void expectUnchanged() {
        CPPUNIT_ASSERT_EQUAL(before_.describe(), database_->snapshot().describe());
    }

    const std::string path_ = "/workflows/it-simple/execute";
    HttpClient client_;
    std::unique_ptr<TestDatabase> database_;
    TestDatabase::Snapshot before_{};
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(ApiValidationTest, "api_validation");
