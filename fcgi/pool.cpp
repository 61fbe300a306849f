#include "pool.h"

#include <Poco/Logger.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cstring>
#include <exception>
#include <string>

namespace syn::fcgi {

namespace {

Poco::Logger& logger() {
    static Poco::Logger& instance = Poco::Logger::get("syn.fcgi.pool");
    return instance;
}

sigset_t masterSignals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGCHLD);
    return signals;
}

extern "C" void onChildSignal(int) {}

std::string describeExit(int status) {
    if (WIFEXITED(status)) {
        return "exited with status " + std::to_string(WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        std::string text = "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
                           strsignal(WTERMSIG(status)) + ")";
        if (WCOREDUMP(status)) {
            text += ", core dumped";
        }
        return text;
    }
    return "changed state " + std::to_string(status);
}

long long milliseconds(Pool::Clock::duration duration) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
}

}  // namespace

int Pool::run() {
    masterPid_ = getpid();
    sigset_t signals = masterSignals();
    sigprocmask(SIG_BLOCK, &signals, nullptr);
    // A handler, even an empty one, keeps SIGCHLD pending for sigtimedwait()
    // whatever disposition the master inherited.
    struct sigaction action {};
    action.sa_handler = onChildSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGCHLD, &action, nullptr);

    logger().information("Master %d listening on %s, starting %d workers",
                         static_cast<int>(masterPid_), socket_.description(), workerCount_);
    startMissingWorkers(Clock::now());
    sd_notifyf(0, "READY=1\nSTATUS=Serving with %d workers", workerCount_);

    for (;;) {
        Clock::duration timeout = std::chrono::seconds(60);
        if (static_cast<int>(workers_.size()) < workerCount_) {
            timeout = std::max(Clock::duration(0), nextStart_ - Clock::now());
        }
        int signal = waitForSignal(timeout);
        if (signal == SIGTERM || signal == SIGINT) {
            logger().information("Master got %s; stopping", std::string(strsignal(signal)));
            break;
        }
        reapWorkers(true);
        startMissingWorkers(Clock::now());
    }
    stopWorkers();
    return 0;
}

// Returns the signal received, or -1 when `timeout` passed first.
int Pool::waitForSignal(Clock::duration timeout) {
    sigset_t signals = masterSignals();
    auto nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
    timespec wait{static_cast<time_t>(nanoseconds / 1'000'000'000),
                  static_cast<long>(nanoseconds % 1'000'000'000)};
    return sigtimedwait(&signals, nullptr, &wait);
}

void Pool::startMissingWorkers(Clock::time_point now) {
    while (static_cast<int>(workers_.size()) < workerCount_ && now >= nextStart_) {
        startWorker();
    }
}

void Pool::startWorker() {
    pid_t pid = fork();
    if (pid < 0) {
        auto delay = backoff_.delayAfterExit(RespawnBackoff::Duration(0));
        nextStart_ = Clock::now() + delay;
        logger().error("Cannot fork a worker: %s; retrying in %s ms",
                       std::string(std::strerror(errno)), std::to_string(delay.count()));
        return;
    }
    if (pid == 0) {
        runChild();
    }
    workers_[pid] = Clock::now();
    logger().information("Started worker %d", static_cast<int>(pid));
}

// Runs in the forked child and never returns: _exit() skips the master's
// destructors, which would otherwise unlink the socket file.
void Pool::runChild() {
    // The worker must not outlive a master killed with SIGKILL.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != masterPid_) {
        _exit(0);  // the master died before prctl() took effect
    }

    signal(SIGCHLD, SIG_DFL);
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGTERM);
    sigaddset(&stopSignals, SIGINT);
    sigprocmask(SIG_SETMASK, &stopSignals, nullptr);

    int code = 1;
    try {
        code = workerMain_(socket_.fd());
    } catch (const std::exception& error) {
        logger().critical("Worker %d failed: %s", static_cast<int>(getpid()),
                          std::string(error.what()));
    }
    _exit(code);
}

void Pool::reapWorkers(bool replace) {
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        auto worker = workers_.find(pid);
        if (worker == workers_.end()) {
            continue;
        }
        Clock::time_point now = Clock::now();
        auto lifetime = now - worker->second;
        workers_.erase(worker);

        if (!replace) {
            logger().information("Worker %d %s", static_cast<int>(pid), describeExit(status));
            continue;
        }
        auto delay =
            backoff_.delayAfterExit(std::chrono::duration_cast<RespawnBackoff::Duration>(lifetime));
        nextStart_ = now + delay;
        logger().warning("Worker %d %s after %s ms; starting a replacement in %s ms",
                         static_cast<int>(pid), describeExit(status),
                         std::to_string(milliseconds(lifetime)), std::to_string(delay.count()));
    }
}

void Pool::stopWorkers() {
    sd_notify(0, "STOPPING=1");
    socket_.close();
    logger().information("Sending SIGTERM to %d workers; waiting up to %s ms",
                         static_cast<int>(workers_.size()), std::to_string(shutdownGrace_.count()));
    for (const auto& [pid, started] : workers_) {
        kill(pid, SIGTERM);
    }

    Clock::time_point deadline = Clock::now() + shutdownGrace_;
    reapWorkers(false);
    while (!workers_.empty() && Clock::now() < deadline) {
        waitForSignal(deadline - Clock::now());
        reapWorkers(false);
    }

    if (!workers_.empty()) {
        logger().warning("%d workers still running after the shutdown grace; sending SIGKILL",
                         static_cast<int>(workers_.size()));
        for (const auto& [pid, started] : workers_) {
            kill(pid, SIGKILL);
        }
        for (const auto& [pid, started] : workers_) {
            int status = 0;
            waitpid(pid, &status, 0);
        }
        workers_.clear();
    }
    logger().information("Master %d stopped", static_cast<int>(masterPid_));
}

}  // namespace syn::fcgi
