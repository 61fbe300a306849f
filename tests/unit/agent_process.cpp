// Unit tests for AgentProcess: starting when the runner is short of file
// descriptors, and counting how much of its prompt an agent took.
#include "syn/agent_process.h"

#include <cppunit/extensions/HelperMacros.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
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

}  // namespace

class AgentProcessTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AgentProcessTest);
    CPPUNIT_TEST(pipeFailureClosesEarlierPipes);
    CPPUNIT_TEST(unreadPromptIsCounted);
    CPPUNIT_TEST(readPromptIsCounted);
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
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(AgentProcessTest, "agent_process");
