// Maps a request to its handler and returns the response.
#pragma once

#include "database.h"
#include "http.h"

namespace syn::fcgi {

// Routes `request` to the endpoint it names and runs it against `database`.
// Returns the contract's JSON response for every outcome it can decide,
// including 404, 405, 409, 413 and 422. Throws DatabaseUnavailable or a
// pg::Error whose isConnectionError() is true when the database cannot be
// reached; the caller turns those into 503.
Response handleRequest(const Request& request, Database& database);

}  // namespace syn::fcgi
