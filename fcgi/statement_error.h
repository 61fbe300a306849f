// Responses for statements that fail in a way no handler expects.
#pragma once

#include "http.h"
#include "syn/pg.h"

namespace syn::fcgi {

// Returns the response for `error`, a failed statement on a working
// connection, and logs the cause with the request line:
// - SQLSTATE 57014 (cancelled, e.g. by fcgi.statement_timeout_ms): 503
//   "Database unavailable", because a stuck or overloaded database caused it.
// - class 22 (data exception, e.g. invalid UTF-8 or a number out of range):
//   422, because only a request value can bring such data into a statement.
// - anything else: 500 "Internal Server Error".
// The response never contains the database's message.
Response statementErrorResponse(const Request& request, const pg::Error& error);

}  // namespace syn::fcgi
