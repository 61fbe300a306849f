// One worker process: T threads, each serving one request at a time with its
// own FCGX_Request and its own Database, on connections a ConnectionSource
// hands out (new ones from the shared listening socket, or kept ones).
#pragma once

#include <cstddef>
#include <string>

#include "dispatch.h"

namespace syn::fcgi {

struct WorkerOptions {
    int threads = 4;
    std::size_t maxBodyBytes = 1048576;
    std::string databaseUrl;
    long long statementTimeoutMs = 5000;  // 0 means no limit
    Handler handler = nullptr;
};

// Serves requests on `listenFd` until the process gets SIGTERM or SIGINT,
// then stops accepting, lets the requests in flight finish and returns the
// exit code: 0, or 1 when accepting failed for good. Must run in a freshly
// forked, single-threaded process, because it sets the signal mask and
// handlers for the whole process before it starts the threads.
int runWorker(int listenFd, const WorkerOptions& options);

}  // namespace syn::fcgi
