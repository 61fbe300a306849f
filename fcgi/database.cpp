#include "database.h"

#include <Poco/Logger.h>

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

}  // namespace syn::fcgi
