// The master process: forks the workers, replaces any that die and stops
// them all gracefully on SIGTERM or SIGINT. It never touches the database.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>

#include "listen_socket.h"
#include "respawn_backoff.h"

namespace syn::fcgi {

class Pool {
  public:
    using Clock = std::chrono::steady_clock;
    // Runs in each forked worker with the listening descriptor and returns
    // the worker's exit code.
    using WorkerMain = std::function<int(int listenFd)>;

    Pool(ListenSocket socket, int workers, std::chrono::milliseconds shutdownGrace,
         WorkerMain workerMain)
        : socket_(std::move(socket)),
          workerCount_(workers),
          shutdownGrace_(shutdownGrace),
          workerMain_(std::move(workerMain)) {}

    // Starts the workers and supervises them until SIGTERM or SIGINT, then
    // stops them: SIGTERM, up to the shutdown grace for requests in flight,
    // SIGKILL for any left. Returns the master's exit code. Must be called
    // before any thread exists, because workers are forked from this process.
    int run();

  private:
    void startMissingWorkers(Clock::time_point now);
    void startWorker();
    [[noreturn]] void runChild();
    void reapWorkers(bool replace);
    void stopWorkers();
    int waitForSignal(Clock::duration timeout);

    ListenSocket socket_;
    int workerCount_;
    std::chrono::milliseconds shutdownGrace_;
    WorkerMain workerMain_;
    pid_t masterPid_ = 0;
    std::map<pid_t, Clock::time_point> workers_;  // pid -> start time
    RespawnBackoff backoff_;
    Clock::time_point nextStart_{};
};

}  // namespace syn::fcgi
