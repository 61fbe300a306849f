#include "dispatch.h"

#include <Poco/Logger.h>

#include <exception>

#include "log_throttle.h"
#include "syn/pg.h"

namespace syn::fcgi {

namespace {

LogThrottle retryLog;
LogThrottle unavailableLog;
LogThrottle internalErrorLog;

Poco::Logger& logger() {
    static Poco::Logger& instance = Poco::Logger::get("syn.fcgi.dispatch");
    return instance;
}

Response errorResponse(int status, const char* body) {
    Response response;
    response.status = status;
    response.body = body;
    return response;
}

bool isSafeMethod(const std::string& method) {
    return method == "GET" || method == "HEAD";
}

std::string suppressedNote(std::uint64_t suppressed) {
    if (suppressed == 0) {
        return "";
    }
    return " (" + std::to_string(suppressed) + " similar errors suppressed)";
}

Response internalError(const Request& request, const char* cause) {
    if (auto suppressed = internalErrorLog.admit()) {
        logger().error(request.method + " " + request.target + " failed: " + cause +
                       suppressedNote(*suppressed));
    }
    return errorResponse(500, R"({"detail": "Internal Server Error"})");
}

}  // namespace

Response dispatchRequest(Handler handler, const Request& request, Database& database) {
    // A write gets no second attempt, so it must not start on a connection
    // that a database restart has already closed.
    if (!isSafeMethod(request.method)) {
        database.dropIfClosed();
    }
    std::string cause;
    for (int attempt = 1;; ++attempt) {
        try {
            return handler(request, database);
        } catch (const DatabaseUnavailable& error) {
            cause = error.what();
        } catch (const pg::Error& error) {
            if (!error.isConnectionError()) {
                return internalError(request, error.what());
            }
            cause = error.what();
        } catch (const std::exception& error) {
            return internalError(request, error.what());
        } catch (...) {
            return internalError(request, "unknown exception");
        }

        // The connection is gone or was never made; the next attempt, here
        // or on a later request, connects afresh.
        database.reset();
        if (attempt == 1 && isSafeMethod(request.method)) {
            if (auto suppressed = retryLog.admit()) {
                logger().warning("Retrying " + request.method + " " + request.target +
                                 " on a new database connection after: " + cause +
                                 suppressedNote(*suppressed));
            }
            continue;
        }
        if (auto suppressed = unavailableLog.admit()) {
            logger().error("Answering 503 to " + request.method + " " + request.target +
                           ", database unavailable: " + cause + suppressedNote(*suppressed));
        }
        return errorResponse(503, R"({"detail": "Database unavailable"})");
    }
}

Response answerOk(const Request&, Database&) {
    Response response;
    response.body = R"({"status":"ok"})";
    return response;
}

}  // namespace syn::fcgi
