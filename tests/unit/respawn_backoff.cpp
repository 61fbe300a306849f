// Unit tests for RespawnBackoff.
#include "respawn_backoff.h"

#include <cppunit/extensions/HelperMacros.h>

using syn::fcgi::RespawnBackoff;
using Ms = RespawnBackoff::Duration;

class RespawnBackoffTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RespawnBackoffTest);
    CPPUNIT_TEST(stableWorkerReplacedAtOnce);
    CPPUNIT_TEST(quickDeathStartsAtInitial);
    CPPUNIT_TEST(quickDeathsDouble);
    CPPUNIT_TEST(delayCappedAtMaximum);
    CPPUNIT_TEST(stableWorkerResetsDelay);
    CPPUNIT_TEST_SUITE_END();

  public:
    void stableWorkerReplacedAtOnce() {
        RespawnBackoff backoff;
        CPPUNIT_ASSERT_EQUAL(0L, static_cast<long>(backoff.delayAfterExit(Ms(60'000)).count()));
    }

    void quickDeathStartsAtInitial() {
        RespawnBackoff backoff;
        CPPUNIT_ASSERT_EQUAL(100L, static_cast<long>(backoff.delayAfterExit(Ms(5)).count()));
    }

    void quickDeathsDouble() {
        RespawnBackoff backoff;
        backoff.delayAfterExit(Ms(5));
        CPPUNIT_ASSERT_EQUAL(200L, static_cast<long>(backoff.delayAfterExit(Ms(5)).count()));
        CPPUNIT_ASSERT_EQUAL(400L, static_cast<long>(backoff.delayAfterExit(Ms(5)).count()));
    }

    void delayCappedAtMaximum() {
        RespawnBackoff backoff;
        for (int i = 0; i < 20; ++i) {
            backoff.delayAfterExit(Ms(5));
        }
        CPPUNIT_ASSERT_EQUAL(10'000L, static_cast<long>(backoff.delayAfterExit(Ms(5)).count()));
    }

    void stableWorkerResetsDelay() {
        RespawnBackoff backoff;
        for (int i = 0; i < 5; ++i) {
            backoff.delayAfterExit(Ms(5));
        }
        CPPUNIT_ASSERT_EQUAL(0L, static_cast<long>(backoff.delayAfterExit(Ms(10'000)).count()));
        CPPUNIT_ASSERT_EQUAL(100L, static_cast<long>(backoff.delayAfterExit(Ms(5)).count()));
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(RespawnBackoffTest, "respawn_backoff");
