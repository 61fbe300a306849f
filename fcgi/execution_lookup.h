// Finding an execution by full id or unique prefix, and writing the status
// object that several endpoints return.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http.h"
#include "syn/json_writer.h"
#include "syn/pg.h"

namespace syn::fcgi {

// Returns `column` formatted in SQL as RFC 3339 UTC with microseconds, e.g.
// 2026-12-04T15:15:03.123456Z, or null.
std::string utcTimestampSql(std::string_view column);

// The select list of the status object for syn.executions aliased `e`:
// id, workflow_id, status, current_phase, completed_phases, total_phases,
// started_at (null while pending), completed_at, error (9 columns, in this
// order).
const std::string& executionStatusColumns();
inline constexpr int kExecutionStatusColumnCount = 9;

// Writes the fields of the status object from the 9 status columns of
// `row`, starting at column `first`, into an object the caller has begun.
void writeExecutionStatusFields(json::Writer& writer, const pg::Result& result, int row, int first);

// Writes the status object: the fields above between braces.
void writeExecutionStatus(json::Writer& writer, const pg::Result& result, int row, int first = 0);

// The outcome of resolving a client-supplied execution id.
struct ExecutionMatch {
    std::optional<pg::Result> row;    // the status columns, then created_at; set when found
    std::optional<Response> failure;  // 404 or 409, set when not found or ambiguous
};

// Resolves `idText` (a full id, or `exec-` and at least 4 hex digits) in one
// round trip. When `workflowId` is given, an execution of another workflow
// is reported as not found for that workflow.
ExecutionMatch findExecution(pg::Connection& connection, std::string_view idText,
                             const std::string* workflowId = nullptr);

}  // namespace syn::fcgi
