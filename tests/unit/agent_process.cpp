// Unit tests for starting an agent process when the runner is short of
// file descriptors.
#include "syn/agent_process.h"

#include <cppunit/extensions/HelperMacros.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

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
};

CPPUNIT_TEST_SUITE_NAMED_REGISTRATION(AgentProcessTest, "agent_process");
