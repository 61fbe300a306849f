// synctl workflow install, list, archive and restore, and execution list, against a
// freshly migrated scratch database on the stack's PostgreSQL.
#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <fstream>

#include "synctl_process.h"

namespace {

namespace fs = std::filesystem;
using syn::test::runSynctl;
using syn::test::ScratchDatabase;
using syn::test::SynctlResult;

std::string fixture(const std::string& name) {
    return syn::test::sourceDir() + "/tests/fixtures/packages/" + name;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

class SynctlWorkflowsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SynctlWorkflowsTest);
    CPPUNIT_TEST(installWritesWorkflow);
    CPPUNIT_TEST(reinstallReplacesPhasesKeepsCreatedAt);
    CPPUNIT_TEST(invalidPackageWritesNothing);
    CPPUNIT_TEST(listShowsPhaseCountAndArchive);
    CPPUNIT_TEST(archiveSetsArchivedAt);
    CPPUNIT_TEST(archiveUnknownIdFails);
    CPPUNIT_TEST(reinstallKeepsArchivedWorkflow);
    CPPUNIT_TEST(restoreClearsArchive);
    CPPUNIT_TEST(restoreUnknownIdFails);
    CPPUNIT_TEST(validateNeedsNoDatabase);
    CPPUNIT_TEST(executionListFilters);
    CPPUNIT_TEST(usageErrorsExitTwo);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override {
        database_ = std::make_unique<ScratchDatabase>("workflows");
        SynctlResult migrated = synctl({"db", "migrate"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(migrated.describe(), 0, migrated.exitCode);
    }

    void tearDown() override { database_.reset(); }

    void installWritesWorkflow() {
        SynctlResult result = synctl({"workflow", "install", fixture("good")});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 0, result.exitCode);
        CPPUNIT_ASSERT_MESSAGE(result.describe(), contains(result.out, "Installed workflow"));
        CPPUNIT_ASSERT_EQUAL(3LL, scalar("select count(*) from syn.workflow_phases"
                                         " where workflow_id = 'review-change'"));
        CPPUNIT_ASSERT_EQUAL(3LL, scalar("select count(*) from syn.workflow_inputs"
                                         " where workflow_id = 'review-change'"));
        CPPUNIT_ASSERT_EQUAL(900LL, scalar("select timeout_seconds from syn.workflow_phases"
                                           " where phase_id = 'review'"));
        CPPUNIT_ASSERT_EQUAL(1LL, scalar("select count(*) from syn.workflows where id ="
                                         " 'review-change' and definition #>> '{phases,0,model}'"
                                         " = 'large' and repos = '{example/service}'"));
    }

    void reinstallReplacesPhasesKeepsCreatedAt() {
        CPPUNIT_ASSERT_EQUAL(0, synctl({"workflow", "install", fixture("good")}).exitCode);
        std::string createdAt = text("select created_at::text from syn.workflows");

        fs::path file =
            fs::temp_directory_path() / ("syn-reinstall-" + std::to_string(::getpid()) + ".yaml");
        std::ofstream(file) << "id: review-change\nname: Renamed\nphases:\n"
                               "  - {id: one, name: One, order: 1, prompt_template: Go}\n";
        SynctlResult result = synctl({"workflow", "install", file.string()});
        fs::remove(file);

        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 0, result.exitCode);
        CPPUNIT_ASSERT_MESSAGE(result.describe(), contains(result.out, "Updated workflow"));
        CPPUNIT_ASSERT_EQUAL(createdAt, text("select created_at::text from syn.workflows"));
        CPPUNIT_ASSERT_EQUAL(1LL, scalar("select count(*) from syn.workflows"
                                         " where updated_at > created_at and name = 'Renamed'"));
        CPPUNIT_ASSERT_EQUAL(1LL, scalar("select count(*) from syn.workflow_phases"));
        CPPUNIT_ASSERT_EQUAL(0LL, scalar("select count(*) from syn.workflow_inputs"));
    }

