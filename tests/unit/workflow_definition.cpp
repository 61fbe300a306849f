// Workflow definitions sent as JSON to POST /workflows: the package loader's
// rules applied to a JSON tree, the 422 entries built from its problems, and
// the handler's answers that need no database.
#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "definition_errors.h"
#include "router.h"
#include "syn/json_value.h"
#include "syn/json_writer.h"
#include "syn/workflow_package.h"

namespace {

using syn::package::PackageError;
using syn::package::Problem;
using syn::package::ProblemKind;
using syn::package::WorkflowDefinition;

syn::json::Value parseJson(const std::string& text) {
    syn::json::Value value;
    syn::json::ParseError error;
    if (!syn::json::parse(text, value, error)) {
        CPPUNIT_FAIL("test JSON does not parse at " + std::to_string(error.offset) + ": " +
                     error.reason);
    }
    return value;
}

// A definition with one phase; `phase` and `extra` are spliced into the phase
// object and the top-level object.
std::string definition(const std::string& phase = "", const std::string& extra = "") {
    return R"({"id": "wf", "name": "Workflow")" + extra +
           R"(, "phases": [{"id": "one", "name": "One", "order": 1,
                             "prompt_template": "Do it.")" +
           phase + "}]}";
}

std::vector<Problem> problemsOf(const std::string& text) {
    try {
        syn::package::readJsonDefinition(parseJson(text));
    } catch (const PackageError& error) {
        return error.problems();
    }
    CPPUNIT_FAIL("expected the definition to be rejected: " + text);
    return {};
}

std::string describe(const syn::Location& location) {
    std::string text;
    for (const syn::LocationPart& part : location) {
        text += text.empty() ? "" : ".";
        if (const std::string* key = std::get_if<std::string>(&part)) {
            text += *key;
        } else {
            text += std::to_string(std::get<size_t>(part));
        }
    }
    return text;
}

// Returns the only problem reported, failing the test when there are others.
Problem onlyProblem(const std::string& text) {
    std::vector<Problem> problems = problemsOf(text);
    std::string all;
    for (const Problem& problem : problems) {
        all += "\n  " + problem.describe();
    }
    CPPUNIT_ASSERT_EQUAL_MESSAGE(all, size_t(1), problems.size());
    return problems[0];
}

syn::fcgi::Response post(const std::string& body,
                         const std::string& contentType = "application/json") {
    // Every request here is decided before any database access; the
    // unreachable socket makes a stray access fail loudly.
    syn::fcgi::Database database("host=/nonexistent/syn-definition-test dbname=none");
    syn::fcgi::Request request;
    request.method = "POST";
    request.target = "/workflows";
    request.contentType = contentType;
    request.hasBody = !body.empty();
    request.body = body;
    return syn::fcgi::handleRequest(request, database);
}

std::string toText(const syn::json::Value& value) {
    syn::json::Writer writer;
    writer.value(value);
    return writer.take();
}

class WorkflowDefinitionTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(WorkflowDefinitionTest);
    CPPUNIT_TEST(fullDefinitionReads);
    CPPUNIT_TEST(defaultsApplyAndNullMeansAbsent);
    CPPUNIT_TEST(numberForStringRejected);
    CPPUNIT_TEST(quotedIntegerRejected);
    CPPUNIT_TEST(nonStringNameReportedOnce);
    CPPUNIT_TEST(booleanAsStringRejected);
    CPPUNIT_TEST(promptFileRejected);
    CPPUNIT_TEST(missingPromptTemplateIsMissingKey);
    CPPUNIT_TEST(unknownKeysRejected);
    CPPUNIT_TEST(phasesMissingOrEmpty);
    CPPUNIT_TEST(duplicatePhaseIdsAndOrders);
    CPPUNIT_TEST(invalidIdsRejected);
    CPPUNIT_TEST(nulCharacterRejected);
    CPPUNIT_TEST(allProblemsReported);
    CPPUNIT_TEST(valueErrorEntry);
    CPPUNIT_TEST(typeErrorEntries);
    CPPUNIT_TEST(missingEntryInputIsParent);
    CPPUNIT_TEST(handlerRejectsBadBodies);
    CPPUNIT_TEST(handlerReportsDefinitionProblems);
    CPPUNIT_TEST(wrongMethodListsPost);
    CPPUNIT_TEST_SUITE_END();

  public:
    void fullDefinitionReads() {
        WorkflowDefinition workflow = syn::package::readJsonDefinition(parseJson(R"({
            "id": "research.v2", "name": "Research", "description": "Looks things up.",
            "type": "research", "classification": "complex",
            "repository": {"url": "https://github.com/o/r", "ref": "main"},
            "repos": ["o/r", "o/s"], "requires_repos": true,
            "inputs": [{"name": "topic", "description": "Topic.", "required": false,
                        "default": "cats"}],
            "phases": [
                {"id": "b", "name": "B", "order": 20, "prompt_template": "Second.",
                 "model": "small", "timeout_seconds": 30, "max_tokens": 1000,
                 "allowed_tools": ["Read", "Grep"], "argument_hint": "a topic"},
                {"id": "a", "name": "A", "order": 10, "prompt_template": "First {{topic}}."}
            ]})"));
        CPPUNIT_ASSERT_EQUAL(std::string("research.v2"), workflow.id);
        CPPUNIT_ASSERT_EQUAL(std::string("research"), workflow.type);
        CPPUNIT_ASSERT_EQUAL(std::string("complex"), workflow.classification);
        CPPUNIT_ASSERT_EQUAL(std::string("main"), workflow.repositoryRef.value_or(""));
        CPPUNIT_ASSERT_EQUAL(size_t(2), workflow.repos.size());
        CPPUNIT_ASSERT(workflow.requiresRepos);
        CPPUNIT_ASSERT_EQUAL(size_t(1), workflow.inputs.size());
        CPPUNIT_ASSERT(!workflow.inputs[0].required);
        CPPUNIT_ASSERT_EQUAL(std::string("cats"), workflow.inputs[0].defaultValue.value_or(""));
        CPPUNIT_ASSERT_EQUAL(size_t(2), workflow.phases.size());
        CPPUNIT_ASSERT_EQUAL(std::string("a"), workflow.phases[0].id);
        CPPUNIT_ASSERT_EQUAL(std::string("b"), workflow.phases[1].id);
        CPPUNIT_ASSERT_EQUAL(30, workflow.phases[1].timeoutSeconds);
        CPPUNIT_ASSERT_EQUAL(1000, workflow.phases[1].maxTokens.value_or(0));
        CPPUNIT_ASSERT_EQUAL(size_t(2), workflow.phases[1].allowedTools.size());
        CPPUNIT_ASSERT(!workflow.phases[1].promptFile.has_value());
    }

    void defaultsApplyAndNullMeansAbsent() {
        WorkflowDefinition workflow = syn::package::readJsonDefinition(
            parseJson(definition(R"(, "model": null)", R"(, "description": null)")));
        CPPUNIT_ASSERT_EQUAL(std::string(""), workflow.description);
        CPPUNIT_ASSERT_EQUAL(std::string("custom"), workflow.type);
        CPPUNIT_ASSERT_EQUAL(std::string("standard"), workflow.classification);
        CPPUNIT_ASSERT_EQUAL(300, workflow.phases[0].timeoutSeconds);
        CPPUNIT_ASSERT(!workflow.phases[0].model.has_value());
    }

    void numberForStringRejected() {
        Problem problem = onlyProblem(definition(R"(, "model": 5)"));
        CPPUNIT_ASSERT(problem.kind == ProblemKind::notString);
        CPPUNIT_ASSERT_EQUAL(std::string("phases.0.model"), describe(problem.location));
        CPPUNIT_ASSERT_EQUAL(std::string("phases[0].model"), problem.keyPath);
        CPPUNIT_ASSERT_EQUAL(std::string("request body"), problem.file);
    }

    void quotedIntegerRejected() {
        Problem problem = onlyProblem(definition(R"(, "timeout_seconds": "30")"));
        CPPUNIT_ASSERT(problem.kind == ProblemKind::notInteger);
        CPPUNIT_ASSERT_EQUAL(std::string("phases.0.timeout_seconds"), describe(problem.location));

        Problem fraction = onlyProblem(definition(R"(, "timeout_seconds": 1.5)"));
        CPPUNIT_ASSERT(fraction.kind == ProblemKind::notInteger);
    }

    void nonStringNameReportedOnce() {
        Problem problem = onlyProblem(R"({"id": "wf", "name": 3, "phases": [
            {"id": "one", "name": "One", "order": 1, "prompt_template": "A."}]})");
        CPPUNIT_ASSERT(problem.kind == ProblemKind::notString);
        CPPUNIT_ASSERT_EQUAL(std::string("name"), describe(problem.location));

        Problem phase = onlyProblem(R"({"id": "wf", "name": "W", "phases": [
            {"id": "one", "name": ["One"], "order": 1, "prompt_template": "A."}]})");
        CPPUNIT_ASSERT(phase.kind == ProblemKind::notString);
        CPPUNIT_ASSERT_EQUAL(std::string("phases.0.name"), describe(phase.location));
    }

    void booleanAsStringRejected() {
        Problem problem = onlyProblem(definition("", R"(, "requires_repos": "true")"));
        CPPUNIT_ASSERT(problem.kind == ProblemKind::notBoolean);
        CPPUNIT_ASSERT_EQUAL(std::string("requires_repos"), describe(problem.location));
    }

    void promptFileRejected() {
        Problem problem = onlyProblem(R"({"id": "wf", "name": "W", "phases": [
            {"id": "one", "name": "One", "order": 1, "prompt_file": "phases/one.md"}]})");
        CPPUNIT_ASSERT(problem.kind == ProblemKind::invalidValue);
        CPPUNIT_ASSERT_EQUAL(std::string("phases.0.prompt_file"), describe(problem.location));
        CPPUNIT_ASSERT_MESSAGE(problem.message,
                               problem.message.find("prompt_template") != std::string::npos);
    }

    void missingPromptTemplateIsMissingKey() {
        Problem problem =
            onlyProblem(R"({"id": "wf", "name": "W", "phases": [{"id": "one", "name": "One",
                                                                  "order": 1}]})");
        CPPUNIT_ASSERT(problem.kind == ProblemKind::missingKey);
        CPPUNIT_ASSERT_EQUAL(std::string("phases.0.prompt_template"), describe(problem.location));
    }

    void unknownKeysRejected() {
        std::vector<Problem> problems =
            problemsOf(definition(R"(, "color": "red")", R"(, "owner": "me")"));
        CPPUNIT_ASSERT_EQUAL(size_t(2), problems.size());
        CPPUNIT_ASSERT(problems[0].kind == ProblemKind::unknownKey);
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), describe(problems[0].location));
        CPPUNIT_ASSERT(problems[1].kind == ProblemKind::unknownKey);
        CPPUNIT_ASSERT_EQUAL(std::string("phases.0.color"), describe(problems[1].location));
    }

    void phasesMissingOrEmpty() {
        Problem missing = onlyProblem(R"({"id": "wf", "name": "W"})");
        CPPUNIT_ASSERT(missing.kind == ProblemKind::missingKey);
        CPPUNIT_ASSERT_EQUAL(std::string("phases"), describe(missing.location));

        Problem empty = onlyProblem(R"({"id": "wf", "name": "W", "phases": []})");
        CPPUNIT_ASSERT(empty.kind == ProblemKind::invalidValue);

        Problem notList = onlyProblem(R"({"id": "wf", "name": "W", "phases": {}})");
        CPPUNIT_ASSERT(notList.kind == ProblemKind::notList);

        Problem notObject = onlyProblem(R"({"id": "wf", "name": "W", "phases": ["one"]})");
        CPPUNIT_ASSERT(notObject.kind == ProblemKind::notMapping);
        CPPUNIT_ASSERT_EQUAL(std::string("phases.0"), describe(notObject.location));
    }

    void duplicatePhaseIdsAndOrders() {
        std::vector<Problem> problems = problemsOf(R"({"id": "wf", "name": "W", "phases": [
            {"id": "one", "name": "One", "order": 1, "prompt_template": "A."},
            {"id": "one", "name": "Two", "order": 1, "prompt_template": "B."}]})");
        CPPUNIT_ASSERT_EQUAL(size_t(2), problems.size());
        CPPUNIT_ASSERT_EQUAL(std::string("phases.1.id"), describe(problems[0].location));
        CPPUNIT_ASSERT(problems[0].message.find("phases[0]") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("phases.1.order"), describe(problems[1].location));
    }

    void invalidIdsRejected() {
        Problem workflow = onlyProblem(R"({"id": "-wf", "name": "W", "phases": [
            {"id": "one", "name": "One", "order": 1, "prompt_template": "A."}]})");
        CPPUNIT_ASSERT_EQUAL(std::string("id"), describe(workflow.location));
        CPPUNIT_ASSERT(workflow.message.find("'-wf'") != std::string::npos);

        Problem phase = onlyProblem(R"({"id": "wf", "name": "W", "phases": [
            {"id": "a b", "name": "One", "order": 1, "prompt_template": "A."}]})");
        CPPUNIT_ASSERT_EQUAL(std::string("phases.0.id"), describe(phase.location));
    }

    // The JSON parser already rejects \u0000, and YAML's "\0" escape reaches
    // the same check, so the tree here is edited after parsing.
    void nulCharacterRejected() {
        syn::json::Value body = parseJson(definition(R"(, "allowed_tools": ["Read"])"));
        syn::json::Value& phase = body.members.back().value.items[0];
        phase.members.back().value.items[0].text = std::string("Re\0ad", 5);
        try {
            syn::package::readJsonDefinition(body);
            CPPUNIT_FAIL("a tool name with NUL was accepted");
        } catch (const PackageError& error) {
            CPPUNIT_ASSERT_EQUAL(size_t(1), error.problems().size());
            const Problem& problem = error.problems()[0];
            CPPUNIT_ASSERT_EQUAL(std::string("phases.0.allowed_tools.0"),
                                 describe(problem.location));
            CPPUNIT_ASSERT(problem.message.find("NUL") != std::string::npos);
        }
    }

    void allProblemsReported() {
        std::vector<Problem> problems = problemsOf(R"({"id": 1, "name": "", "phases": [
            {"id": "one", "name": "One", "order": 1, "prompt_template": " ",
             "timeout_seconds": 0, "max_tokens": -1}]})");
        CPPUNIT_ASSERT_EQUAL(size_t(5), problems.size());
    }

    void valueErrorEntry() {
        std::string text = R"({"id": "wf", "name": "W", "phases": [
            {"id": "a", "name": "A", "order": 1, "prompt_template": "A."},
            {"id": "b", "name": "B", "order": 2, "prompt_template": "B."},
            {"id": "c", "name": "C", "order": 3, "prompt_template": "C.",
             "timeout_seconds": -5}]})";
        syn::json::Value body = parseJson(text);
        std::vector<syn::ValidationError> errors =
            syn::fcgi::definitionErrors(problemsOf(text), body);
        CPPUNIT_ASSERT_EQUAL(size_t(1), errors.size());
        CPPUNIT_ASSERT_EQUAL(std::string("value_error"), errors[0].type);
        CPPUNIT_ASSERT_EQUAL(std::string("body.phases.2.timeout_seconds"),
                             describe(errors[0].location));
        CPPUNIT_ASSERT_EQUAL(std::string("Value error, must be a positive number of seconds"),
                             errors[0].message);
        CPPUNIT_ASSERT_EQUAL(std::string("-5"), toText(errors[0].input));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"error":"must be a positive number of seconds"})"),
                             errors[0].context);
    }

    void typeErrorEntries() {
        std::string text = definition(R"(, "timeout_seconds": "30", "allowed_tools": "Read")",
                                      R"(, "requires_repos": 1, "extra": [1])");
        std::vector<syn::ValidationError> errors =
            syn::fcgi::definitionErrors(problemsOf(text), parseJson(text));
        std::vector<std::string> types;
        for (const syn::ValidationError& error : errors) {
            types.push_back(error.type + " " + describe(error.location) + " " +
                            toText(error.input));
        }
        CPPUNIT_ASSERT_EQUAL(size_t(4), types.size());
        CPPUNIT_ASSERT_EQUAL(std::string(R"(extra_forbidden body.extra [1])"), types[0]);
        CPPUNIT_ASSERT_EQUAL(std::string(R"(bool_type body.requires_repos 1)"), types[1]);
        CPPUNIT_ASSERT_EQUAL(std::string(R"(int_type body.phases.0.timeout_seconds "30")"),
                             types[2]);
        CPPUNIT_ASSERT_EQUAL(std::string(R"(list_type body.phases.0.allowed_tools "Read")"),
                             types[3]);
        CPPUNIT_ASSERT_EQUAL(std::string("Input should be a valid integer"), errors[2].message);
    }

    void missingEntryInputIsParent() {
        std::string text = R"({"id": "wf", "phases": [
            {"id": "one", "order": 1, "prompt_template": "A."}]})";
        std::vector<syn::ValidationError> errors =
            syn::fcgi::definitionErrors(problemsOf(text), parseJson(text));
        CPPUNIT_ASSERT_EQUAL(size_t(2), errors.size());
        CPPUNIT_ASSERT_EQUAL(std::string("missing"), errors[0].type);
        CPPUNIT_ASSERT_EQUAL(std::string("body.name"), describe(errors[0].location));
        CPPUNIT_ASSERT(errors[0].input.isObject());
        CPPUNIT_ASSERT_EQUAL(std::string("body.phases.0.name"), describe(errors[1].location));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"id":"one","order":1,"prompt_template":"A."})"),
                             toText(errors[1].input));
    }

    void handlerRejectsBadBodies() {
        syn::fcgi::Response form = post("id=wf", "application/x-www-form-urlencoded");
        CPPUNIT_ASSERT_EQUAL(422, form.status);
        CPPUNIT_ASSERT(form.body.find("model_attributes_type") != std::string::npos);

        syn::fcgi::Response array = post("[]");
        CPPUNIT_ASSERT_EQUAL(422, array.status);
        CPPUNIT_ASSERT(array.body.find("model_attributes_type") != std::string::npos);

        syn::fcgi::Response empty = post("");
        CPPUNIT_ASSERT_EQUAL(422, empty.status);
        CPPUNIT_ASSERT(empty.body.find(R"("type":"missing","loc":["body"])") != std::string::npos);

        syn::fcgi::Response badUtf8 = post("{\"id\": \"w\xff\"}");
        CPPUNIT_ASSERT_EQUAL(422, badUtf8.status);
        CPPUNIT_ASSERT(badUtf8.body.find("json_invalid") != std::string::npos);
    }

    void handlerReportsDefinitionProblems() {
        syn::fcgi::Response response = post(definition(R"(, "prompt_file": "one.md")"));
        CPPUNIT_ASSERT_EQUAL(422, response.status);
        CPPUNIT_ASSERT_MESSAGE(
            response.body,
            response.body.find(R"("loc":["body","phases",0,"prompt_file"])") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(response.body,
                               response.body.find(R"("type":"value_error")") != std::string::npos);
    }

    void wrongMethodListsPost() {
        syn::fcgi::Database database("host=/nonexistent/syn-definition-test dbname=none");
        syn::fcgi::Request request;
        request.method = "DELETE";
        request.target = "/workflows";
        syn::fcgi::Response response = syn::fcgi::handleRequest(request, database);
        CPPUNIT_ASSERT_EQUAL(405, response.status);
        CPPUNIT_ASSERT_EQUAL(size_t(1), response.headers.size());
        CPPUNIT_ASSERT_EQUAL(std::string("Allow"), response.headers[0].first);
        CPPUNIT_ASSERT_EQUAL(std::string("GET, HEAD, POST"), response.headers[0].second);
    }
};

}  // namespace

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(WorkflowDefinitionTest, "workflow_definition");
