// Loading and validating workflow packages: files, front matter, prompt file
// containment and the error locations reported for bad input.
#include <cppunit/extensions/HelperMacros.h>
#include <syn/workflow_package.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;
using syn::package::loadPackage;
using syn::package::PackageError;
using syn::package::Problem;
using syn::package::WorkflowDefinition;

fs::path fixtures() {
    return fs::path(__FILE__).parent_path().parent_path() / "fixtures" / "packages";
}

// A package directory under the temp directory, removed by the destructor.
class TemporaryPackage {
  public:
    TemporaryPackage() {
        root_ = fs::temp_directory_path() /
                ("syn-package-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
        fs::remove_all(root_);
        fs::create_directories(root_ / "pkg" / "phases");
    }
    ~TemporaryPackage() { fs::remove_all(root_); }

    // The package directory; its parent is writable for files outside it.
    fs::path path() const { return root_ / "pkg"; }
    fs::path outside() const { return root_; }

    void write(const fs::path& relative, const std::string& content) const {
        std::ofstream(path() / relative, std::ios::binary) << content;
    }

  private:
    static inline int counter_ = 0;
    fs::path root_;
};

std::vector<Problem> problemsOf(const fs::path& path) {
    try {
        loadPackage(path);
    } catch (const PackageError& error) {
        return error.problems();
    }
    CPPUNIT_FAIL("expected " + path.string() + " to be rejected");
    return {};
}

// Returns the problem reported for `keyPath`, failing the test when there is none.
Problem problemAt(const std::vector<Problem>& problems, const std::string& keyPath) {
    for (const Problem& problem : problems) {
        if (problem.keyPath == keyPath) {
            return problem;
        }
    }
    std::string all;
    for (const Problem& problem : problems) {
        all += "\n  " + problem.describe();
    }
    CPPUNIT_FAIL("no problem reported at " + keyPath + "; reported:" + all);
    return {};
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

const std::string kOnePhase = R"(id: wf
name: Workflow
phases:
  - id: only
    name: Only
    order: 1
    prompt_template: Do it.
)";

class WorkflowPackageTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(WorkflowPackageTest);
    CPPUNIT_TEST(goodPackageLoads);
    CPPUNIT_TEST(phasesSortedByOrder);
    CPPUNIT_TEST(workflowYamlWinsOverFrontMatter);
    CPPUNIT_TEST(frontMatterFillsMissingKeys);
    CPPUNIT_TEST(implicitPromptFileUsed);
    CPPUNIT_TEST(singleFileLoads);
    CPPUNIT_TEST(definitionJsonHoldsMergedPrompt);
    CPPUNIT_TEST(promptFileEscapeRejected);
    CPPUNIT_TEST(promptFileSymlinkEscapeRejected);
    CPPUNIT_TEST(promptFileSymlinkInsideAccepted);
    CPPUNIT_TEST(duplicatePhaseIdRejected);
    CPPUNIT_TEST(duplicatePhaseOrderRejected);
    CPPUNIT_TEST(zeroPhasesRejected);
    CPPUNIT_TEST(missingPhasesRejected);
    CPPUNIT_TEST(wrongTypesRejected);
    CPPUNIT_TEST(quotedIntegerRejected);
    CPPUNIT_TEST(nonPositiveTimeoutRejected);
    CPPUNIT_TEST(unknownKeysRejected);
    CPPUNIT_TEST(unknownFrontMatterKeyRejected);
    CPPUNIT_TEST(invalidIdsRejected);
    CPPUNIT_TEST(yamlSyntaxErrorHasLine);
    CPPUNIT_TEST(frontMatterSyntaxErrorHasFileLine);
    CPPUNIT_TEST(unclosedFrontMatterRejected);
    CPPUNIT_TEST(missingPromptNamesImplicitFile);
    CPPUNIT_TEST(unusedPromptFileRejected);
    CPPUNIT_TEST(bothPromptSourcesRejected);
    CPPUNIT_TEST(duplicateInputRejected);
    CPPUNIT_TEST(missingDefinitionFileRejected);
    CPPUNIT_TEST_SUITE_END();

