#include "connection_source.h"

#include <Poco/Logger.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>

#include "log_throttle.h"

namespace syn::fcgi {

namespace {

LogThrottle acceptErrorLog;

// Accept errors that mean "try again shortly" rather than a broken socket.
bool isTransientAcceptError(int error) {
    return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

// Accept errors that only mean another worker took the connection first, or
// the web server gave up on it while it was queued.
bool isLostRace(int error) {
    return error == EAGAIN || error == EWOULDBLOCK || error == EINTR || error == ECONNABORTED ||
           error == EPROTO;
}

// True when the peer closed `fd` and nothing is left to read, so the
// connection can be closed here instead of in libfcgi.
bool peerClosed(int fd) {
    char byte;
    return recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

[[noreturn]] void throwErrno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

ConnectionSource::ConnectionSource(int listenFd)
    : listenFd_(listenFd),
      epollFd_(epoll_create1(EPOLL_CLOEXEC)),
      stopFd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (epollFd_ < 0 || stopFd_ < 0) {
        throwErrno("creating the worker's epoll set");
    }
    int flags = fcntl(listenFd_, F_GETFL);
    if (flags < 0 || fcntl(listenFd_, F_SETFL, flags | O_NONBLOCK) < 0) {
        throwErrno("setting O_NONBLOCK on the listening socket");
    }
    // EPOLLEXCLUSIVE wakes one worker process, not all, per queued connection.
    watch(listenFd_, EPOLLIN | EPOLLEXCLUSIVE, EPOLL_CTL_ADD);
    watch(stopFd_, EPOLLIN, EPOLL_CTL_ADD);
}

ConnectionSource::~ConnectionSource() {
    close(stopFd_);
    close(epollFd_);
}

void ConnectionSource::watch(int fd, std::uint32_t events, int operation) {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    if (epoll_ctl(epollFd_, operation, fd, &event) < 0) {
        throwErrno("adding a descriptor to the worker's epoll set");
    }
}

int ConnectionSource::next() {
    for (;;) {
        if (stopping_.load(std::memory_order_acquire)) {
            return nextWhileStopping();
        }
        epoll_event event{};
        int ready = epoll_wait(epollFd_, &event, 1, -1);
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            throwErrno("waiting in epoll_wait");
        }
        int fd = event.data.fd;
        if (fd == stopFd_) {
            continue;  // the next pass reads stopping_
        }
        if (fd == listenFd_) {
            int connection = acceptQueued();
            if (connection >= 0) {
                return connection;
            }
            continue;
        }
        if ((event.events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0 && peerClosed(fd)) {
            close(fd);  // nginx dropped an idle connection
            continue;
        }
        return fd;
    }
}

int ConnectionSource::nextWhileStopping() {
    if (std::chrono::steady_clock::now() >= drainDeadline_) {
        return -1;
    }
    return acceptQueued();
}

// Returns the accepted connection, or -1 when there was none to take.
int ConnectionSource::acceptQueued() {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    int fd = accept4(listenFd_, reinterpret_cast<sockaddr*>(&address), &length, SOCK_CLOEXEC);
    if (fd >= 0) {
        if (address.ss_family == AF_INET || address.ss_family == AF_INET6) {
            int on = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
        }
        return fd;
    }
    int error = errno;
    if (isLostRace(error)) {
        return -1;
    }
    if (!isTransientAcceptError(error)) {
        throw std::system_error(error, std::generic_category(), "accepting a FastCGI connection");
    }
    if (auto suppressed = acceptErrorLog.admit()) {
        Poco::Logger::get("syn.fcgi.worker")
            .warning(
                "Accepting a FastCGI connection failed: %s; retrying in 100 ms (%s similar "
                "errors suppressed)",
                std::generic_category().message(error), std::to_string(*suppressed));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return -1;
}

void ConnectionSource::park(int fd) {
    if (stopping_.load(std::memory_order_acquire)) {
        close(fd);
        return;
    }
    // A connection parked before is still in the set, disarmed by
    // EPOLLONESHOT; a new one is added once.
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
    event.data.fd = fd;
    if (epoll_ctl(epollFd_, EPOLL_CTL_MOD, fd, &event) == 0) {
        return;
    }
    if (errno != ENOENT || epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &event) < 0) {
        // NOTE: only ENOMEM or ENOSPC (max_user_watches) get here; the
        // connection is closed and nginx retries the next request elsewhere.
        close(fd);
    }
}

void ConnectionSource::stop(std::chrono::steady_clock::time_point drainDeadline) {
    drainDeadline_ = drainDeadline;
    stopping_.store(true, std::memory_order_release);
    // Never read back, so the eventfd stays readable and wakes every thread.
    std::uint64_t one = 1;
    [[maybe_unused]] auto written = write(stopFd_, &one, sizeof(one));
}

}  // namespace syn::fcgi
