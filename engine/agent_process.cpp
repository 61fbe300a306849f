#include "syn/agent_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent_child.h"

namespace syn {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kPollMilliseconds = 50;
// How long to wait for pipes to reach end of file after the group was killed;
// only a process that left the group with setsid can keep them open longer.
constexpr auto kDrainLimit = std::chrono::seconds(2);

std::string errnoText(int error) {
    return std::strerror(error);
}

bool isExecutableFile(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}

void setNonBlocking(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void appendTail(std::string& tail, const char* data, size_t size, size_t limit) {
    tail.append(data, size);
    if (tail.size() > limit) {
        tail.erase(0, tail.size() - limit);
    }
}

std::string truncationMarker(size_t outputMaxBytes) {
    return "\n[syn-runner: output truncated after " + std::to_string(outputMaxBytes) + " bytes]\n";
}

// Decides when AgentProcess::wait calls an OutputProgress hook and calls it.
class ProgressSchedule {
  public:
    ProgressSchedule(const OutputProgress& progress, Clock::time_point start)
        : progress_(progress),
          active_(progress.hook && progress.interval.count() > 0),
          due_(start + progress.interval) {}

    // Calls the hook when an interval has passed since the last call (or the
    // start) and stdout grew or was cut meanwhile.
    void poll(const AgentResult& result, size_t outputMaxBytes, Clock::time_point now) {
        bool grew = result.output.size() > sentBytes_ || result.outputTruncated != sentTruncated_;
        if (!active_ || now < due_ || !grew) {
            return;
        }
        sentBytes_ = result.output.size();
        sentTruncated_ = result.outputTruncated;
        if (result.outputTruncated) {
            active_ = progress_.hook(result.output + truncationMarker(outputMaxBytes), true);
        } else {
            active_ = progress_.hook(result.output, false);
        }
        // Counted from the hook's return, so that a slow hook never runs back to back.
        due_ = Clock::now() + progress_.interval;
    }

  private:
    const OutputProgress& progress_;
    bool active_;
    Clock::time_point due_;
    size_t sentBytes_ = 0;
    bool sentTruncated_ = false;
};

}  // namespace

std::string resolveExecutable(const std::string& command) {
    if (command.empty()) {
        throw AgentStartError("Agent command is empty; set runner.agent_command");
    }
    if (command.find('/') != std::string::npos) {
        if (::access(command.c_str(), F_OK) != 0) {
            throw AgentStartError("Agent command " + command + " not found");
        }
        if (!isExecutableFile(command)) {
            throw AgentStartError("Agent command " + command + " is not an executable file");
        }
        return command;
    }

    const char* path = std::getenv("PATH");
    std::string_view directories = path == nullptr ? "/usr/local/bin:/usr/bin:/bin" : path;
    while (true) {
        size_t colon = directories.find(':');
        std::string directory(directories.substr(0, colon));
        std::string candidate = (directory.empty() ? "." : directory) + "/" + command;
        if (isExecutableFile(candidate)) {
            return candidate;
        }
        if (colon == std::string_view::npos) {
            break;
        }
        directories.remove_prefix(colon + 1);
    }
    throw AgentStartError("Agent command " + command +
                          " not found as an executable on PATH; set runner.agent_command to its "
                          "full path");
}

AgentProcess::AgentProcess(const AgentLaunch& launch) : input_(launch.input) {
    if (launch.argv.empty()) {
        throw AgentStartError("Agent command is empty; set runner.agent_command");
    }
    std::string path = resolveExecutable(launch.argv[0]);
    std::vector<std::string> arguments = launch.argv;
    std::vector<std::string> environment = agent_child::mergedEnvironment(launch.environment);
    std::vector<char*> argv = agent_child::pointers(arguments);
    std::vector<char*> envp = agent_child::pointers(environment);

    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 ||
        ::pipe2(err, O_CLOEXEC) != 0) {
        int error = errno;
        // The pipes created before the failing call are closed, so that a
        // runner out of descriptors recovers once they are free again.
        for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) {
            if (fd >= 0) {
                ::close(fd);
            }
        }
        throw AgentStartError("Creating pipes for the agent failed: " + errnoText(error) +
                              "; raise the runner's open-file limit (LimitNOFILE)");
    }

    agent_child::ChildStart start{
        path.c_str(), argv.data(), envp.data(), launch.workingDirectory.c_str(),
        in[0],        out[1],      err[1],      ::getpid()};
    pid_t pid = agent_child::cloneChild(start);
    if (pid < 0) {
        int error = errno;
        for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) {
            ::close(fd);
        }
        throw AgentStartError("Starting a process for the agent failed: " + errnoText(error));
    }

    // The child called setpgid before execve, and CLONE_VFORK held this
    // thread until then, so the group exists already.
    pid_ = pid;
    exitNotice_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    for (int fd : {in[0], out[1], err[1]}) {
        ::close(fd);
    }
    stdin_ = in[1];
    stdout_ = out[0];
    stderr_ = err[0];

    if (start.error != 0) {
        ::waitpid(pid_, nullptr, 0);
        reaped_ = true;
        throw AgentStartError("Starting agent " + path + " in " + launch.workingDirectory +
                              " failed: " + errnoText(start.error));
    }

    setNonBlocking(stdin_);
    setNonBlocking(stdout_);
    setNonBlocking(stderr_);
    if (input_.empty()) {
        closeStdin();
    }
}

