// POST /workflows/{workflow_id}/execute: validates the request, then creates
// the execution, its phase snapshot and its first event in one statement.
#pragma once

#include "handler.h"

namespace syn::fcgi {

Response handleExecute(const Request& request, const PathParameters& parameters,
                       Database& database);

}  // namespace syn::fcgi
