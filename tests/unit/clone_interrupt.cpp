// Unit tests for stop requests that interrupt git: runGit kills git's whole
// process group, RepositoryCloner deletes the partial clone, and the
// hydrator reports the stop as CloneStopped rather than as a failed clone.
// Hanging clones wait on a loopback listener that never responds.
#include <Poco/Logger.h>
#include <cppunit/extensions/HelperMacros.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "../fixtures/bare_repository.h"
#include "../fixtures/silent_server.h"
#include "syn/git_process.h"
#include "syn/repository_cloner.h"
#include "syn/workspace_hydrator.h"

namespace fs = std::filesystem;
using syn::StopRequest;
using syn::testing::SilentServer;
using syn::testing::TemporaryDirectory;
using syn::workspace::CloneStopped;
using syn::workspace::GitResult;
using syn::workspace::GitSettings;
using syn::workspace::RepositoryCloner;
using syn::workspace::RepositorySources;
using syn::workspace::WorkspaceHydrator;

namespace {

using Clock = std::chrono::steady_clock;

// Waits up to 10 s for `path` to contain a pid. Returns 0 when it never does.
pid_t readPidFile(const fs::path& path) {
    for (int i = 0; i < 200; ++i) {
        std::ifstream file(path);
        pid_t pid = 0;
        if (file >> pid && pid > 0) {
            return pid;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return 0;
}

// True while `pid` exists and is not a zombie.
bool processRunning(pid_t pid) {
    if (::kill(pid, 0) != 0) {
        return false;
    }
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    size_t close = line.rfind(')');
    return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
}

bool hasPartialClone(const fs::path& directory) {
    for (const auto& entry : fs::directory_iterator(directory)) {
        if (entry.path().filename().string().find(".partial-") != std::string::npos) {
            return true;
        }
    }
    return false;
}

// Sets `stop` to `request` after `delay` on its own thread and records when.
class DelayedStop {
  public:
    DelayedStop(std::atomic<StopRequest>& stop, StopRequest request,
                std::chrono::milliseconds delay)
        : thread_([&stop, request, delay, this] {
              std::this_thread::sleep_for(delay);
              requestedAt_ = Clock::now();
              stop = request;
          }) {}
    ~DelayedStop() { join(); }

    // Waits for the request to be set and returns when it was.
    Clock::time_point join() {
        if (thread_.joinable()) {
            thread_.join();
        }
        return requestedAt_;
    }

  private:
    Clock::time_point requestedAt_;
    std::thread thread_;
};

}  // namespace

class CloneInterruptTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CloneInterruptTest);
    CPPUNIT_TEST(stopKillsGitProcessGroup);
    CPPUNIT_TEST(setStopStartsNoGit);
    CPPUNIT_TEST(stoppedCloneLeavesNoPartial);
    CPPUNIT_TEST(hydrateReportsStopNotFailure);
    CPPUNIT_TEST_SUITE_END();

  public:
    void setUp() override { scratch_ = std::make_unique<TemporaryDirectory>(); }
    void tearDown() override { scratch_.reset(); }

    // A shell alias runs `sleep` as a grandchild of git, in git's process
    // group: the stop must kill it as well, not only git itself.
    void stopKillsGitProcessGroup() {
        const fs::path pidFile = scratch_->path() / "sleep.pid";
        std::atomic<StopRequest> stop{StopRequest::none};
        DelayedStop request(stop, StopRequest::cancel, std::chrono::milliseconds(300));

        GitResult result = syn::workspace::runGit(
            {"-c", "alias.hang=!echo $$ >" + pidFile.string() + "; exec sleep 30", "hang"}, {},
            Clock::now() + std::chrono::seconds(30), &stop);
        auto returnedAt = Clock::now();
        auto requestedAt = request.join();

        CPPUNIT_ASSERT(result.stoppedBy == StopRequest::cancel);
        CPPUNIT_ASSERT(!result.timedOut);
        CPPUNIT_ASSERT_EQUAL(-1, result.exitCode);
        CPPUNIT_ASSERT(returnedAt - requestedAt < std::chrono::milliseconds(500));
        pid_t sleeper = readPidFile(pidFile);
        CPPUNIT_ASSERT(sleeper > 0);
        CPPUNIT_ASSERT(!processRunning(sleeper));
    }

