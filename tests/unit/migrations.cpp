// Migration planning: what runs, and what stops a run, without a server.
#include <cppunit/extensions/HelperMacros.h>
#include <syn/migrations.h>

namespace {

using syn::migrations::AppliedMigration;
using syn::migrations::Migration;
using syn::migrations::Plan;

const std::string kChecksumA(64, 'a');
const std::string kChecksumB(64, 'b');

std::vector<Migration> knownMigrations() {
    return {{1, "initial", kChecksumA, "select 1"},
            {2, "views", kChecksumA, "select 2"},
            {3, "indexes", kChecksumA, "select 3"}};
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

class MigrationsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MigrationsTest);
    CPPUNIT_TEST(labelPadsVersion);
    CPPUNIT_TEST(emptyDatabasePlansAll);
    CPPUNIT_TEST(partlyAppliedPlansRest);
    CPPUNIT_TEST(upToDatePlansNothing);
    CPPUNIT_TEST(newerDatabaseRejected);
    CPPUNIT_TEST(unknownOlderVersionRejected);
    CPPUNIT_TEST(checksumMismatchRejected);
    CPPUNIT_TEST(pendingBelowAppliedRejected);
    CPPUNIT_TEST_SUITE_END();

  public:
    void labelPadsVersion() {
        CPPUNIT_ASSERT_EQUAL(std::string("001_initial"), syn::migrations::label(1, "initial"));
        CPPUNIT_ASSERT_EQUAL(std::string("120_x"), syn::migrations::label(120, "x"));
    }

    void emptyDatabasePlansAll() {
        Plan plan = syn::migrations::plan(knownMigrations(), {});
        CPPUNIT_ASSERT(plan.errors.empty());
        CPPUNIT_ASSERT_EQUAL(size_t(3), plan.pending.size());
        CPPUNIT_ASSERT_EQUAL(1, plan.pending[0].version);
        CPPUNIT_ASSERT_EQUAL(3, plan.pending[2].version);
    }

    void partlyAppliedPlansRest() {
        Plan plan = syn::migrations::plan(knownMigrations(), {{1, "initial", kChecksumA, ""}});
        CPPUNIT_ASSERT(plan.errors.empty());
        CPPUNIT_ASSERT_EQUAL(size_t(2), plan.pending.size());
        CPPUNIT_ASSERT_EQUAL(2, plan.pending[0].version);
    }

    void upToDatePlansNothing() {
        std::vector<AppliedMigration> applied = {{1, "initial", kChecksumA, ""},
                                                 {2, "views", kChecksumA, ""},
                                                 {3, "indexes", kChecksumA, ""}};
        Plan plan = syn::migrations::plan(knownMigrations(), applied);
        CPPUNIT_ASSERT(plan.errors.empty());
        CPPUNIT_ASSERT(plan.pending.empty());
    }

    void newerDatabaseRejected() {
        std::vector<AppliedMigration> applied = {{1, "initial", kChecksumA, ""},
                                                 {2, "views", kChecksumA, ""},
                                                 {3, "indexes", kChecksumA, ""},
                                                 {4, "future", kChecksumA, ""}};
        Plan plan = syn::migrations::plan(knownMigrations(), applied);
        CPPUNIT_ASSERT_EQUAL(size_t(1), plan.errors.size());
        CPPUNIT_ASSERT(contains(plan.errors[0], "004_future"));
        CPPUNIT_ASSERT(contains(plan.errors[0], "newer than"));
        CPPUNIT_ASSERT(contains(plan.errors[0], "003_indexes"));
    }

    void unknownOlderVersionRejected() {
        std::vector<Migration> known = {{1, "initial", kChecksumA, ""},
                                        {3, "indexes", kChecksumA, ""}};
        std::vector<AppliedMigration> applied = {{1, "initial", kChecksumA, ""},
                                                 {2, "elsewhere", kChecksumA, ""}};
        Plan plan = syn::migrations::plan(known, applied);
        CPPUNIT_ASSERT_EQUAL(size_t(1), plan.errors.size());
        CPPUNIT_ASSERT(contains(plan.errors[0], "002_elsewhere"));
        CPPUNIT_ASSERT(contains(plan.errors[0], "missing from"));
    }

    void checksumMismatchRejected() {
        Plan plan = syn::migrations::plan(knownMigrations(), {{1, "initial", kChecksumB, ""}});
        CPPUNIT_ASSERT_EQUAL(size_t(1), plan.errors.size());
        CPPUNIT_ASSERT(contains(plan.errors[0], "001_initial"));
        CPPUNIT_ASSERT(contains(plan.errors[0], kChecksumB.substr(0, 12)));
        CPPUNIT_ASSERT(contains(plan.errors[0], kChecksumA.substr(0, 12)));
    }

    void pendingBelowAppliedRejected() {
        std::vector<AppliedMigration> applied = {{1, "initial", kChecksumA, ""},
                                                 {3, "indexes", kChecksumA, ""}};
        Plan plan = syn::migrations::plan(knownMigrations(), applied);
        CPPUNIT_ASSERT_EQUAL(size_t(1), plan.errors.size());
        CPPUNIT_ASSERT(contains(plan.errors[0], "002_views"));
        CPPUNIT_ASSERT(contains(plan.errors[0], "003_indexes"));
        CPPUNIT_ASSERT(plan.pending.empty());
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(MigrationsTest, "migrations");

}  // namespace
