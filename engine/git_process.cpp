#include "syn/git_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <system_error>
#include <thread>

extern char** environ;

namespace syn::workspace {
namespace {

constexpr size_t kOutputTailBytes = 16 * 1024;

// Variables that would point git at another repository, another
// configuration or an interactive credential helper.
bool isOverriddenVariable(std::string_view entry) {
    static constexpr std::string_view kPrefixes[] = {
        "GIT_DIR=",        "GIT_WORK_TREE=",       "GIT_INDEX_FILE=",        "GIT_CONFIG_COUNT=",
        "GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_",    "GIT_CONFIG_PARAMETERS=", "GIT_ASKPASS=",
        "SSH_ASKPASS=",    "GIT_TERMINAL_PROMPT=",
    };
    for (std::string_view prefix : kPrefixes) {
        if (entry.starts_with(prefix)) {
            return true;
        }
    }
    return false;
}

std::vector<std::string> buildEnvironment(const std::vector<std::string>& extra) {
    std::vector<std::string> environment;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        if (!isOverriddenVariable(*entry)) {
            environment.emplace_back(*entry);
        }
    }
    environment.emplace_back("GIT_TERMINAL_PROMPT=0");
    environment.insert(environment.end(), extra.begin(), extra.end());
    return environment;
}

std::vector<char*> pointersTo(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    for (std::string& value : strings) {
        pointers.push_back(value.data());
    }
    pointers.push_back(nullptr);
    return pointers;
}

void throwIfFailed(int error, const char* what) {
    if (error != 0) {
        throw std::system_error(error, std::generic_category(), what);
    }
}

// Owns the spawn attributes so that every exit path destroys them.
class SpawnSetup {
  public:
    explicit SpawnSetup(int outputDescriptor) {
        throwIfFailed(posix_spawn_file_actions_init(&actions_), "posix_spawn_file_actions_init");
        throwIfFailed(posix_spawnattr_init(&attributes_), "posix_spawnattr_init");
        posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&actions_, outputDescriptor, 1);
        posix_spawn_file_actions_adddup2(&actions_, outputDescriptor, 2);
        posix_spawn_file_actions_addclosefrom_np(&actions_, 3);

        // git gets its own process group so that a timeout can kill it with
        // every helper it started. It also gets default signal dispositions
        // and an empty signal mask, whatever the runner's threads had set.
        sigset_t defaults;
        sigemptyset(&defaults);
        for (int signal : {SIGPIPE, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD}) {
            sigaddset(&defaults, signal);
        }
        sigset_t emptyMask;
        sigemptyset(&emptyMask);
        posix_spawnattr_setsigdefault(&attributes_, &defaults);
        posix_spawnattr_setsigmask(&attributes_, &emptyMask);
        posix_spawnattr_setpgroup(&attributes_, 0);
        posix_spawnattr_setflags(
            &attributes_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions_);
        posix_spawnattr_destroy(&attributes_);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;

    const posix_spawn_file_actions_t* actions() const { return &actions_; }
    const posix_spawnattr_t* attributes() const { return &attributes_; }

  private:
    posix_spawn_file_actions_t actions_;
    posix_spawnattr_t attributes_;
};

// The two reasons to kill git before it ends: its deadline and a stop request.
class Interruption {
  public:
    Interruption(std::chrono::steady_clock::time_point deadline,
                 const std::atomic<StopRequest>* stop)
        : deadline_(deadline), stop_(stop) {}

    StopRequest stopRequest() const { return stop_ == nullptr ? StopRequest::none : stop_->load(); }
    bool due() const {
        return stopRequest() != StopRequest::none || std::chrono::steady_clock::now() >= deadline_;
    }
    // Returns how long one poll may block: until the deadline, but no longer
    // than the interval at which the stop request is read.
    int pollTimeoutMilliseconds() const {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline_ - std::chrono::steady_clock::now());
        return static_cast<int>(std::clamp<long long>(left.count(), 0, kStopPollMilliseconds));
    }

  private:
    static constexpr long long kStopPollMilliseconds = 50;

    std::chrono::steady_clock::time_point deadline_;
    const std::atomic<StopRequest>* stop_;
};

void appendTail(std::string& output, const char* data, size_t size) {
    output.append(data, size);
    if (output.size() > kOutputTailBytes) {
        output.erase(0, output.size() - kOutputTailBytes);
    }
}

// Reads git's output until end of file. Returns false when the interruption
// came first.
bool readOutput(int descriptor, std::string& output, const Interruption& interruption) {
    char buffer[4096];
    while (!interruption.due()) {
        pollfd entry{descriptor, POLLIN, 0};
        int ready = poll(&entry, 1, interruption.pollTimeoutMilliseconds());
        if (ready < 0 && errno != EINTR) {
            throw std::system_error(errno, std::generic_category(), "poll on git output");
        }
        if (ready <= 0) {
            continue;
        }
        ssize_t count = read(descriptor, buffer, sizeof buffer);
        if (count == 0) {
            return true;
        }
        if (count < 0 && errno != EINTR && errno != EAGAIN) {
            throw std::system_error(errno, std::generic_category(), "read of git output");
        }
        if (count > 0) {
            appendTail(output, buffer, static_cast<size_t>(count));
        }
    }
    return false;
}

// Waits for git to exit. Returns false when the interruption came first.
bool waitForExit(pid_t pid, int& status, const Interruption& interruption) {
    while (true) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            return true;
        }
        if (done < 0 && errno != EINTR) {
            throw std::system_error(errno, std::generic_category(), "waitpid for git");
        }
        if (interruption.due()) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace

GitResult runGit(const std::vector<std::string>& arguments,
                 const std::vector<std::string>& extraEnvironment,
                 std::chrono::steady_clock::time_point deadline,
                 const std::atomic<StopRequest>* stop) {
    GitResult result;
    const Interruption interruption(deadline, stop);
    result.stoppedBy = interruption.stopRequest();
    if (result.stoppedBy != StopRequest::none) {
        return result;
    }

    std::vector<std::string> argv{"git"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    std::vector<std::string> environment = buildEnvironment(extraEnvironment);
    std::vector<char*> argvPointers = pointersTo(argv);
    std::vector<char*> environmentPointers = pointersTo(environment);

    int pipeEnds[2];
    if (pipe2(pipeEnds, O_CLOEXEC) != 0) {
        throw std::system_error(errno, std::generic_category(), "pipe for git output");
    }
    pid_t pid = 0;
    int spawnError = 0;
    {
        SpawnSetup setup(pipeEnds[1]);
        spawnError = posix_spawnp(&pid, "git", setup.actions(), setup.attributes(),
                                  argvPointers.data(), environmentPointers.data());
    }
    close(pipeEnds[1]);
    if (spawnError != 0) {
        close(pipeEnds[0]);
        throw std::system_error(spawnError, std::generic_category(), "starting git");
    }

    int status = 0;
    bool finished = false;
    try {
        finished = readOutput(pipeEnds[0], result.output, interruption) &&
                   waitForExit(pid, status, interruption);
    } catch (...) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        close(pipeEnds[0]);
        throw;
    }
    close(pipeEnds[0]);

    if (!finished) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        // A stop request that came with the deadline counts as the reason.
        result.stoppedBy = interruption.stopRequest();
        result.timedOut = result.stoppedBy == StopRequest::none;
        return result;
    }
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

}  // namespace syn::workspace
