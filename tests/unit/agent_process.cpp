// Unit tests for AgentProcess: starting when the runner is short of file
// descriptors, counting how much of its prompt an agent took, and passing the
// output so far to an OutputProgress hook while the agent runs.
#include "syn/agent_process.h"

#include <cppunit/extensions/HelperMacros.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace {

// Lowers the descriptor limit and opens every free descriptor below it except
// `free` of them. The destructor closes them and restores the limit.
class DescriptorShortage {
  public:
    explicit DescriptorShortage(int free) {
        getrlimit(RLIMIT_NOFILE, &saved_);
        rlimit lowered = saved_;
        lowered.rlim_cur = kLimit;
        setrlimit(RLIMIT_NOFILE, &lowered);
        for (;;) {
            int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                break;
            }
            fillers_.push_back(fd);
        }
        for (int i = 0; i < free && !fillers_.empty(); ++i) {
            ::close(fillers_.back());
            fillers_.pop_back();
        }
    }

    ~DescriptorShortage() {
        for (int fd : fillers_) {
            ::close(fd);
        }
        setrlimit(RLIMIT_NOFILE, &saved_);
    }

    DescriptorShortage(const DescriptorShortage&) = delete;
    DescriptorShortage& operator=(const DescriptorShortage&) = delete;

    // Returns how many descriptors can still be opened, at most `limit`.
    static int openable(int limit) {
        std::vector<int> opened;
        for (int i = 0; i < limit; ++i) {
            int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                break;
            }
            opened.push_back(fd);
        }
        for (int fd : opened) {
            ::close(fd);
        }
        return static_cast<int>(opened.size());
    }

  private:
    static constexpr rlim_t kLimit = 64;
    rlimit saved_{};
    std::vector<int> fillers_;
};

using Clock = std::chrono::steady_clock;

// One call of an OutputProgress hook.
struct ProgressCall {
    std::string output;
    bool truncated = false;
    Clock::time_point at;
};

// Runs `script` with sh -c and records every progress call. The hook returns `accept`.
struct ProgressRun {
    syn::AgentResult result;
    std::vector<ProgressCall> calls;
    Clock::time_point started;
    Clock::time_point ended;
};

ProgressRun runWithProgress(const std::string& script, std::chrono::milliseconds interval,
                            syn::AgentLimits limits = {}, bool accept = true) {
    syn::AgentLaunch launch;
    launch.argv = {"sh", "-c", script};
    launch.workingDirectory = "/";
    std::atomic<syn::StopRequest> stop{syn::StopRequest::none};

    ProgressRun run;
    syn::OutputProgress progress;
    progress.interval = interval;
    progress.hook = [&run, accept](const std::string& output, bool truncated) {
        run.calls.push_back({output, truncated, Clock::now()});
        return accept;
    };
    syn::AgentProcess agent(launch);
    run.started = Clock::now();
    run.result = agent.wait(limits, stop, progress);
    run.ended = Clock::now();
    return run;
}

// A shell loop that prints a numbered line every 20 ms, `count` times.
std::string printLines(int count) {
    return "i=0; while [ $i -lt " + std::to_string(count) +
           " ]; do echo line $i; i=$((i+1)); sleep 0.02; done";
}

}  // namespace

class AgentProcessTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AgentProcessTest);
    CPPUNIT_TEST(pipeFailureClosesEarlierPipes);
    CPPUNIT_TEST(unreadPromptIsCounted);
    CPPUNIT_TEST(readPromptIsCounted);
    CPPUNIT_TEST(progressSeesOutputBeforeExit);
    CPPUNIT_TEST(progressWaitsOneInterval);
    CPPUNIT_TEST(silentAgentGetsNoProgress);
    CPPUNIT_TEST(progressCarriesTruncationMarker);
    CPPUNIT_TEST(declinedProgressGetsNoMoreCalls);
    CPPUNIT_TEST(stopEndsWaitDuringProgress);
    CPPUNIT_TEST_SUITE_END();

  public:
    // Two free descriptors let the stdin pipe open and make the stdout pipe
    // fail; the stdin pipe must be closed again.
    void pipeFailureClosesEarlierPipes() {
        DescriptorShortage shortage(2);
        CPPUNIT_ASSERT_EQUAL(2, DescriptorShortage::openable(3));

        syn::AgentLaunch launch;
        launch.argv = {"true"};
        launch.workingDirectory = "/";
        CPPUNIT_ASSERT_THROW(syn::AgentProcess process(launch), syn::AgentStartError);

        CPPUNIT_ASSERT_EQUAL(2, DescriptorShortage::openable(3));
    }

    // An agent that never reads stdin leaves most of a prompt larger than
    // the pipe's buffer (64 KiB on Linux) untaken when it times out.
    void unreadPromptIsCounted() {
        syn::AgentLaunch launch;
        launch.argv = {"sleep", "30"};
        launch.workingDirectory = "/";
        launch.input = std::string(1 << 20, 'p');
        syn::AgentLimits limits;
        limits.timeout = std::chrono::seconds(1);
        limits.killGrace = std::chrono::seconds(1);
        std::atomic<syn::StopRequest> stop{syn::StopRequest::none};

        syn::AgentProcess agent(launch);
        syn::AgentResult result = agent.wait(limits, stop);
        CPPUNIT_ASSERT(result.ending == syn::AgentResult::Ending::timedOut);
        CPPUNIT_ASSERT_EQUAL(launch.input.size(), result.inputBytes);
        CPPUNIT_ASSERT(result.inputAccepted < result.inputBytes);
    }

    void readPromptIsCounted() {
        syn::AgentLaunch launch;
        launch.argv = {"cat"};
        launch.workingDirectory = "/";
        launch.input = std::string(1 << 20, 'p');
        std::atomic<syn::StopRequest> stop{syn::StopRequest::none};

        syn::AgentProcess agent(launch);
        syn::AgentResult result = agent.wait(syn::AgentLimits{}, stop);
        CPPUNIT_ASSERT(result.ending == syn::AgentResult::Ending::exited);
        CPPUNIT_ASSERT_EQUAL(launch.input.size(), result.inputAccepted);
        CPPUNIT_ASSERT_EQUAL(launch.input.size(), result.output.size());
    }

    // The first line reaches the hook during the sleep, before the agent exits.
    void progressSeesOutputBeforeExit() {
        ProgressRun run =
            runWithProgress("echo first; sleep 1; echo second", std::chrono::milliseconds(100));
        CPPUNIT_ASSERT(run.result.ending == syn::AgentResult::Ending::exited);
        CPPUNIT_ASSERT_EQUAL(std::string("first\nsecond\n"), run.result.output);
        CPPUNIT_ASSERT(!run.calls.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("first\n"), run.calls.front().output);
        CPPUNIT_ASSERT(!run.calls.front().truncated);
        CPPUNIT_ASSERT(run.ended - run.calls.front().at > std::chrono::milliseconds(500));
    }

    // An agent printing every 20 ms for about 1.5 s gets a call at most every
    // 300 ms, the first one 300 ms after the wait started.
    void progressWaitsOneInterval() {
        const auto interval = std::chrono::milliseconds(300);
        ProgressRun run = runWithProgress(printLines(60), interval);
        CPPUNIT_ASSERT(run.result.ending == syn::AgentResult::Ending::exited);
        CPPUNIT_ASSERT(run.calls.size() >= 2);
        CPPUNIT_ASSERT(run.calls.front().at - run.started >= interval);
        for (size_t i = 1; i < run.calls.size(); ++i) {
            CPPUNIT_ASSERT(run.calls[i].at - run.calls[i - 1].at >= interval);
            CPPUNIT_ASSERT(run.calls[i].output.size() > run.calls[i - 1].output.size());
        }
        CPPUNIT_ASSERT(run.calls.back().output.size() <= run.result.output.size());
    }

    // Output on stderr only is no phase output, so it gets no call either.
    void silentAgentGetsNoProgress() {
        ProgressRun run =
            runWithProgress("echo only stderr >&2; sleep 0.5", std::chrono::milliseconds(50));
        CPPUNIT_ASSERT(run.result.ending == syn::AgentResult::Ending::exited);
        CPPUNIT_ASSERT_EQUAL(std::string(""), run.result.output);
        CPPUNIT_ASSERT_EQUAL(size_t(0), run.calls.size());

        ProgressRun quiet = runWithProgress("true", std::chrono::milliseconds(1));
        CPPUNIT_ASSERT_EQUAL(size_t(0), quiet.calls.size());
    }

    // Once the cap is reached the output grows no more, so one call carries
    // the capped text with the same marker as the final output.
    void progressCarriesTruncationMarker() {
        syn::AgentLimits limits;
        limits.outputMaxBytes = 8;
        ProgressRun run = runWithProgress("echo 0123456789abcdef; sleep 0.6; echo more",
                                          std::chrono::milliseconds(100), limits);
        const std::string expected = "01234567\n[syn-runner: output truncated after 8 bytes]\n";
        CPPUNIT_ASSERT_EQUAL(expected, run.result.output);
        CPPUNIT_ASSERT_EQUAL(size_t(1), run.calls.size());
        CPPUNIT_ASSERT_EQUAL(expected, run.calls.front().output);
        CPPUNIT_ASSERT(run.calls.front().truncated);
    }

    void declinedProgressGetsNoMoreCalls() {
        ProgressRun run =
            runWithProgress(printLines(40), std::chrono::milliseconds(100), {}, false);
        CPPUNIT_ASSERT(run.result.ending == syn::AgentResult::Ending::exited);
        CPPUNIT_ASSERT_EQUAL(size_t(1), run.calls.size());
    }

    // A stop request still ends the wait at the next 50 ms poll while the
    // hook is being called, and no call follows it.
    void stopEndsWaitDuringProgress() {
        syn::AgentLaunch launch;
        launch.argv = {"sh", "-c", printLines(3000)};
        launch.workingDirectory = "/";
        std::atomic<syn::StopRequest> stop{syn::StopRequest::none};
        std::atomic<bool> stopSent{false};
        std::atomic<int> callsAfterStop{0};
        int calls = 0;
        syn::OutputProgress progress;
        progress.interval = std::chrono::milliseconds(50);
        progress.hook = [&](const std::string&, bool) {
            ++calls;
            if (stopSent.load()) {
                ++callsAfterStop;
            }
            return true;
        };
        syn::AgentLimits limits;
        limits.killGrace = std::chrono::seconds(1);

        syn::AgentProcess agent(launch);
        std::thread canceller([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(400));
            stop.store(syn::StopRequest::cancel);
            stopSent.store(true);
        });
        Clock::time_point started = Clock::now();
        syn::AgentResult result = agent.wait(limits, stop, progress);
        auto elapsed = Clock::now() - started;
        canceller.join();

        CPPUNIT_ASSERT(result.ending == syn::AgentResult::Ending::stopped);
        CPPUNIT_ASSERT(calls >= 2);
        // The store and the flag are not one step, so one call may fall between them.
        CPPUNIT_ASSERT(callsAfterStop.load() <= 1);
        // sh obeys SIGTERM at once, and the bound leaves room for a busy machine.
        CPPUNIT_ASSERT(elapsed < std::chrono::milliseconds(1000));
    }
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(AgentProcessTest, "agent_process");
