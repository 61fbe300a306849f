// POST /executions/{execution_id}/cancel, /pause and /resume.
//
// Each request is one statement: it locks the execution row, applies the
// transition only when the current status allows it, records an event with
// actor "api" and notifies the runners. A running execution is not changed
// directly: cancel_requested_at or pause_requested_at is set and the runner
// that holds the lease acts on it (channel syn_execution_control).
#pragma once

#include "handler.h"

namespace syn::fcgi {

Response handleCancel(const Request& request, const PathParameters& parameters, Database& database);

Response handlePause(const Request& request, const PathParameters& parameters, Database& database);

Response handleResume(const Request& request, const PathParameters& parameters, Database& database);

}  // namespace syn::fcgi
