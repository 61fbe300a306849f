#include "syn/runner_settings.h"

#include <Poco/Exception.h>
#include <cppunit/extensions/HelperMacros.h>

class RunnerSettingsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RunnerSettingsTest);
    CPPUNIT_TEST(emptyWorkflowListClaimsEvery);
    CPPUNIT_TEST(workflowListIsTrimmed);
    CPPUNIT_TEST(workflowListRejectsInvalidIds);
    CPPUNIT_TEST_SUITE_END();

  public:
    void emptyWorkflowListClaimsEvery() {
        CPPUNIT_ASSERT(syn::parseWorkflowList("").empty());
        CPPUNIT_ASSERT(syn::parseWorkflowList("  ").empty());
    }

    void workflowListIsTrimmed() {
        std::vector<std::string> expected = {"review", "it-runner.v2", "Triage_1"};
        CPPUNIT_ASSERT(syn::parseWorkflowList("review, it-runner.v2 ,\tTriage_1") == expected);
        CPPUNIT_ASSERT(syn::parseWorkflowList("review") == std::vector<std::string>{"review"});
    }

    void workflowListRejectsInvalidIds() {
        for (const char* text : {"a,,b", "a,", ",a", "a b", "-a", "a;b", "review, ", "\"a\""}) {
            CPPUNIT_ASSERT_THROW_MESSAGE(text, syn::parseWorkflowList(text),
                                         Poco::InvalidArgumentException);
        }
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(RunnerSettingsTest, "runner_settings");
