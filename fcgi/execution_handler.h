// GET /executions and GET /executions/{execution_id}.
#pragma once

#include "handler.h"

namespace syn::fcgi {

Response handleExecutionList(const Request& request, const PathParameters& parameters,
                             Database& database);

Response handleExecution(const Request& request, const PathParameters& parameters,
                         Database& database);

}  // namespace syn::fcgi
