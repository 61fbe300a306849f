#include "statement_error.h"

#include <Poco/Logger.h>

#include "json_response.h"

namespace syn::fcgi {
namespace {

constexpr std::string_view kDataExceptionClass = "22";

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
