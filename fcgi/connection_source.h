// Hands a worker's threads the FastCGI connections that have a request to
// read: new ones from the listening socket and idle ones the web server keeps
// open between requests (nginx `keepalive` with `fastcgi_keep_conn on`).
//
// All threads of the worker wait in epoll_wait() on one epoll set that contains
// the listening socket and every idle connection (EPOLLONESHOT, so one thread
// gets each). An idle kept connection therefore costs a descriptor, not a
// thread, and can never keep a new connection waiting in the backlog.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace syn::fcgi {

class ConnectionSource {
  public:
    // Sets O_NONBLOCK on `listenFd`, which all workers share, so that a
    // worker that loses the race for a queued connection waits again instead
    // of blocking in accept().
    explicit ConnectionSource(int listenFd);
    ~ConnectionSource();
    ConnectionSource(const ConnectionSource&) = delete;
    ConnectionSource& operator=(const ConnectionSource&) = delete;

    // Blocks until a connection has data to read and returns its descriptor,
    // which the caller now owns. Returns -1 once stop() was called and no
    // connection is left queued on the listening socket. Throws
    // std::system_error when the listening socket or epoll fails for good.
    int next();

    // Takes back a kept connection whose request is finished and waits for
    // its next request. After stop() the connection is closed instead.
    void park(int fd);

    // Stops handing out connections: until `drainDeadline` the ones queued on
    // the listening socket are still handed out, then next() returns -1 in
    // every thread.
    // NOTE: a request nginx sends on an idle kept connection during the stop
    // is not read. That connection closes when the worker exits, and nginx
    // retries the request on a new connection to the socket.
    void stop(std::chrono::steady_clock::time_point drainDeadline);

  private:
    int nextWhileStopping();
    int acceptQueued();
    void watch(int fd, std::uint32_t events, int operation);

    const int listenFd_;
    const int epollFd_;
    const int stopFd_;  // eventfd, readable from stop() on, to wake every waiting thread
    std::atomic<bool> stopping_{false};
    std::chrono::steady_clock::time_point drainDeadline_{};  // written before stopping_
};

}  // namespace syn::fcgi