  public:
    void goodPackageLoads() {
        WorkflowDefinition workflow = loadPackage(fixtures() / "good");
        CPPUNIT_ASSERT_EQUAL(std::string("review-change"), workflow.id);
        CPPUNIT_ASSERT_EQUAL(std::string("review"), workflow.type);
        CPPUNIT_ASSERT_EQUAL(std::string("main"), workflow.repositoryRef.value_or(""));
        CPPUNIT_ASSERT(workflow.requiresRepos);
        CPPUNIT_ASSERT_EQUAL(size_t(1), workflow.repos.size());
        CPPUNIT_ASSERT_EQUAL(size_t(3), workflow.inputs.size());
        CPPUNIT_ASSERT(workflow.inputs[0].required);
        CPPUNIT_ASSERT(!workflow.inputs[2].required);
        CPPUNIT_ASSERT_EQUAL(std::string("normal"), workflow.inputs[2].defaultValue.value_or(""));
        CPPUNIT_ASSERT_EQUAL(size_t(3), workflow.phases.size());
        CPPUNIT_ASSERT_EQUAL(300, workflow.phases[2].timeoutSeconds);
        CPPUNIT_ASSERT_EQUAL(2000, workflow.phases[2].maxTokens.value_or(0));
    }

    void phasesSortedByOrder() {
        TemporaryPackage package;
        package.write("workflow.yaml", R"(id: wf
name: Workflow
phases:
  - {id: second, name: Second, order: 20, prompt_template: B}
  - {id: first, name: First, order: 10, prompt_template: A}
)");
        WorkflowDefinition workflow = loadPackage(package.path());
        CPPUNIT_ASSERT_EQUAL(std::string("first"), workflow.phases[0].id);
        CPPUNIT_ASSERT_EQUAL(std::string("second"), workflow.phases[1].id);
    }

    void workflowYamlWinsOverFrontMatter() {
        WorkflowDefinition workflow = loadPackage(fixtures() / "good");
        const auto& read = workflow.phases[0];
        CPPUNIT_ASSERT_EQUAL(std::string("Read the change"), read.name);
        CPPUNIT_ASSERT_EQUAL(120, read.timeoutSeconds);
    }

    void frontMatterFillsMissingKeys() {
        WorkflowDefinition workflow = loadPackage(fixtures() / "good");
        const auto& read = workflow.phases[0];
        CPPUNIT_ASSERT_EQUAL(std::string("large"), read.model.value_or(""));
        CPPUNIT_ASSERT_EQUAL(std::string("Reads the diff."), read.description);
        CPPUNIT_ASSERT_EQUAL(std::string("Read the change in {{repo}} for $ARGUMENTS.\n"),
                             read.promptTemplate);
    }

    void implicitPromptFileUsed() {
        WorkflowDefinition workflow = loadPackage(fixtures() / "good");
        const auto& review = workflow.phases[1];
        CPPUNIT_ASSERT_EQUAL(std::string("phases/review.md"), review.promptFile.value_or(""));
        CPPUNIT_ASSERT_EQUAL(std::string("Review"), review.name);
        CPPUNIT_ASSERT_EQUAL(900, review.timeoutSeconds);
        CPPUNIT_ASSERT_EQUAL(size_t(2), review.allowedTools.size());
        CPPUNIT_ASSERT(contains(review.promptTemplate, "{{depth}}"));
    }

    void singleFileLoads() {
        WorkflowDefinition workflow = loadPackage(fixtures() / "single.yaml");
        CPPUNIT_ASSERT_EQUAL(std::string("single-file"), workflow.id);
        CPPUNIT_ASSERT_EQUAL(std::string("custom"), workflow.type);
        CPPUNIT_ASSERT_EQUAL(std::string("standard"), workflow.classification);
        CPPUNIT_ASSERT_EQUAL(size_t(1), workflow.phases.size());
        CPPUNIT_ASSERT_EQUAL(std::string("Do $ARGUMENTS."), workflow.phases[0].promptTemplate);
    }

