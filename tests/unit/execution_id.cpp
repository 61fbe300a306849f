#include "syn/execution_id.h"

#include <cppunit/extensions/HelperMacros.h>

#include <set>

class ExecutionIdTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ExecutionIdTest);
    CPPUNIT_TEST(newIdHasExpectedFormat);
    CPPUNIT_TEST(newIdsDiffer);
    CPPUNIT_TEST(isExecutionIdRejectsNearMisses);
    CPPUNIT_TEST_SUITE_END();

  public:
    void newIdHasExpectedFormat() {
        std::string id = syn::newExecutionId();
        CPPUNIT_ASSERT_EQUAL(size_t(17), id.size());
        CPPUNIT_ASSERT(id.starts_with("exec-"));
        CPPUNIT_ASSERT(syn::isExecutionId(id));
    }

    void newIdsDiffer() {
        std::set<std::string> ids;
        for (int i = 0; i < 1000; ++i) {
            ids.insert(syn::newExecutionId());
        }
        CPPUNIT_ASSERT_EQUAL(size_t(1000), ids.size());
    }

    void isExecutionIdRejectsNearMisses() {
        CPPUNIT_ASSERT(syn::isExecutionId("exec-0123456789ab"));
        CPPUNIT_ASSERT(!syn::isExecutionId("exec-0123456789AB"));
        CPPUNIT_ASSERT(!syn::isExecutionId("exec-0123456789a"));
        CPPUNIT_ASSERT(!syn::isExecutionId("exec-0123456789abc"));
        CPPUNIT_ASSERT(!syn::isExecutionId("exe-0123456789abc"));
        CPPUNIT_ASSERT(!syn::isExecutionId("exec-0123456789ag"));
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(ExecutionIdTest, "execution_id");
