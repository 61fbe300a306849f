// One agent process: started in its own process group with the prompt on
// stdin, watched until it exits, times out or is stopped, then reaped.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace syn {

// The reason a runner stops an agent before it exits on its own.
enum class StopRequest { none, cancel, shutdown, leaseLost };

// An agent that could not be started (not found, not executable, exec failed).
class AgentStartError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct AgentLaunch {
    std::vector<std::string> argv;                   // argv[0] is a path or a name on PATH
    std::string workingDirectory;                    // must exist
    std::map<std::string, std::string> environment;  // added to the runner's environment
    std::string input;                               // written to stdin, then stdin is closed
};

struct AgentLimits {
    size_t outputMaxBytes = 1 << 20;  // stdout kept; the rest is read and dropped
    size_t stderrTailBytes = 4096;    // last bytes of stderr kept
    std::chrono::seconds timeout{300};
    std::chrono::seconds killGrace{5};  // SIGTERM to SIGKILL
};

struct AgentResult {
    enum class Ending {
        exited,         // exited on its own; see exitCode
        signaled,       // killed by a signal the runner did not send; see signal
        timedOut,       // ran past AgentLimits::timeout and was terminated
        stopped,        // terminated because of a StopRequest; see stoppedBy
        leftProcesses,  // exited but left processes in its group, which were killed
    };
    Ending ending = Ending::exited;
    int exitCode = -1;  // valid for exited and leftProcesses
    int signal = 0;     // valid for signaled
    StopRequest stoppedBy = StopRequest::none;
    std::string output;  // stdout, capped, with a marker line when cut
    bool outputTruncated = false;
    std::string stderrTail;
    std::size_t inputBytes = 0;     // size of AgentLaunch::input
    std::size_t inputAccepted = 0;  // bytes of it the stdin pipe took before it closed
};

// Receives the agent's stdout so far while it runs, capped and marked as
// AgentResult::output is at the end, and whether it was cut. Returns false to
// receive no further calls. It runs on the thread inside AgentProcess::wait
// and must not throw.
using OutputProgressHook = std::function<bool(const std::string& output, bool truncated)>;

// When AgentProcess::wait passes the output so far to a hook: at most once per
// `interval`, the first time one interval after wait starts, and only when
// stdout grew or was cut since the last call. An empty hook or an interval of
// 0 gets no calls.
struct OutputProgress {
    std::chrono::milliseconds interval{0};
    OutputProgressHook hook;
};

// Resolves argv[0] against PATH the way execvp would. Throws AgentStartError
// saying whether the command is missing or not executable.
std::string resolveExecutable(const std::string& command);

class AgentProcess {
  public:
    // Starts the agent in a new process group, without copying the runner's
    // memory (clone with CLONE_VM | CLONE_VFORK, then execve). The child gets
    // SIGKILL when the starting thread's process dies (PR_SET_PDEATHSIG), so
    // an agent does not outlive a runner killed with SIGKILL. Throws
    // AgentStartError when the command cannot be started.
    explicit AgentProcess(const AgentLaunch& launch);

    // Kills the whole group and reaps the agent if wait() did not finish.
    ~AgentProcess();
    AgentProcess(const AgentProcess&) = delete;
    AgentProcess& operator=(const AgentProcess&) = delete;

    // Feeds stdin, collects stdout and the stderr tail, and returns when the
    // agent and every process left in its group are gone. `stop` is polled
    // every 50 ms; any value but none terminates the group (SIGTERM, then
    // SIGKILL after limits.killGrace). While the agent runs and is not being
    // stopped, `progress` gets the output so far (see OutputProgress).
    AgentResult wait(const AgentLimits& limits, const std::atomic<StopRequest>& stop,
                     const OutputProgress& progress = {});

    pid_t pid() const { return pid_; }

  private:
    void pumpPipes(AgentResult& result, const AgentLimits& limits);
    void writeInput();
    void closeStdin();

    pid_t pid_ = -1;
    bool reaped_ = false;
    int stdin_ = -1;
    int stdout_ = -1;
    int stderr_ = -1;
    // A pidfd that polls readable once the agent exits, so the wait loop
    // wakes at the exit instead of at its next 50 ms tick; -1 when the
    // kernel has no pidfd_open.
    int exitNotice_ = -1;
    std::string input_;
    size_t inputWritten_ = 0;
};

}  // namespace syn
