#include <cppunit/extensions/HelperMacros.h>

#include "syn/execution_id.h"

class PrefixTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PrefixTest);
    CPPUNIT_TEST(fullIdSelectsExactly);
    CPPUNIT_TEST(fourHexDigitsSelectByPrefix);
    CPPUNIT_TEST(elevenHexDigitsSelectByPrefix);
    CPPUNIT_TEST(shortPrefixSelectsNothing);
    CPPUNIT_TEST(malformedTextSelectsNothing);
    CPPUNIT_TEST_SUITE_END();

  public:
    void fullIdSelectsExactly() {
        auto query = syn::parseExecutionIdQuery("exec-1a2b3c4d5e6f");
        CPPUNIT_ASSERT(query.has_value());
        CPPUNIT_ASSERT(query->exact);
        CPPUNIT_ASSERT_EQUAL(std::string("exec-1a2b3c4d5e6f"), query->text);
    }

    void fourHexDigitsSelectByPrefix() {
        auto query = syn::parseExecutionIdQuery("exec-1a2b");
        CPPUNIT_ASSERT(query.has_value());
        CPPUNIT_ASSERT(!query->exact);
        CPPUNIT_ASSERT_EQUAL(std::string("exec-1a2b"), query->text);
    }

    void elevenHexDigitsSelectByPrefix() {
        auto query = syn::parseExecutionIdQuery("exec-1a2b3c4d5e6");
        CPPUNIT_ASSERT(query.has_value());
        CPPUNIT_ASSERT(!query->exact);
    }

    void shortPrefixSelectsNothing() {
        CPPUNIT_ASSERT(!syn::parseExecutionIdQuery("exec-1a2").has_value());
        CPPUNIT_ASSERT(!syn::parseExecutionIdQuery("exec-").has_value());
        CPPUNIT_ASSERT(!syn::parseExecutionIdQuery("exec").has_value());
    }

    void malformedTextSelectsNothing() {
        CPPUNIT_ASSERT(!syn::parseExecutionIdQuery("1a2b3c4d").has_value());
        CPPUNIT_ASSERT(!syn::parseExecutionIdQuery("exec-1A2B").has_value());
        CPPUNIT_ASSERT(!syn::parseExecutionIdQuery("exec-1a2b%").has_value());
        CPPUNIT_ASSERT(!syn::parseExecutionIdQuery("exec-1a2b_").has_value());
        CPPUNIT_ASSERT(!syn::parseExecutionIdQuery("exec-1a2b3c4d5e6f0").has_value());
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(PrefixTest, "prefix");
