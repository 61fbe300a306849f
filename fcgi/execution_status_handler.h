// GET /workflows/{workflow_id}/executions/{execution_id} and
// GET /workflows/executions/active.
#pragma once

#include "handler.h"

namespace syn::fcgi {

Response handleExecutionStatus(const Request& request, const PathParameters& parameters,
                               Database& database);

Response handleActiveExecutions(const Request& request, const PathParameters& parameters,
                                Database& database);

}  // namespace syn::fcgi
