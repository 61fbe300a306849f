// The SQL of the hot endpoints, declared in one place so that the benchmark
// can run the very same text under pgbench. Each is defined next to the
// handler that prepares it.
#pragma once

#include <string>

namespace syn::fcgi {

// POST /workflows/{id}/execute, first round trip: $1 workflow id. One row per
// declared input; no row when the workflow is missing or archived.
extern const char* const kExecuteWorkflowSql;

// POST /workflows/{id}/execute, second round trip: $1 workflow id, $2 new
// execution id, $3 task, $4 inputs (jsonb text), $5 repos (text[] literal),
// $6 idempotency key or null.
extern const char* const kCreateExecutionSql;

// GET .../executions/{eid} and every lookup by id or prefix: $1 the id or prefix.
const std::string& findExecutionSql();

// GET /workflows/executions/active: $1 limit.
const std::string& activeExecutionsSql();

}  // namespace syn::fcgi