    void invalidPackageWritesNothing() {
        fs::path file =
            fs::temp_directory_path() / ("syn-invalid-" + std::to_string(::getpid()) + ".yaml");
        std::ofstream(file) << "id: broken\nname: Broken\nphases:\n"
                               "  - {id: one, name: One, order: 1, prompt_template: Go,"
                               " timeout_seconds: soon}\n";
        SynctlResult result = synctl({"workflow", "install", file.string()});
        fs::remove(file);

        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 1, result.exitCode);
        CPPUNIT_ASSERT_MESSAGE(
            result.describe(),
            contains(result.err, file.string() + ":4: phases[0].timeout_seconds"));
        CPPUNIT_ASSERT_EQUAL(0LL, scalar("select count(*) from syn.workflows"));
    }

    void listShowsPhaseCountAndArchive() {
        CPPUNIT_ASSERT_EQUAL(0, synctl({"workflow", "install", fixture("good")}).exitCode);
        CPPUNIT_ASSERT_EQUAL(0, synctl({"workflow", "install", fixture("single.yaml")}).exitCode);
        CPPUNIT_ASSERT_EQUAL(0, synctl({"workflow", "archive", "single-file"}).exitCode);

        SynctlResult result = synctl({"workflow", "list"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 0, result.exitCode);
        std::istringstream lines(result.out);
        std::string header, first, second;
        std::getline(lines, header);
        std::getline(lines, first);
        std::getline(lines, second);
        CPPUNIT_ASSERT_MESSAGE(result.out, first.starts_with("review-change"));
        CPPUNIT_ASSERT_MESSAGE(result.out, contains(first, "Review a change"));
        CPPUNIT_ASSERT_MESSAGE(result.out, contains(first, " 3 "));
        CPPUNIT_ASSERT_MESSAGE(result.out, first.ends_with("-"));
        CPPUNIT_ASSERT_MESSAGE(result.out, second.starts_with("single-file"));
        CPPUNIT_ASSERT_MESSAGE(result.out, second.ends_with("Z"));
    }

    void archiveSetsArchivedAt() {
        CPPUNIT_ASSERT_EQUAL(0, synctl({"workflow", "install", fixture("single.yaml")}).exitCode);
        SynctlResult first = synctl({"workflow", "archive", "single-file"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(first.describe(), 0, first.exitCode);
        CPPUNIT_ASSERT_EQUAL(1LL, scalar("select count(*) from syn.workflows"
                                         " where archived_at is not null"));
        SynctlResult second = synctl({"workflow", "archive", "single-file"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(second.describe(), 0, second.exitCode);
        CPPUNIT_ASSERT_MESSAGE(second.describe(), contains(second.out, "already archived"));
    }

    void archiveUnknownIdFails() {
        SynctlResult result = synctl({"workflow", "archive", "no-such-workflow"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 1, result.exitCode);
        CPPUNIT_ASSERT_MESSAGE(result.describe(), contains(result.err, "no-such-workflow"));
    }

    void reinstallKeepsArchivedWorkflow() {
        CPPUNIT_ASSERT_EQUAL(0, synctl({"workflow", "install", fixture("single.yaml")}).exitCode);
        CPPUNIT_ASSERT_EQUAL(0, synctl({"workflow", "archive", "single-file"}).exitCode);
        SynctlResult result = synctl({"workflow", "install", fixture("single.yaml")});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 0, result.exitCode);
        CPPUNIT_ASSERT_MESSAGE(result.describe(), contains(result.out, "stays archived"));
        CPPUNIT_ASSERT_MESSAGE(result.describe(),
                               contains(result.out, "synctl workflow restore single-file"));
        CPPUNIT_ASSERT_EQUAL(1LL, scalar("select count(*) from syn.workflows"
                                         " where id = 'single-file' and archived_at is not null"));
    }

    void restoreClearsArchive() {
        CPPUNIT_ASSERT_EQUAL(0, synctl({"workflow", "install", fixture("single.yaml")}).exitCode);
        CPPUNIT_ASSERT_EQUAL(0, synctl({"workflow", "archive", "single-file"}).exitCode);
        SynctlResult first = synctl({"workflow", "restore", "single-file"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(first.describe(), 0, first.exitCode);
        CPPUNIT_ASSERT_MESSAGE(first.describe(), contains(first.out, "Restored workflow"));
        CPPUNIT_ASSERT_EQUAL(0LL, scalar("select count(*) from syn.workflows"
                                         " where archived_at is not null"));
        SynctlResult second = synctl({"workflow", "restore", "single-file"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(second.describe(), 0, second.exitCode);
        CPPUNIT_ASSERT_MESSAGE(second.describe(), contains(second.out, "is not archived"));
    }

    void restoreUnknownIdFails() {
        SynctlResult result = synctl({"workflow", "restore", "no-such-workflow"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 1, result.exitCode);
        CPPUNIT_ASSERT_MESSAGE(result.describe(), contains(result.err, "no-such-workflow"));
    }

    void validateNeedsNoDatabase() {
        SynctlResult result = runSynctl({"workflow", "validate", fixture("good"), "--database",
                                         "host=/nonexistent dbname=none"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 0, result.exitCode);
        CPPUNIT_ASSERT_MESSAGE(result.describe(), contains(result.out, "is valid"));
    }

    void executionListFilters() {
        CPPUNIT_ASSERT_EQUAL(0, synctl({"workflow", "install", fixture("single.yaml")}).exitCode);
        syn::pg::Connection(database_->url())
            .execute(
                "insert into syn.executions (id, workflow_id, total_phases)"
                " values ('exec-0123456789ab', 'single-file', 1)");

        SynctlResult pending = synctl({"execution", "list", "--status", "pending"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(pending.describe(), 0, pending.exitCode);
        CPPUNIT_ASSERT_MESSAGE(pending.describe(), contains(pending.out, "exec-0123456789ab"));
        CPPUNIT_ASSERT_MESSAGE(pending.describe(), contains(pending.out, "0/1"));
        SynctlResult running = synctl({"execution", "list", "--status", "running"});
        CPPUNIT_ASSERT_MESSAGE(running.describe(), !contains(running.out, "exec-0123456789ab"));
        SynctlResult other = synctl({"execution", "list", "--workflow", "review-change"});
        CPPUNIT_ASSERT_MESSAGE(other.describe(), !contains(other.out, "exec-0123456789ab"));
        SynctlResult limited = synctl({"execution", "list", "--limit", "1"});
        CPPUNIT_ASSERT_MESSAGE(limited.describe(), contains(limited.out, "exec-0123456789ab"));
    }

    void usageErrorsExitTwo() {
        CPPUNIT_ASSERT_EQUAL(2, runSynctl({}).exitCode);
        CPPUNIT_ASSERT_EQUAL(2, runSynctl({"frobnicate"}).exitCode);
        CPPUNIT_ASSERT_EQUAL(2, runSynctl({"workflow", "install"}).exitCode);
        CPPUNIT_ASSERT_EQUAL(2, runSynctl({"execution", "list", "--limit", "0"}).exitCode);
        CPPUNIT_ASSERT_EQUAL(2, runSynctl({"execution", "list", "--status", "done"}).exitCode);
        CPPUNIT_ASSERT_EQUAL(2, runSynctl({"--no-such-option"}).exitCode);
        CPPUNIT_ASSERT_EQUAL(0, runSynctl({"--help"}).exitCode);
    }

  private:
    SynctlResult synctl(std::vector<std::string> arguments) {
        arguments.push_back("--database");
        arguments.push_back(database_->url());
        return runSynctl(arguments);
    }

    long long scalar(const std::string& sql) {
        return syn::pg::Connection(database_->url()).execute(sql).integer(0, 0);
    }

    std::string text(const std::string& sql) {
        return std::string(syn::pg::Connection(database_->url()).execute(sql).text(0, 0));
    }

    std::unique_ptr<ScratchDatabase> database_;
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(SynctlWorkflowsTest, "synctl_workflows");

}  // namespace
