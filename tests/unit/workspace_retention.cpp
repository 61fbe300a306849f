// Unit tests for the workspace retention policy and the deletion at the end
// of an execution. Pruning against the database is covered by the
// integration suite clone_workspace.
#include "syn/workspace_retention.h"

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

#include "../fixtures/bare_repository.h"

namespace fs = std::filesystem;
using syn::testing::TemporaryDirectory;
using syn::workspace::RetentionPolicy;
using syn::workspace::WorkspaceRecord;

namespace {

constexpr double kDay = 86400;

// A logging channel that keeps the text of every message.
class MessageCollector : public Poco::Channel {
  public:
    void log(const Poco::Message& message) override { messages.push_back(message.getText()); }
    std::vector<std::string> messages;
};

RetentionPolicy policy(int completedDays, int failedDays) {
    RetentionPolicy policy;
    policy.keepCompletedDays = completedDays;
    policy.keepFailedDays = failedDays;
    return policy;
}

WorkspaceRecord known(const std::string& status, double endedSecondsAgo) {
    WorkspaceRecord record;
    record.executionId = "exec-0123456789ab";
    record.known = true;
    record.status = status;
    record.endedSecondsAgo = endedSecondsAgo;
    return record;
}

WorkspaceRecord unknown(double modifiedSecondsAgo) {
    WorkspaceRecord record;
    record.executionId = "exec-0123456789ab";
    record.modifiedSecondsAgo = modifiedSecondsAgo;
    return record;
}

}  // namespace

class WorkspaceRetentionTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(WorkspaceRetentionTest);
    CPPUNIT_TEST(keepDaysPerStatus);
    CPPUNIT_TEST(activeExecutionsNeverPruned);
    CPPUNIT_TEST(endedExecutionsPrunedAfterPeriod);
    CPPUNIT_TEST(unknownExecutionsUseLongestPeriod);
    CPPUNIT_TEST(pruneReasonNamesExecution);
    CPPUNIT_TEST(endDeletesWhenKeptZeroDays);
    CPPUNIT_TEST(endKeepsFailedWorkspace);
    CPPUNIT_TEST(endKeepsPausedWorkspace);
    CPPUNIT_TEST(endIgnoresMissingWorkspace);
    CPPUNIT_TEST(policyFromConfig);
    CPPUNIT_TEST_SUITE_END();

  public:
    void keepDaysPerStatus() {
        RetentionPolicy rules = policy(2, 7);
        CPPUNIT_ASSERT_EQUAL(2, *rules.keepDays("completed"));
        CPPUNIT_ASSERT_EQUAL(2, *rules.keepDays("cancelled"));
        CPPUNIT_ASSERT_EQUAL(7, *rules.keepDays("failed"));
        CPPUNIT_ASSERT(!rules.keepDays("pending"));
        CPPUNIT_ASSERT(!rules.keepDays("running"));
        CPPUNIT_ASSERT(!rules.keepDays("paused"));
        CPPUNIT_ASSERT_EQUAL(7, rules.longestDays());
    }

    void activeExecutionsNeverPruned() {
        RetentionPolicy rules = policy(0, 0);
        for (const char* status : {"pending", "running", "paused"}) {
            CPPUNIT_ASSERT_MESSAGE(status, !pruneReason(known(status, -1), rules));
        }
    }

    void endedExecutionsPrunedAfterPeriod() {
        RetentionPolicy rules = policy(1, 7);
        CPPUNIT_ASSERT(!pruneReason(known("completed", 0.5 * kDay), rules));
        CPPUNIT_ASSERT(pruneReason(known("completed", 1.5 * kDay), rules));
        CPPUNIT_ASSERT(pruneReason(known("cancelled", 1.5 * kDay), rules));
        CPPUNIT_ASSERT(!pruneReason(known("failed", 6 * kDay), rules));
        CPPUNIT_ASSERT(pruneReason(known("failed", 8 * kDay), rules));
        CPPUNIT_ASSERT(pruneReason(known("completed", 1), policy(0, 7)));
    }

    void unknownExecutionsUseLongestPeriod() {
        RetentionPolicy rules = policy(1, 7);
        CPPUNIT_ASSERT(!pruneReason(unknown(6 * kDay), rules));
        CPPUNIT_ASSERT(pruneReason(unknown(8 * kDay), rules));
    }

    void pruneReasonNamesExecution() {
        CPPUNIT_ASSERT_EQUAL(std::string("execution exec-0123456789ab ended failed 8 days ago "
                                         "and failed workspaces are kept 7 days"),
                             *pruneReason(known("failed", 8.2 * kDay), policy(0, 7)));
        CPPUNIT_ASSERT_EQUAL(std::string("execution exec-0123456789ab is not in the database "
                                         "and the directory was last modified 9 days ago"),
                             *pruneReason(unknown(9 * kDay), policy(0, 7)));
    }

    void endDeletesWhenKeptZeroDays() {
        TemporaryDirectory root;
        fs::path workspace = makeWorkspace(root.path());
        CPPUNIT_ASSERT(syn::workspace::applyRetentionAtEnd(workspace, "exec-0123456789ab",
                                                           "completed", policy(0, 7), logger()));
        CPPUNIT_ASSERT(!fs::exists(workspace));
    }

    void endKeepsFailedWorkspace() {
        TemporaryDirectory root;
        fs::path workspace = makeWorkspace(root.path());
        CPPUNIT_ASSERT(!syn::workspace::applyRetentionAtEnd(workspace, "exec-0123456789ab",
                                                            "failed", policy(0, 7), logger()));
        CPPUNIT_ASSERT(fs::exists(workspace / "repos" / "widgets" / "file"));
    }

    void endKeepsPausedWorkspace() {
        TemporaryDirectory root;
        fs::path workspace = makeWorkspace(root.path());
        CPPUNIT_ASSERT(!syn::workspace::applyRetentionAtEnd(workspace, "exec-0123456789ab",
                                                            "paused", policy(0, 0), logger()));
        CPPUNIT_ASSERT(fs::exists(workspace));
    }

    // A workspace that was never created is neither kept nor deleted, so the
    // runner logs nothing about it.
    void endIgnoresMissingWorkspace() {
        TemporaryDirectory root;
        Poco::AutoPtr<MessageCollector> collector(new MessageCollector);
        Poco::Logger& collecting = Poco::Logger::get("test.retention.missing");
        collecting.setChannel(collector);
        for (const char* status : {"completed", "failed"}) {
            CPPUNIT_ASSERT(!syn::workspace::applyRetentionAtEnd(root.path() / "never-created",
                                                                "exec-0123456789ab", status,
                                                                policy(0, 7), collecting));
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), collector->messages.size());
    }

    void policyFromConfig() {
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        config->setInt("workspace.keep_completed_days", 3);
        config->setInt("workspace.keep_failed_days", 14);
        RetentionPolicy read = syn::workspace::retentionPolicyFrom(*config);
        CPPUNIT_ASSERT_EQUAL(3, read.keepCompletedDays);
        CPPUNIT_ASSERT_EQUAL(14, read.keepFailedDays);

        config->setInt("workspace.keep_failed_days", -1);
        CPPUNIT_ASSERT_THROW(syn::workspace::retentionPolicyFrom(*config),
                             Poco::InvalidArgumentException);
    }

  private:
    static fs::path makeWorkspace(const fs::path& root) {
        fs::path workspace = root / "exec-0123456789ab";
        fs::create_directories(workspace / "repos" / "widgets");
        std::ofstream(workspace / "repos" / "widgets" / "file") << "content\n";
        return workspace;
    }

    static Poco::Logger& logger() { return Poco::Logger::get("test.retention"); }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(WorkspaceRetentionTest, "workspace_retention");
