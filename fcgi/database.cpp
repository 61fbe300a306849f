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
    return *connection_;
}

}  // namespace syn::fcgi
