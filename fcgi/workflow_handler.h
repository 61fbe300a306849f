// GET /workflows and GET /workflows/{workflow_id}.
#pragma once

#include "handler.h"

namespace syn::fcgi {

Response handleWorkflowList(const Request& request, const PathParameters& parameters,
                            Database& database);

Response handleWorkflow(const Request& request, const PathParameters& parameters,
                        Database& database);

}  // namespace syn::fcgi
