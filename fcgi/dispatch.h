// Runs a request handler with the pool's error policy: database outages
// become 503 (after one retry for safe methods), anything else unexpected
// becomes a 500 that reveals nothing internal.
#pragma once

#include "database.h"
#include "http.h"

namespace syn::fcgi {

using Handler = Response (*)(const Request&, Database&);

// Calls `handler`. On DatabaseUnavailable or a pg::Error from the connection
// it resets `database` and, for GET and HEAD, calls the handler once more on
// a fresh connection; when that is not allowed or fails too it returns 503
// {"detail": "Database unavailable"}. Any other exception is logged with the
// method and path and returns 500 {"detail": "Internal Server Error"}.
Response dispatchRequest(Handler handler, const Request& request, Database& database);

// Returns 200 {"status":"ok"} for every request without touching the
// database; used by --bare to measure the FastCGI layer alone.
Response answerOk(const Request& request, Database& database);

}  // namespace syn::fcgi