    void definitionJsonHoldsMergedPrompt() {
        std::string json = syn::package::toJson(loadPackage(fixtures() / "good"));
        CPPUNIT_ASSERT(contains(json, R"("prompt_template":"Read the change in {{repo}})"));
        CPPUNIT_ASSERT(contains(json, R"("model":"large")"));
        CPPUNIT_ASSERT(contains(json, R"("timeout_seconds":120)"));
    }

    void promptFileEscapeRejected() {
        TemporaryPackage package;
        std::ofstream(package.outside() / "secret.md") << "outside\n";
        package.write("workflow.yaml", R"(id: wf
name: Workflow
phases:
  - id: only
    name: Only
    order: 1
    prompt_file: ../secret.md
)");
        Problem problem = problemAt(problemsOf(package.path()), "phases[0].prompt_file");
        CPPUNIT_ASSERT(contains(problem.message, "outside the package directory"));
        CPPUNIT_ASSERT_EQUAL(7, problem.line);
    }

    void promptFileSymlinkEscapeRejected() {
        TemporaryPackage package;
        std::ofstream(package.outside() / "secret.md") << "outside\n";
        fs::create_symlink(package.outside() / "secret.md", package.path() / "phases" / "only.md");
        package.write("workflow.yaml", R"(id: wf
name: Workflow
phases:
  - id: only
    name: Only
    order: 1
    prompt_file: phases/only.md
)");
        Problem problem = problemAt(problemsOf(package.path()), "phases[0].prompt_file");
        CPPUNIT_ASSERT(contains(problem.message, "outside the package directory"));
    }

    void promptFileSymlinkInsideAccepted() {
        TemporaryPackage package;
        package.write("prompts.md", "Inside.\n");
        fs::create_symlink(package.path() / "prompts.md", package.path() / "phases" / "only.md");
        package.write("workflow.yaml", R"(id: wf
name: Workflow
phases:
  - {id: only, name: Only, order: 1}
)");
        WorkflowDefinition workflow = loadPackage(package.path());
        CPPUNIT_ASSERT_EQUAL(std::string("Inside.\n"), workflow.phases[0].promptTemplate);
    }

    void duplicatePhaseIdRejected() {
        TemporaryPackage package;
        package.write("workflow.yaml", R"(id: wf
name: Workflow
phases:
  - {id: same, name: A, order: 1, prompt_template: A}
  - {id: same, name: B, order: 2, prompt_template: B}
)");
        Problem problem = problemAt(problemsOf(package.path()), "phases[1].id");
        CPPUNIT_ASSERT(contains(problem.message, "duplicate phase id 'same'"));
        CPPUNIT_ASSERT(contains(problem.message, "phases[0]"));
    }

    void duplicatePhaseOrderRejected() {
        TemporaryPackage package;
        package.write("workflow.yaml", R"(id: wf
name: Workflow
phases:
  - {id: a, name: A, order: 1, prompt_template: A}
  - {id: b, name: B, order: 1, prompt_template: B}
)");
        Problem problem = problemAt(problemsOf(package.path()), "phases[1].order");
        CPPUNIT_ASSERT(contains(problem.message, "duplicate order 1"));
    }

    void zeroPhasesRejected() {
        TemporaryPackage package;
        package.write("workflow.yaml", "id: wf\nname: Workflow\nphases: []\n");
        Problem problem = problemAt(problemsOf(package.path()), "phases");
        CPPUNIT_ASSERT(contains(problem.message, "at least one phase"));
    }

    void missingPhasesRejected() {
        TemporaryPackage package;
        package.write("workflow.yaml", "id: wf\nname: Workflow\n");
        Problem problem = problemAt(problemsOf(package.path()), "phases");
        CPPUNIT_ASSERT(contains(problem.message, "missing required key"));
    }

    void wrongTypesRejected() {
        TemporaryPackage package;
        package.write("workflow.yaml", R"(id: wf
name: Workflow
repos: example/one
requires_repos: maybe
inputs:
  - name: topic
    required: [yes]
phases:
  - id: a
    name: A
    order: first
    prompt_template: A
  - id: b
    name: B
    order: 2
    prompt_template: B
    timeout_seconds: abc
    allowed_tools: Read
)");
        std::vector<Problem> problems = problemsOf(package.path());
        CPPUNIT_ASSERT(contains(problemAt(problems, "repos").message, "list of strings"));
        CPPUNIT_ASSERT(contains(problemAt(problems, "requires_repos").message, "true or false"));
        CPPUNIT_ASSERT(contains(problemAt(problems, "inputs[0].required").message, "true"));
        CPPUNIT_ASSERT(contains(problemAt(problems, "phases[0].order").message, "integer"));
        Problem timeout = problemAt(problems, "phases[1].timeout_seconds");
        CPPUNIT_ASSERT(contains(timeout.message, "integer"));
        CPPUNIT_ASSERT_EQUAL(17, timeout.line);
        CPPUNIT_ASSERT(contains(problemAt(problems, "phases[1].allowed_tools").message, "list"));
    }

    void quotedIntegerRejected() {
        TemporaryPackage package;
        package.write("workflow.yaml", R"(id: wf
name: Workflow
phases:
  - {id: a, name: A, order: 1, prompt_template: A, timeout_seconds: "300"}
)");
        problemAt(problemsOf(package.path()), "phases[0].timeout_seconds");
    }

    void nonPositiveTimeoutRejected() {
        TemporaryPackage package;
        package.write("workflow.yaml", R"(id: wf
name: Workflow
phases:
  - {id: a, name: A, order: 1, prompt_template: A, timeout_seconds: 0, max_tokens: -5}
)");
        std::vector<Problem> problems = problemsOf(package.path());
        CPPUNIT_ASSERT(
            contains(problemAt(problems, "phases[0].timeout_seconds").message, "positive"));
        CPPUNIT_ASSERT(contains(problemAt(problems, "phases[0].max_tokens").message, "positive"));
    }

    void unknownKeysRejected() {
        TemporaryPackage package;
        package.write("workflow.yaml", R"(id: wf
name: Workflow
colour: blue
repository: {url: https://example.invalid/r, branch: main}
phases:
  - {id: a, name: A, order: 1, prompt: A}
)");
        std::vector<Problem> problems = problemsOf(package.path());
        Problem colour = problemAt(problems, "colour");
        CPPUNIT_ASSERT(contains(colour.message, "unknown key"));
        CPPUNIT_ASSERT_EQUAL(3, colour.line);
        problemAt(problems, "repository.branch");
        problemAt(problems, "phases[0].prompt");
    }

    void unknownFrontMatterKeyRejected() {
        TemporaryPackage package;
        package.write("workflow.yaml", "id: wf\nname: Workflow\nphases:\n  - {id: a, order: 1}\n");
        package.write("phases/a.md", "---\nname: A\nprompt_file: other.md\n---\nBody\n");
        Problem problem = problemAt(problemsOf(package.path()), "phases[0].prompt_file");
        CPPUNIT_ASSERT(contains(problem.file, "a.md"));
        CPPUNIT_ASSERT_EQUAL(3, problem.line);
    }

    void invalidIdsRejected() {
        TemporaryPackage package;
        package.write("workflow.yaml", R"(id: -starts-with-dash
name: Workflow
phases:
  - {id: "has space", name: A, order: 1, prompt_template: A}
)");
        std::vector<Problem> problems = problemsOf(package.path());
        CPPUNIT_ASSERT(contains(problemAt(problems, "id").message, "invalid id"));
        CPPUNIT_ASSERT(contains(problemAt(problems, "phases[0].id").message, "invalid id"));
    }

    void yamlSyntaxErrorHasLine() {
        TemporaryPackage package;
        package.write("workflow.yaml", "id: wf\nname: Workflow\nphases:\n  - id: [unclosed\n");
        std::vector<Problem> problems = problemsOf(package.path());
        CPPUNIT_ASSERT_EQUAL(size_t(1), problems.size());
        CPPUNIT_ASSERT(contains(problems[0].message, "invalid YAML"));
        CPPUNIT_ASSERT(contains(problems[0].file, "workflow.yaml"));
        CPPUNIT_ASSERT(problems[0].line >= 4);
    }

    void frontMatterSyntaxErrorHasFileLine() {
        TemporaryPackage package;
        package.write("workflow.yaml", "id: wf\nname: Workflow\nphases:\n  - {id: a, order: 1}\n");
        package.write("phases/a.md", "---\nname: A\nmodel: [x\n---\nBody\n");
        std::vector<Problem> problems = problemsOf(package.path());
        CPPUNIT_ASSERT(contains(problems[0].file, "a.md"));
        CPPUNIT_ASSERT(contains(problems[0].message, "invalid YAML"));
        CPPUNIT_ASSERT(problems[0].line >= 3);
    }

    void unclosedFrontMatterRejected() {
        TemporaryPackage package;
        package.write("workflow.yaml", "id: wf\nname: Workflow\nphases:\n  - {id: a, order: 1}\n");
        package.write("phases/a.md", "---\nname: A\nBody without an end\n");
        std::vector<Problem> problems = problemsOf(package.path());
        CPPUNIT_ASSERT(contains(problems[0].message, "never closed"));
    }

    void missingPromptNamesImplicitFile() {
        TemporaryPackage package;
        package.write("workflow.yaml",
                      "id: wf\nname: Workflow\nphases:\n  - {id: a, name: A, order: 1}\n");
        Problem problem = problemAt(problemsOf(package.path()), "phases[0].prompt_template");
        CPPUNIT_ASSERT(contains(problem.message, "phases/a.md"));
    }

    void unusedPromptFileRejected() {
        TemporaryPackage package;
        package.write("workflow.yaml", kOnePhase);
        package.write("phases/stray.md", "Nobody uses this.\n");
        std::vector<Problem> problems = problemsOf(package.path());
        CPPUNIT_ASSERT_EQUAL(size_t(1), problems.size());
        CPPUNIT_ASSERT(contains(problems[0].file, "stray.md"));
        CPPUNIT_ASSERT(contains(problems[0].message, "not used by any phase"));
    }

    void bothPromptSourcesRejected() {
        TemporaryPackage package;
        package.write("workflow.yaml", R"(id: wf
name: Workflow
phases:
  - {id: a, name: A, order: 1, prompt_template: A, prompt_file: phases/a.md}
)");
        package.write("phases/a.md", "A\n");
        std::vector<Problem> problems = problemsOf(package.path());
        CPPUNIT_ASSERT(contains(problemAt(problems, "phases[0].prompt_file").message, "not both"));
    }

    void duplicateInputRejected() {
        TemporaryPackage package;
        package.write("workflow.yaml", R"(id: wf
name: Workflow
inputs:
  - name: topic
  - name: topic
phases:
  - {id: a, name: A, order: 1, prompt_template: A}
)");
        Problem problem = problemAt(problemsOf(package.path()), "inputs[1].name");
        CPPUNIT_ASSERT(contains(problem.message, "duplicate input name"));
    }

    void missingDefinitionFileRejected() {
        TemporaryPackage package;
        std::vector<Problem> problems = problemsOf(package.path());
        CPPUNIT_ASSERT(contains(problems[0].file, "workflow.yaml"));
        CPPUNIT_ASSERT(contains(problems[0].message, "cannot be read"));
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(WorkflowPackageTest, "workflow_package");

}  // namespace
