// synctl db migrate and db status against scratch databases on the stack's
// PostgreSQL: idempotence, concurrent runs and the cases that stop a run.
#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <future>

#include "synctl_process.h"

namespace {

using syn::test::runSynctl;
using syn::test::ScratchDatabase;
using syn::test::SynctlResult;

// Number of sql/NNN_*.sql files, which the binary was built from.
long long migrationFileCount() {
    long long count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(syn::test::sourceDir() + "/sql")) {
        std::string name = entry.path().filename().string();
        if (name.size() > 4 && std::isdigit(name[0]) && std::isdigit(name[1]) &&
            std::isdigit(name[2]) && name[3] == '_' && name.ends_with(".sql")) {
            ++count;
        }
    }
    return count;
}

long long countRows(const std::string& url, const std::string& sql) {
    syn::pg::Connection connection(url);
    return connection.execute(sql).integer(0, 0);
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

class SynctlMigrationsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SynctlMigrationsTest);
    CPPUNIT_TEST(migrateTwiceAppliesOnce);
    CPPUNIT_TEST(concurrentMigratesApplyOnce);
    CPPUNIT_TEST(newerDatabaseRejected);
    CPPUNIT_TEST(checksumMismatchRejected);
    CPPUNIT_TEST(statusListsPending);
    CPPUNIT_TEST(stackDatabaseUpToDate);
    CPPUNIT_TEST_SUITE_END();

  public:
    void migrateTwiceAppliesOnce() {
        ScratchDatabase database("migrate_twice");
        SynctlResult first = runSynctl({"db", "migrate", "--database", database.url()});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(first.describe(), 0, first.exitCode);
        SynctlResult second = runSynctl({"db", "migrate", "--database", database.url()});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(second.describe(), 0, second.exitCode);
        CPPUNIT_ASSERT_MESSAGE(second.describe(), contains(second.out, "Applied 0 migrations"));
        CPPUNIT_ASSERT_EQUAL(
            migrationFileCount(),
            countRows(database.url(), "select count(*) from syn.schema_migrations"));
        CPPUNIT_ASSERT_EQUAL(1LL, countRows(database.url(),
                                            "select count(*) from pg_tables where schemaname = "
                                            "'syn' and tablename = 'executions'"));
    }

    void concurrentMigratesApplyOnce() {
        ScratchDatabase database("migrate_concurrent");
        auto migrate = [&] { return runSynctl({"db", "migrate", "--database", database.url()}); };
        std::future<SynctlResult> first = std::async(std::launch::async, migrate);
        std::future<SynctlResult> second = std::async(std::launch::async, migrate);
        SynctlResult a = first.get();
        SynctlResult b = second.get();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(a.describe(), 0, a.exitCode);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(b.describe(), 0, b.exitCode);
        CPPUNIT_ASSERT_EQUAL(
            migrationFileCount(),
            countRows(database.url(), "select count(*) from syn.schema_migrations"));
    }

    void newerDatabaseRejected() {
        ScratchDatabase database("migrate_newer");
        CPPUNIT_ASSERT_EQUAL(0,
                             runSynctl({"db", "migrate", "--database", database.url()}).exitCode);
        syn::pg::Connection(database.url())
            .execute(
                "insert into syn.schema_migrations (version, name, checksum)"
                " values (999, 'future', repeat('f', 64))");

        SynctlResult result = runSynctl({"db", "migrate", "--database", database.url()});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 1, result.exitCode);
        CPPUNIT_ASSERT_MESSAGE(result.describe(), contains(result.err, "999_future"));
        CPPUNIT_ASSERT_MESSAGE(result.describe(), contains(result.err, "newer than this synctl"));
        SynctlResult status = runSynctl({"db", "status", "--database", database.url()});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(status.describe(), 1, status.exitCode);
    }

    void checksumMismatchRejected() {
        ScratchDatabase database("migrate_checksum");
        CPPUNIT_ASSERT_EQUAL(0,
                             runSynctl({"db", "migrate", "--database", database.url()}).exitCode);
        syn::pg::Connection(database.url())
            .execute(
                "update syn.schema_migrations set checksum = repeat('0', 64) where version = 1");

        SynctlResult result = runSynctl({"db", "migrate", "--database", database.url()});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 1, result.exitCode);
        CPPUNIT_ASSERT_MESSAGE(result.describe(), contains(result.err, "001_initial"));
        CPPUNIT_ASSERT_MESSAGE(result.describe(), contains(result.err, "checksum"));
    }

    void statusListsPending() {
        ScratchDatabase database("migrate_status");
        SynctlResult result = runSynctl({"db", "status", "--database", database.url()});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 0, result.exitCode);
        CPPUNIT_ASSERT_MESSAGE(result.describe(), contains(result.out, "001_initial"));
        CPPUNIT_ASSERT_MESSAGE(result.describe(), contains(result.out, "pending"));
        CPPUNIT_ASSERT_MESSAGE(result.describe(), !contains(result.out, "applied"));
    }

    void stackDatabaseUpToDate() {
        SynctlResult result = runSynctl({"db", "status", "--database", syn::test::databaseUrl()});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 0, result.exitCode);
        // Match the status column, not a migration name such as 003_cancel_pending_phases.
        CPPUNIT_ASSERT_MESSAGE(result.describe(), !contains(result.out, "  pending\n"));
        CPPUNIT_ASSERT_MESSAGE(result.describe(), contains(result.out, "  applied "));
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(SynctlMigrationsTest, "synctl_migrations");

}  // namespace
