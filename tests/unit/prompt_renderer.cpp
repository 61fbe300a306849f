// Unit tests for renderPrompt and repositoryUrl.
#include "syn/prompt_renderer.h"

#include <cppunit/extensions/HelperMacros.h>

namespace {

syn::PromptContext sampleContext() {
    syn::PromptContext context;
    context.task = "fix the login bug";
    context.inputs = {{"language", "C++"}, {"task", "fix the login bug"}, {"plan", "input plan"}};
    context.executionId = "exec-0123456789ab";
    context.workflowId = "review";
    context.repoUrl = "https://github.com/acme/site";
    context.phaseOutputs = {{"plan", "1. read the code"}};
    return context;
}

}  // namespace

class PromptRendererTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PromptRendererTest);
    CPPUNIT_TEST(argumentsBecomesTask);
    CPPUNIT_TEST(argumentsEmptyWithoutTask);
    CPPUNIT_TEST(inputPlaceholder);
    CPPUNIT_TEST(spacesInsideBraces);
    CPPUNIT_TEST(builtInPlaceholders);
    CPPUNIT_TEST(phaseOutputWinsOverInput);
    CPPUNIT_TEST(unknownPlaceholderKept);
    CPPUNIT_TEST(unterminatedPlaceholderKept);
    CPPUNIT_TEST(insertedTextNotRendered);
    CPPUNIT_TEST(insertedArgumentsNotRendered);
    CPPUNIT_TEST(placeholderAfterBrace);
    CPPUNIT_TEST(repositoryUrlFromSlug);
    CPPUNIT_TEST(repositoryUrlKeepsUrl);
    CPPUNIT_TEST(repositoryUrlEmpty);
    CPPUNIT_TEST_SUITE_END();

  public:
    void argumentsBecomesTask() {
        CPPUNIT_ASSERT_EQUAL(std::string("Do: fix the login bug."),
                             syn::renderPrompt("Do: $ARGUMENTS.", sampleContext()));
    }

    void argumentsEmptyWithoutTask() {
        syn::PromptContext context = sampleContext();
        context.task.reset();
        CPPUNIT_ASSERT_EQUAL(std::string("Do: ."), syn::renderPrompt("Do: $ARGUMENTS.", context));
    }

    void inputPlaceholder() {
        CPPUNIT_ASSERT_EQUAL(std::string("Write C++ code"),
                             syn::renderPrompt("Write {{language}} code", sampleContext()));
    }

    void spacesInsideBraces() {
        CPPUNIT_ASSERT_EQUAL(std::string("Write C++ code"),
                             syn::renderPrompt("Write {{ language  }} code", sampleContext()));
    }

    void builtInPlaceholders() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("exec-0123456789ab review https://github.com/acme/site"),
            syn::renderPrompt("{{execution_id}} {{workflow_id}} {{repo_url}}", sampleContext()));
    }

    void phaseOutputWinsOverInput() {
        CPPUNIT_ASSERT_EQUAL(std::string("Plan: 1. read the code"),
                             syn::renderPrompt("Plan: {{plan}}", sampleContext()));
    }

    void unknownPlaceholderKept() {
        CPPUNIT_ASSERT_EQUAL(
            std::string("Keep {{ missing }} and {{other}}"),
            syn::renderPrompt("Keep {{ missing }} and {{other}}", sampleContext()));
    }

    void unterminatedPlaceholderKept() {
        CPPUNIT_ASSERT_EQUAL(std::string("Open {{language"),
                             syn::renderPrompt("Open {{language", sampleContext()));
    }

    void insertedTextNotRendered() {
        syn::PromptContext context = sampleContext();
        context.inputs["language"] = "{{workflow_id}} $ARGUMENTS";
        CPPUNIT_ASSERT_EQUAL(std::string("Use {{workflow_id}} $ARGUMENTS now"),
                             syn::renderPrompt("Use {{language}} now", context));
    }

    void insertedArgumentsNotRendered() {
        syn::PromptContext context = sampleContext();
        context.task = "see {{language}}";
        CPPUNIT_ASSERT_EQUAL(std::string("Task: see {{language}}"),
                             syn::renderPrompt("Task: $ARGUMENTS", context));
    }

    void placeholderAfterBrace() {
        CPPUNIT_ASSERT_EQUAL(std::string("{C++}"),
                             syn::renderPrompt("{{{language}}}", sampleContext()));
    }

    void repositoryUrlFromSlug() {
        CPPUNIT_ASSERT_EQUAL(std::string("https://github.com/acme/site"),
                             syn::repositoryUrl("acme/site"));
    }

    void repositoryUrlKeepsUrl() {
        CPPUNIT_ASSERT_EQUAL(std::string("https://example.org/acme/site.git"),
                             syn::repositoryUrl("https://example.org/acme/site.git"));
    }

    void repositoryUrlEmpty() { CPPUNIT_ASSERT_EQUAL(std::string(""), syn::repositoryUrl("")); }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(PromptRendererTest, "prompt_renderer");
