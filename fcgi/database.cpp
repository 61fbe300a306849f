#include "database.h"

#include <Poco/Logger.h>
#include <sys/socket.h>

#include <cerrno>

#include "log_throttle.h"

namespace syn::fcgi {

namespace {

// One throttle per process: during an outage every thread fails to connect
// on every request, and one line every few seconds is enough.
LogThrottle connectFailures;

}  // namespace

pg::Connection& Database::connection() {
    if (connection_ && connection_->isOpen()) {
        return *connection_;
    }
    connection_.reset();

    try {
        connection_ = std::make_unique<pg::Connection>(conninfo_);
    } catch (const pg::Error& error) {
        // libpq's message names the host and the reason, never the password.
        if (auto suppressed = connectFailures.admit()) {
            std::string message = error.what();
            if (*suppressed > 0) {
                message += " (" + std::to_string(*suppressed) + " similar errors suppressed)";
            }
            Poco::Logger::get("syn.fcgi.database").error(message);
        }
        throw DatabaseUnavailable(error.what());
    }
    if (statementTimeoutMs_ > 0) {
        try {
            connection_->execute("set statement_timeout = " + std::to_string(statementTimeoutMs_));
        } catch (const pg::Error&) {
            connection_.reset();
            throw;
        }
    }
    return *connection_;
}

namespace {

// Returns 0 at end of file, 1 when data is waiting, -1 when nothing is.
int peekSocket(int fd) {
    char byte;
    ssize_t received = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (received > 0) {
        return 1;
    }
    if (received == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        return 0;
    }
    return -1;
}

}  // namespace

void Database::dropIfClosed() {
    if (!connection_) {
        return;
    }
    PGconn* handle = connection_->handle();
    int state = peekSocket(PQsocket(handle));
    if (state == 1) {
        // An idle connection receives data only when the server reports
        // something, such as the FATAL message it sends before it closes.
        // libpq reads it, and the end of file behind it shows next.
        if (PQconsumeInput(handle) == 0) {
            connection_.reset();
            return;
        }
        state = peekSocket(PQsocket(handle));
    }
    if (state == 0 || PQstatus(handle) != CONNECTION_OK) {
        connection_.reset();
    }
}

}  // namespace syn::fcgi
