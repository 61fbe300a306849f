#include "statement_error.h"

#include <Poco/Logger.h>

#include "json_response.h"
#include "log_throttle.h"

namespace syn::fcgi {
namespace {

constexpr std::string_view kQueryCanceled = "57014";
constexpr std::string_view kDataExceptionClass = "22";

// Every thread hits a stuck table at once, so repeats are counted, not logged.
LogThrottle cancelledLog;

Poco::Logger& logger() {
    static Poco::Logger& instance = Poco::Logger::get("syn.fcgi.router");
    return instance;
}

std::string describe(const Request& request, const pg::Error& error) {
    return request.method + " " + request.target + " failed: " + error.what() + " (SQLSTATE " +
           error.sqlstate() + ")";
}

}  // namespace

Response statementErrorResponse(const Request& request, const pg::Error& error) {
    if (error.sqlstate() == kQueryCanceled) {
        if (auto suppressed = cancelledLog.admit()) {
            std::string note = *suppressed == 0 ? ""
                                                : " (" + std::to_string(*suppressed) +
                                                      " similar errors suppressed)";
            logger().error("Answering 503: " + describe(request, error) +
                           "; check fcgi.statement_timeout_ms and locks held in the database" +
                           note);
        }
        return detailResponse(503, "Database unavailable");
    }
    if (error.sqlstate().starts_with(kDataExceptionClass)) {
        // The input checks should have rejected the value before the database
        // saw it, so this marks a gap in them.
        logger().warning("Answering 422: " + describe(request, error));
        return detailResponse(422,
                              "Request contains a value the database cannot accept, such as "
                              "text that is not valid UTF-8 or a number out of range.");
    }
    logger().error(describe(request, error));
    return detailResponse(500, "Internal Server Error");
}

}  // namespace syn::fcgi
