#include "syn/execute_request.h"

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>

#include "json_response.h"
#include "request_body.h"

namespace {

// Runs the shape checks of the execute endpoint on `body` and returns the
// 422 body, or "" when the body is accepted.
std::string shapeErrors(const std::string& body,
                        const std::string& contentType = "application/json",
                        syn::ExecuteRequest* accepted = nullptr) {
    syn::fcgi::Request request;
    request.contentType = contentType;
    request.hasBody = !body.empty();
    request.body = body;
    std::vector<syn::ValidationError> errors;
    std::optional<syn::json::Value> value;
    if (syn::fcgi::readJsonBody(request, value, errors)) {
        if (!value) {
            errors.push_back(syn::makeValidationError("missing", {std::string("body")}, {}));
        } else {
            syn::ExecuteRequest request = syn::validateExecuteRequest(std::move(*value), errors);
            if (accepted != nullptr) {
                *accepted = std::move(request);
            }
        }
    }
    return errors.empty() ? "" : syn::fcgi::validationErrorResponse(errors).body;
}

std::string entry(const std::string& json) {
    return "{\"detail\":[" + json + "]}";
}

}  // namespace

class ExecuteRequestTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ExecuteRequestTest);
    CPPUNIT_TEST(emptyObjectIsAccepted);
    CPPUNIT_TEST(missingBody);
    CPPUNIT_TEST(jsonNullCountsAsMissing);
    CPPUNIT_TEST(formContentTypeIsRejected);
    CPPUNIT_TEST(absentContentTypeIsRejected);
    CPPUNIT_TEST(vendorJsonContentTypeIsAccepted);
    CPPUNIT_TEST(jsonInvalidReportsByteOffset);
    CPPUNIT_TEST(jsonInvalidForInvalidUtf8);
    CPPUNIT_TEST(jsonInvalidForDeepNesting);
    CPPUNIT_TEST(bodyNotAnObject);
    CPPUNIT_TEST(inputsNotAnObject);
    CPPUNIT_TEST(inputValueNotAString);
    CPPUNIT_TEST(reposNotAList);
    CPPUNIT_TEST(repoEntryNotAString);
    CPPUNIT_TEST(taskNotAString);
    CPPUNIT_TEST(providerNotAString);
    CPPUNIT_TEST(budgetTypeErrors);
    CPPUNIT_TEST(extraKeyForbidden);
    CPPUNIT_TEST(errorsComeInFieldOrder);
    CPPUNIT_TEST(repeatedKeyLastWins);
    CPPUNIT_TEST(tenThousandInputsAreFast);
    CPPUNIT_TEST(reservedInputKeys);
    CPPUNIT_TEST(invalidRepoEntry);
    CPPUNIT_TEST(missingRequiredInputs);
    CPPUNIT_TEST(mergeOrderAndTask);
    CPPUNIT_TEST_SUITE_END();

  public:
    void emptyObjectIsAccepted() { CPPUNIT_ASSERT_EQUAL(std::string(""), shapeErrors("{}")); }

    void missingBody() {
        CPPUNIT_ASSERT_EQUAL(
            entry(R"({"type":"missing","loc":["body"],"msg":"Field required","input":null})"),
            shapeErrors(""));
    }

    void jsonNullCountsAsMissing() {
        CPPUNIT_ASSERT_EQUAL(
            entry(R"({"type":"missing","loc":["body"],"msg":"Field required","input":null})"),
            shapeErrors("null"));
    }

    void formContentTypeIsRejected() {
        CPPUNIT_ASSERT_EQUAL(
            entry(R"({"type":"model_attributes_type","loc":["body"],"msg":"Input should be a )"
                  R"(valid dictionary or object to extract fields from","input":"task=x"})"),
            shapeErrors("task=x", "application/x-www-form-urlencoded"));
    }

    void absentContentTypeIsRejected() {
        std::string body = shapeErrors("{}", "");
        CPPUNIT_ASSERT(body.find("model_attributes_type") != std::string::npos);
    }

    void vendorJsonContentTypeIsAccepted() {
        CPPUNIT_ASSERT_EQUAL(std::string(""), shapeErrors("{}", "application/vnd.syn+json"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), shapeErrors("{}", "Application/JSON; charset=utf-8"));
        CPPUNIT_ASSERT(!shapeErrors("{}", "text/json").empty());
        CPPUNIT_ASSERT(!shapeErrors("{}", "application/jsonx").empty());
    }

    void jsonInvalidReportsByteOffset() {
        CPPUNIT_ASSERT_EQUAL(
            entry(R"({"type":"json_invalid","loc":["body",9],"msg":"JSON decode error",)"
                  R"("input":{},"ctx":{"error":"Expecting value"}})"),
            shapeErrors(R"({"task": })"));
        CPPUNIT_ASSERT(shapeErrors(R"({"task": "é" x})").find("\"loc\":[\"body\",14]") !=
                       std::string::npos);
        CPPUNIT_ASSERT(shapeErrors("{} x").find("Extra data") != std::string::npos);
        CPPUNIT_ASSERT(shapeErrors(R"({"a":1,})").find("Expecting property name") !=
                       std::string::npos);
    }

    void jsonInvalidForInvalidUtf8() {
        std::string body = shapeErrors("{\"task\": \"a\xff\"}");
        CPPUNIT_ASSERT(body.find("\"loc\":[\"body\",11]") != std::string::npos);
        CPPUNIT_ASSERT(body.find("Invalid UTF-8 byte") != std::string::npos);
        CPPUNIT_ASSERT(shapeErrors("{\"task\": \"\xed\xa0\x80\"}").find("json_invalid") !=
                       std::string::npos);
        CPPUNIT_ASSERT(shapeErrors(R"({"task": "\ud800"})").find("Unpaired surrogate") !=
                       std::string::npos);
    }

    void jsonInvalidForDeepNesting() {
        std::string deep = "{\"task\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
        CPPUNIT_ASSERT(shapeErrors(deep).find("Maximum nesting depth") != std::string::npos);
    }

    void bodyNotAnObject() {
        CPPUNIT_ASSERT_EQUAL(
            entry(R"({"type":"model_attributes_type","loc":["body"],"msg":"Input should be a )"
                  R"(valid dictionary or object to extract fields from","input":[1,"a"]})"),
            shapeErrors("[1, \"a\"]"));
    }

    void inputsNotAnObject() {
        CPPUNIT_ASSERT_EQUAL(entry(R"({"type":"dict_type","loc":["body","inputs"],)"
                                   R"("msg":"Input should be a valid dictionary","input":"x"})"),
                             shapeErrors(R"({"inputs": "x"})"));
    }

    void inputValueNotAString() {
        CPPUNIT_ASSERT_EQUAL(entry(R"({"type":"string_type","loc":["body","inputs","n"],)"
                                   R"("msg":"Input should be a valid string","input":1})"),
                             shapeErrors(R"({"inputs": {"ok": "y", "n": 1}})"));
    }

    void reposNotAList() {
        CPPUNIT_ASSERT_EQUAL(entry(R"({"type":"list_type","loc":["body","repos"],)"
                                   R"("msg":"Input should be a valid list","input":"o/r"})"),
                             shapeErrors(R"({"repos": "o/r"})"));
    }

    void repoEntryNotAString() {
        CPPUNIT_ASSERT_EQUAL(entry(R"({"type":"string_type","loc":["body","repos",1],)"
                                   R"("msg":"Input should be a valid string","input":null})"),
                             shapeErrors(R"({"repos": ["o/r", null]})"));
    }

    void taskNotAString() {
        CPPUNIT_ASSERT_EQUAL(entry(R"({"type":"string_type","loc":["body","task"],)"
                                   R"("msg":"Input should be a valid string","input":true})"),
                             shapeErrors(R"({"task": true})"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), shapeErrors(R"({"task": null})"));
    }

    void providerNotAString() {
        CPPUNIT_ASSERT(shapeErrors(R"({"provider": null})").find("string_type") !=
                       std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string(""), shapeErrors(R"({"provider": "claude"})"));
    }

    void budgetTypeErrors() {
        CPPUNIT_ASSERT_EQUAL(
            entry(R"({"type":"float_parsing","loc":["body","max_budget_usd"],"msg":"Input )"
                  R"(should be a valid number, unable to parse string as a number","input":"x"})"),
            shapeErrors(R"({"max_budget_usd": "x"})"));
        CPPUNIT_ASSERT_EQUAL(entry(R"({"type":"float_type","loc":["body","max_budget_usd"],)"
                                   R"("msg":"Input should be a valid number","input":[]})"),
                             shapeErrors(R"({"max_budget_usd": []})"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), shapeErrors(R"({"max_budget_usd": " 2.5 "})"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), shapeErrors(R"({"max_budget_usd": 1e3})"));
    }

    void extraKeyForbidden() {
        CPPUNIT_ASSERT_EQUAL(
            entry(R"({"type":"extra_forbidden","loc":["body","foo"],)"
                  R"("msg":"Extra inputs are not permitted","input":{"a":[1,2]}})"),
            shapeErrors(R"({"foo": {"a": [1, 2]}})"));
    }

    void errorsComeInFieldOrder() {
        std::string body = shapeErrors(R"({"zz": 1, "repos": 1, "task": 2, "inputs": 3})");
        size_t inputs = body.find("\"inputs\"");
        size_t task = body.find("\"task\"");
        size_t repos = body.find("\"repos\"");
        size_t extra = body.find("\"zz\"");
        CPPUNIT_ASSERT(inputs < task);
        CPPUNIT_ASSERT(task < repos);
        CPPUNIT_ASSERT(repos < extra);
    }

    void repeatedKeyLastWins() {
        syn::ExecuteRequest accepted;
        CPPUNIT_ASSERT_EQUAL(std::string(""),
                             shapeErrors(R"({"task": 1, "task": "b", "inputs": {"k": "1", )"
                                         R"("j": "2", "k": "3"}})",
                                         "application/json", &accepted));
        CPPUNIT_ASSERT_EQUAL(std::string("b"), *accepted.task);
        CPPUNIT_ASSERT_EQUAL(size_t(2), accepted.inputs.size());
        CPPUNIT_ASSERT_EQUAL(std::string("k"), accepted.inputs[0].first);
        CPPUNIT_ASSERT_EQUAL(std::string("3"), accepted.inputs[0].second);
    }

    void tenThousandInputsAreFast() {
        std::string body = "{\"inputs\": {";
        for (int i = 0; i < 10000; ++i) {
            body += (i > 0 ? "," : "") + std::string("\"key") + std::to_string(i) + "\":\"v\"";
        }
        body += "}}";
        auto start = std::chrono::steady_clock::now();
        syn::ExecuteRequest accepted;
        CPPUNIT_ASSERT_EQUAL(std::string(""), shapeErrors(body, "application/json", &accepted));
        auto elapsed = std::chrono::steady_clock::now() - start;
        CPPUNIT_ASSERT_EQUAL(size_t(10000), accepted.inputs.size());
        CPPUNIT_ASSERT(elapsed < std::chrono::milliseconds(500));
    }

    void reservedInputKeys() {
        syn::ExecuteRequest request;
        request.inputs = {{"repository", "x"}, {"a", "b"}, {"repos", "y"}};
        CPPUNIT_ASSERT_EQUAL(std::string("'repos', 'repository' is not a valid input key. Pass "
                                         "repositories in the typed 'repos' array."),
                             *syn::findReservedInputKeys(request));
        request.inputs = {{"a", "b"}};
        CPPUNIT_ASSERT(!syn::findReservedInputKeys(request).has_value());
    }

    void invalidRepoEntry() {
        syn::ExecuteRequest request;
        request.repos = {"https://github.com/o/r.git", "o/..", "bad"};
        std::vector<std::string> slugs;
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid repository entry 'o/..': Expected 'owner/repo' "
                                         "or 'https://github.com/owner/repo'."),
                             *syn::normalizeRepos(request, slugs));
        request.repos = {"https://github.com/o/r.git", "o/s"};
        CPPUNIT_ASSERT(!syn::normalizeRepos(request, slugs).has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("o/r"), slugs[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("o/s"), slugs[1]);
    }

    void missingRequiredInputs() {
        std::vector<syn::InputDeclaration> declarations = {{"zeta", true, std::nullopt},
                                                           {"alpha", true, std::nullopt},
                                                           {"beta", true, "default"},
                                                           {"gamma", false, std::nullopt},
                                                           {"empty", true, std::nullopt}};
        syn::ExecuteRequest request;
        request.inputs = {{"empty", ""}};
        std::vector<std::pair<std::string, std::string>> merged;
        CPPUNIT_ASSERT_EQUAL(std::string("Missing required inputs: alpha, zeta."),
                             *syn::mergeInputs(declarations, request, merged));
    }

    void mergeOrderAndTask() {
        std::vector<syn::InputDeclaration> declarations = {{"a", true, "1"}, {"task", true, "t0"}};
        syn::ExecuteRequest request;
        request.inputs = {{"b", "2"}, {"a", "3"}, {"task", "t1"}};
        request.task = "t2";
        std::vector<std::pair<std::string, std::string>> merged;
        CPPUNIT_ASSERT(!syn::mergeInputs(declarations, request, merged).has_value());
        std::vector<std::pair<std::string, std::string>> expected = {
            {"a", "3"}, {"task", "t2"}, {"b", "2"}};
        CPPUNIT_ASSERT(expected == merged);
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(ExecuteRequestTest, "execute_request");
