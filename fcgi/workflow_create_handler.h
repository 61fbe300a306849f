// POST /workflows: installs a workflow definition sent as JSON.
#pragma once

#include "handler.h"

namespace syn::fcgi {

// Validates the body with the rules of `synctl workflow validate` and inserts
// the workflow, its inputs and its phases in one statement. Returns 201 with
// the body of GET /workflows/{id}, 409 when the id is taken (archived
// workflows included), or 422 in the list form for a body that is not a
// valid definition.
Response handleCreateWorkflow(const Request& request, const PathParameters& parameters,
                              Database& database);

}  // namespace syn::fcgi
