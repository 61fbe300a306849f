// One worker thread's database connection, opened lazily and re-opened after
// it breaks. While the server cannot be reached, connection() throws
// DatabaseUnavailable and the request gets 503.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "syn/pg.h"

namespace syn::fcgi {

class DatabaseUnavailable : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class Database {
  public:
    // `statementTimeoutMs` becomes the session's statement_timeout, so that
    // a statement stuck on a lock frees its thread; 0 means no limit.
    explicit Database(std::string conninfo, long long statementTimeoutMs = 0)
        : conninfo_(std::move(conninfo)), statementTimeoutMs_(statementTimeoutMs) {}

    // Returns an open connection, connecting first when there is none.
    // Throws DatabaseUnavailable with libpq's reason when connecting fails.
    pg::Connection& connection();

    // Drops the connection after a connection error so the next call reconnects.
    void reset() { connection_.reset(); }

    // Drops an idle connection that the server has closed, for example by
    // restarting. It checks the socket for end of file without blocking, so
    // that a request that must not be retried starts on a live connection.
    void dropIfClosed();

  private:
    std::string conninfo_;
    long long statementTimeoutMs_;
    std::unique_ptr<pg::Connection> connection_;
};

}  // namespace syn::fcgi
