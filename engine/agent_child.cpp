#include "agent_child.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

extern char** environ;

namespace syn::agent_child {

namespace {

// True for variables that configure the runner itself: its SYN_* settings,
// which include database URLs, and libpq's PG* variables such as PGPASSWORD.
// An agent runs untrusted model output, so it must not inherit them.
bool isRunnerOnlyVariable(std::string_view name) {
    return name.starts_with("SYN_") || name.starts_with("PG");
}

// Runs in the child made by clone(CLONE_VM | CLONE_VFORK). The child shares
// the parent's memory, so it makes only system calls until execve, and no
// signal handler of the runner may run in it.
int execChild(void* argument) {
    ChildStart& start = *static_cast<ChildStart*>(argument);
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The runner may have died between clone and prctl, and then no death signal would come.
    if (::getppid() != start.parent) {
        ::_exit(127);
    }

    // Every signal is blocked here because the parent blocked them before
    // clone. Handlers go back to the default before unblocking, because a
    // runner handler running in this shared memory could corrupt the parent.
    for (int signal = 1; signal < NSIG; ++signal) {
        struct sigaction action {};
        if (::sigaction(signal, nullptr, &action) == 0 && action.sa_handler != SIG_DFL &&
            action.sa_handler != SIG_IGN) {
            action.sa_handler = SIG_DFL;
            ::sigaction(signal, &action, nullptr);
        }
    }
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);

    ::dup2(start.in, 0);
    ::dup2(start.out, 1);
    ::dup2(start.err, 2);
    // Nothing else of the runner's (database sockets, other agents' pipes)
    // may leak into the agent.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

    if (::chdir(start.directory) != 0) {
        start.error = errno;
    } else {
        ::execve(start.path, start.argv, start.envp);
        start.error = errno;
    }
    ::_exit(127);
}

}  // namespace

std::vector<std::string> mergedEnvironment(const std::map<std::string, std::string>& extra) {
    std::vector<std::string> merged;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string_view item(*entry);
        std::string name(item.substr(0, item.find('=')));
        if (extra.find(name) == extra.end() && !isRunnerOnlyVariable(name)) {
            merged.emplace_back(item);
        }
    }
    for (const auto& [name, value] : extra) {
        merged.push_back(name + "=" + value);
    }
    return merged;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> result;
    for (std::string& text : strings) {
        result.push_back(text.data());
    }
    result.push_back(nullptr);
    return result;
}

// Starts the child with clone(CLONE_VM | CLONE_VFORK), as posix_spawn does:
// unlike fork, no page tables are copied and the runner's other threads take
// no copy-on-write faults afterwards. The calling thread resumes once the
// child has called execve or exited. Returns the pid, or -1 with errno set.
pid_t cloneChild(ChildStart& start) {
    // The child runs on this buffer while this thread waits in clone.
    constexpr size_t kChildStackBytes = 64 * 1024;
    alignas(16) char stack[kChildStackBytes];

    sigset_t all;
    sigset_t previous;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t pid =
        ::clone(execChild, stack + kChildStackBytes, CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
    int cloneError = errno;
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    errno = cloneError;
    return pid;
}

}  // namespace syn::agent_child