AgentProcess::~AgentProcess() {
    if (!reaped_ && pid_ > 0) {
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    if (exitNotice_ >= 0) {
        ::close(exitNotice_);
    }
    closeStdin();
    for (int fd : {stdout_, stderr_}) {
        if (fd >= 0) {
            ::close(fd);
        }
    }
}

void AgentProcess::closeStdin() {
    if (stdin_ >= 0) {
        ::close(stdin_);
        stdin_ = -1;
    }
}

AgentResult AgentProcess::wait(const AgentLimits& limits, const std::atomic<StopRequest>& stop,
                               const OutputProgress& progress) {
    AgentResult result;
    const Clock::time_point start = Clock::now();
    const Clock::time_point deadline = start + limits.timeout;
    ProgressSchedule schedule(progress, start);
    bool terminating = false;
    bool killed = false;
    bool leftProcesses = false;
    int status = 0;
    Clock::time_point killAt;
    Clock::time_point drainUntil;

    while (true) {
        pumpPipes(result, limits);
        Clock::time_point now = Clock::now();

        if (!reaped_ && ::waitpid(pid_, &status, WNOHANG) == pid_) {
            reaped_ = true;
            closeStdin();
            // Anything still in the group was started by the agent and would
            // otherwise outlive it, holding the output pipes open.
            leftProcesses = ::kill(-pid_, 0) == 0;
            ::kill(-pid_, SIGKILL);
            drainUntil = now + kDrainLimit;
        }
        if (reaped_) {
            bool drained = stdout_ < 0 && stderr_ < 0;
            if (drained || now >= drainUntil) {
                break;
            }
            continue;
        }

        StopRequest request = stop.load();
        if (!terminating && (request != StopRequest::none || now >= deadline)) {
            terminating = true;
            result.ending = request != StopRequest::none ? AgentResult::Ending::stopped
                                                         : AgentResult::Ending::timedOut;
            result.stoppedBy = request;
            ::kill(-pid_, SIGTERM);
            killAt = now + limits.killGrace;
        }
        if (terminating && !killed && now >= killAt) {
            killed = true;
            ::kill(-pid_, SIGKILL);
        }
        // A stopped agent's output is stored by the write that ends its phase.
        if (!terminating) {
            schedule.poll(result, limits.outputMaxBytes, now);
        }
    }

    if (!terminating) {
        if (WIFSIGNALED(status)) {
            result.ending = AgentResult::Ending::signaled;
            result.signal = WTERMSIG(status);
        } else {
            result.exitCode = WEXITSTATUS(status);
            result.ending =
                leftProcesses ? AgentResult::Ending::leftProcesses : AgentResult::Ending::exited;
        }
    }
    result.inputBytes = input_.size();
    result.inputAccepted = inputWritten_;
    if (result.outputTruncated) {
        result.output += truncationMarker(limits.outputMaxBytes);
    }
    return result;
}

void AgentProcess::pumpPipes(AgentResult& result, const AgentLimits& limits) {
    pollfd fds[4];
    nfds_t count = 0;
    for (int fd : {stdout_, stderr_}) {
        if (fd >= 0) {
            fds[count++] = {fd, POLLIN, 0};
        }
    }
    if (stdin_ >= 0) {
        fds[count++] = {stdin_, POLLOUT, 0};
    }
    if (!reaped_ && exitNotice_ >= 0) {
        fds[count++] = {exitNotice_, POLLIN, 0};
    }
    if (count == 0) {
        ::usleep(kPollMilliseconds * 1000);
        return;
    }
    if (::poll(fds, count, kPollMilliseconds) <= 0) {
        return;
    }

    char buffer[65536];
    for (nfds_t i = 0; i < count; ++i) {
        if (fds[i].revents == 0 || fds[i].fd == exitNotice_) {
            continue;  // the caller's waitpid collects the exit
        }
        if (fds[i].fd == stdin_) {
            writeInput();
            continue;
        }
        ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
        if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
            continue;
        }
        if (got <= 0) {
            int& owned = fds[i].fd == stdout_ ? stdout_ : stderr_;
            ::close(owned);
            owned = -1;
            continue;
        }
        if (fds[i].fd == stderr_) {
            appendTail(result.stderrTail, buffer, got, limits.stderrTailBytes);
            continue;
        }
        // Reading continues past the cap so that a chatty agent never blocks on a full pipe.
        size_t room = limits.outputMaxBytes - std::min(limits.outputMaxBytes, result.output.size());
        result.output.append(buffer, std::min(room, static_cast<size_t>(got)));
        if (static_cast<size_t>(got) > room) {
            result.outputTruncated = true;
        }
    }
}

void AgentProcess::writeInput() {
    ssize_t wrote = ::write(stdin_, input_.data() + inputWritten_, input_.size() - inputWritten_);
    if (wrote < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    // EPIPE and friends: the agent closed stdin or exited; it does not want the rest.
    if (wrote < 0) {
        closeStdin();
        return;
    }
    inputWritten_ += static_cast<size_t>(wrote);
    if (inputWritten_ == input_.size()) {
        closeStdin();
    }
}

}  // namespace syn
