#include "worker.h"

#include <Poco/Logger.h>
#include <fcgiapp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "log_throttle.h"
#include "request_io.h"

namespace syn::fcgi {

namespace {

// Interrupts a thread blocked in accept(). The handler does nothing; the
// point is the EINTR that FCGI_FAIL_ACCEPT_ON_INTR turns into a return.
constexpr int kWakeSignal = SIGUSR2;

extern "C" void onWakeSignal(int) {}

// After SIGTERM a worker still accepts the connections already queued on the
// socket, for at most this long, because closing the last descriptor of a
// socket the master bound resets them and the web server returns 502.
constexpr auto kMaxDrainTime = std::chrono::seconds(2);

// Accept errors that mean "try again shortly" rather than a broken socket.
bool isTransientAcceptError(int error) {
    return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM ||
           error == EAGAIN;
}

struct ThreadSlot {
    std::thread thread;
    std::atomic<bool> accepting{false};
    std::atomic<bool> finished{false};
};

class Worker {
  public:
    Worker(int listenFd, const WorkerOptions& options)
        : listenFd_(listenFd),
          options_(options),
          tooLarge_{413,
                    {},
                    "{\"detail\": \"Request body exceeds " + std::to_string(options.maxBodyBytes) +
                        " bytes\"}"},
          logger_(Poco::Logger::get("syn.fcgi.worker")) {}

    int run();

  private:
    void serve(ThreadSlot& slot);
    void serveOne(FCGX_Request& fcgi, Database& database, Request& request, std::string& head);
    bool acceptFailed(int rc);
    bool shouldAccept() const;
    bool draining() const;
    void stopThreads();

    const int listenFd_;
    const WorkerOptions options_;
    const Response tooLarge_;
    Poco::Logger& logger_;
    std::vector<std::unique_ptr<ThreadSlot>> slots_;
    std::atomic<bool> stopping_{false};
    std::chrono::steady_clock::time_point drainDeadline_{};  // written before stopping_
    std::atomic<bool> failed_{false};
    LogThrottle acceptErrorLog_;
};

int Worker::run() {
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGTERM);
    sigaddset(&stopSignals, SIGINT);
    // Threads inherit this mask, so only the sigwait() below receives SIGTERM.
    pthread_sigmask(SIG_SETMASK, &stopSignals, nullptr);

    struct sigaction action {};
    action.sa_handler = onWakeSignal;
    sigemptyset(&action.sa_mask);
    sigaction(kWakeSignal, &action, nullptr);  // no SA_RESTART: accept() must fail
    signal(SIGPIPE, SIG_IGN);                  // a web server that hung up must not kill the worker

    if (FCGX_Init() != 0) {
        logger_.error("FCGX_Init failed in worker %d", static_cast<int>(getpid()));
        return 1;
    }

    for (int i = 0; i < options_.threads; ++i) {
        slots_.push_back(std::make_unique<ThreadSlot>());
        ThreadSlot& slot = *slots_.back();
        slot.thread = std::thread([this, &slot] { serve(slot); });
    }
    logger_.information("Worker %d serving with %d threads", static_cast<int>(getpid()),
                        options_.threads);

    int signal = 0;
    sigwait(&stopSignals, &signal);
    logger_.information("Worker %d got %s; finishing requests in flight",
                        static_cast<int>(getpid()), std::string(strsignal(signal)));
    stopThreads();
    logger_.information("Worker %d stopped", static_cast<int>(getpid()));
    return failed_ ? 1 : 0;
}

// Returns true while connections are queued on the socket during a stop.
bool Worker::draining() const {
    if (std::chrono::steady_clock::now() >= drainDeadline_) {
        return false;
    }
    pollfd queued{listenFd_, POLLIN, 0};
    return poll(&queued, 1, 0) > 0;
}

bool Worker::shouldAccept() const {
    return !stopping_ || draining();
}

// Lets the threads drain the queued connections, then wakes the ones blocked
// in accept() and waits for the others to finish their request. The wake
// signal is repeated because it can land just before a thread enters
// accept(); the master bounds the whole wait.
void Worker::stopThreads() {
    drainDeadline_ = std::chrono::steady_clock::now() + kMaxDrainTime;
    stopping_ = true;
    for (;;) {
        bool allFinished = true;
        for (auto& slot : slots_) {
            if (slot->finished) {
                continue;
            }
            allFinished = false;
            if (slot->accepting && !draining()) {
                pthread_kill(slot->thread.native_handle(), kWakeSignal);
            }
        }
        if (allFinished) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (auto& slot : slots_) {
        slot->thread.join();
    }
}

void Worker::serve(ThreadSlot& slot) {
    FCGX_Request fcgi;
    FCGX_InitRequest(&fcgi, listenFd_, FCGI_FAIL_ACCEPT_ON_INTR);
    Database database(options_.databaseUrl);
    Request request;
    std::string head;

    while (shouldAccept()) {
        // Published before stopping_ is read again, so that stopThreads()
        // either observes this thread accepting or this thread observes stopping_.
        slot.accepting = true;
        if (!shouldAccept()) {
            slot.accepting = false;
            break;
        }
        // NOTE: a wake signal that arrives after accept() returned but while
        // libfcgi still reads the request header drops that one connection,
        // and the web server returns 502. This can only happen during a stop.
        int rc = FCGX_Accept_r(&fcgi);
        slot.accepting = false;
        if (rc < 0) {
            if (acceptFailed(rc)) {
                break;
            }
            continue;
        }

        serveOne(fcgi, database, request, head);
        // Finishing now closes the connection, so the web server receives the
        // end of the response without waiting for the next request.
        FCGX_Finish_r(&fcgi);
    }
    FCGX_Finish_r(&fcgi);
    slot.finished = true;
}

void Worker::serveOne(FCGX_Request& fcgi, Database& database, Request& request, std::string& head) {
    readParams(fcgi.envp, request);
    auto contentLength = parseContentLength(FCGX_GetParam("CONTENT_LENGTH", fcgi.envp));
    if (readBody(fcgi.in, contentLength, options_.maxBodyBytes, request) == BodyOutcome::TooLarge) {
        writeResponse(fcgi.out, tooLarge_, head);
        return;
    }
    Response response = dispatchRequest(options_.handler, request, database);
    writeResponse(fcgi.out, response, head);
}

// Logs a failed accept and returns true when the thread should give up, in
// which case the whole worker stops with exit code 1 and the master starts a
// replacement after its back-off.
bool Worker::acceptFailed(int rc) {
    int error = -rc;
    if (error == EINTR) {
        return false;  // the wake signal; the loop condition decides whether to stop
    }
    std::string reason = error > 0 && error < 4096 ? std::strerror(error) : "libfcgi error";
    if (isTransientAcceptError(error)) {
        if (auto suppressed = acceptErrorLog_.admit()) {
            logger_.warning(
                "Accepting a FastCGI connection failed: %s; retrying (%s similar "
                "errors suppressed)",
                reason, std::to_string(*suppressed));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        return false;
    }
    logger_.error("Accepting a FastCGI connection failed: %s; stopping worker %d", reason,
                  static_cast<int>(getpid()));
    failed_ = true;
    kill(getpid(), SIGTERM);
    return true;
}

}  // namespace

int runWorker(int listenFd, const WorkerOptions& options) {
    Worker worker(listenFd, options);
    return worker.run();
}

}  // namespace syn::fcgi
