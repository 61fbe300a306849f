#include "worker.h"

#include <Poco/Logger.h>
#include <fcgiapp.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <system_error>
#include <thread>
#include <vector>

#include "connection_source.h"
#include "request_io.h"

namespace syn::fcgi {

namespace {

// After SIGTERM a worker still accepts the connections already queued on the
// socket, for at most this long. Closing the last descriptor of a socket the
// master bound resets the queued connections, and nginx would return 502.
constexpr auto kMaxDrainTime = std::chrono::seconds(2);

// Requests whose body exceeds this are rare (the usual execute body is a
// few hundred bytes), so after one the thread gives its body buffer back and
// glibc returns free heap pages to the system.
constexpr std::size_t kLargeBodyBytes = 64 * 1024;

// Allocations of at least this size get their own mapping, which free()
// returns to the system at once.
constexpr int kMmapThresholdBytes = 128 * 1024;

// glibc raises its mmap threshold to the size of each freed mapped block (up
// to 32 MiB on 64-bit), so after one 1 MiB body every later large buffer
// would come from a per-thread arena and stay resident. Setting the
// threshold fixes it at the glibc default; the trim threshold is fixed too,
// because setting either one turns off the adjustment of both.
void limitRetainedMemory() {
    mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
    mallopt(M_TRIM_THRESHOLD, 2 * kMmapThresholdBytes);
}

void releaseLargeBody(Request& request) {
    if (request.body.capacity() <= kLargeBodyBytes) {
        return;
    }
    std::string().swap(request.body);
    malloc_trim(0);
}

// The listening socket libfcgi is given: none. ConnectionSource accepts, and
// libfcgi 2.4.2 falls back to accept() on its listening socket when a kept
// connection ends, which must fail at once (EBADF) instead of blocking.
constexpr int kNoListenSocket = -1;

class Worker {
  public:
    Worker(int listenFd, const WorkerOptions& options)
        : options_(options),
          tooLarge_{413,
                    {},
                    "{\"detail\": \"Request body exceeds " + std::to_string(options.maxBodyBytes) +
                        " bytes\"}"},
          logger_(Poco::Logger::get("syn.fcgi.worker")),
          connections_(listenFd) {}

    int run();

  private:
    void serve();
    void serveConnections(FCGX_Request& fcgi);
    void serveOne(FCGX_Request& fcgi, Database& database, Request& request, std::string& head);

    const WorkerOptions options_;
    const Response tooLarge_;
    Poco::Logger& logger_;
    ConnectionSource connections_;
    std::vector<std::thread> threads_;
    std::atomic<bool> failed_{false};
};

int Worker::run() {
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGTERM);
    sigaddset(&stopSignals, SIGINT);
    // Threads inherit this mask, so only the sigwait() below receives SIGTERM.
    pthread_sigmask(SIG_SETMASK, &stopSignals, nullptr);
    signal(SIGPIPE, SIG_IGN);  // a web server that hung up must not kill the worker

    if (FCGX_Init() != 0) {
        logger_.error("FCGX_Init failed in worker %d", static_cast<int>(getpid()));
        return 1;
    }

    limitRetainedMemory();
    for (int i = 0; i < options_.threads; ++i) {
        threads_.emplace_back([this] { serve(); });
    }
    logger_.information("Worker %d serving with %d threads", static_cast<int>(getpid()),
                        options_.threads);

    int signal = 0;
    sigwait(&stopSignals, &signal);
    logger_.information("Worker %d got %s; finishing requests in flight",
                        static_cast<int>(getpid()), std::string(strsignal(signal)));
    connections_.stop(std::chrono::steady_clock::now() + kMaxDrainTime);
    for (auto& thread : threads_) {
        thread.join();
    }
    logger_.information("Worker %d stopped", static_cast<int>(getpid()));
    return failed_ ? 1 : 0;
}

// On a broken listening socket the whole worker stops with exit code 1, and
// the master starts a replacement after its back-off.
void Worker::serve() {
    FCGX_Request fcgi;
    FCGX_InitRequest(&fcgi, kNoListenSocket, 0);
    try {
        serveConnections(fcgi);
    } catch (const std::system_error& error) {
        logger_.error("%s; stopping worker %d", std::string(error.what()),
                      static_cast<int>(getpid()));
        failed_ = true;
        kill(getpid(), SIGTERM);
    }
    FCGX_Finish_r(&fcgi);
}

void Worker::serveConnections(FCGX_Request& fcgi) {
    Database database(options_.databaseUrl, options_.statementTimeoutMs);
    Request request;
    std::string head;

    for (;;) {
        int fd = connections_.next();
        if (fd < 0) {
            return;
        }
        // libfcgi reads the next request from ipcFd when it is set. Marking
        // the connection kept stops FCGX_Accept_r from closing it before it
        // reads; the request's BEGIN_REQUEST record then sets the flag anew.
        fcgi.ipcFd = fd;
        fcgi.keepConnection = 1;
        if (FCGX_Accept_r(&fcgi) < 0) {
            continue;  // the connection ended before a whole request; libfcgi closed it
        }

        serveOne(fcgi, database, request, head);
        // Finishing sends the end of the response now. libfcgi closes the
        // connection unless the web server asked to keep it (FCGI_KEEP_CONN),
        // in which case it waits in the ConnectionSource, not in a thread.
        FCGX_Finish_r(&fcgi);
        if (fcgi.ipcFd >= 0) {
            connections_.park(fcgi.ipcFd);
            fcgi.ipcFd = -1;
        }
        releaseLargeBody(request);
    }
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

}  // namespace

int runWorker(int listenFd, const WorkerOptions& options) {
    Worker worker(listenFd, options);
    return worker.run();
}

}  // namespace syn::fcgi