    void setStopStartsNoGit() {
        const fs::path marker = scratch_->path() / "ran";
        std::atomic<StopRequest> stop{StopRequest::shutdown};

        GitResult result =
            syn::workspace::runGit({"-c", "alias.mark=!touch " + marker.string(), "mark"}, {},
                                   Clock::now() + std::chrono::seconds(30), &stop);

        CPPUNIT_ASSERT(result.stoppedBy == StopRequest::shutdown);
        CPPUNIT_ASSERT(!result.timedOut);
        CPPUNIT_ASSERT(!fs::exists(marker));
    }

    void stoppedCloneLeavesNoPartial() {
        SilentServer server;
        GitSettings settings;
        settings.urlTemplate = server.urlTemplate();
        settings.timeout = std::chrono::seconds(60);
        const fs::path target = scratch_->path() / "repos" / "widgets";
        std::atomic<StopRequest> stop{StopRequest::none};
        DelayedStop request(stop, StopRequest::leaseLost, std::chrono::milliseconds(300));

        std::optional<CloneStopped> stopped;
        try {
            RepositoryCloner(settings).clone({"acme", "widgets"}, std::nullopt, target, &stop);
        } catch (const CloneStopped& error) {
            stopped = error;
        }
        auto returnedAt = Clock::now();
        auto requestedAt = request.join();

        CPPUNIT_ASSERT(stopped.has_value());
        CPPUNIT_ASSERT(stopped->request() == StopRequest::leaseLost);
        CPPUNIT_ASSERT_EQUAL(std::string("acme/widgets"), stopped->slug().text());
        CPPUNIT_ASSERT_EQUAL(std::string("Cloning acme/widgets was stopped"),
                             std::string(stopped->what()));
        CPPUNIT_ASSERT(returnedAt - requestedAt < std::chrono::milliseconds(500));
        CPPUNIT_ASSERT(!fs::exists(target));
        CPPUNIT_ASSERT(!hasPartialClone(target.parent_path()));
    }

    // The first repository is complete before the stop; it stays for a later
    // attempt while the interrupted second one is deleted.
    void hydrateReportsStopNotFailure() {
        SilentServer server;
        GitSettings settings;
        settings.urlTemplate = server.urlTemplate();
        settings.timeout = std::chrono::seconds(60);
        WorkspaceHydrator hydrator{RepositoryCloner(settings), Poco::Logger::get("test.clone")};
        const fs::path workspace = scratch_->path() / "workspace";
        fs::create_directories(workspace / "repos" / "gadgets");
        RepositorySources sources;
        sources.executionId = "exec-0123456789ab";
        sources.workflowId = "review";
        sources.executionRepos = {"acme/gadgets", "acme/widgets"};
        std::atomic<StopRequest> stop{StopRequest::none};
        DelayedStop request(stop, StopRequest::cancel, std::chrono::milliseconds(300));

        std::optional<CloneStopped> stopped;
        try {
            hydrator.hydrate(sources, workspace, &stop);
        } catch (const CloneStopped& error) {
            stopped = error;
        }
        request.join();

        CPPUNIT_ASSERT(stopped.has_value());
        CPPUNIT_ASSERT(stopped->request() == StopRequest::cancel);
        CPPUNIT_ASSERT_EQUAL(std::string("acme/widgets"), stopped->slug().text());
        CPPUNIT_ASSERT(fs::is_directory(workspace / "repos" / "gadgets"));
        CPPUNIT_ASSERT(!fs::exists(workspace / "repos" / "widgets"));
        CPPUNIT_ASSERT(!hasPartialClone(workspace / "repos"));
        CPPUNIT_ASSERT(!fs::exists(workspace / "AGENTS.md"));
    }

  private:
    std::unique_ptr<TemporaryDirectory> scratch_;
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(CloneInterruptTest, "clone_interrupt");
