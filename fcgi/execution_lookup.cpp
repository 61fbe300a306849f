#include "execution_lookup.h"

#include "json_response.h"
#include "statements.h"
#include "syn/execution_id.h"

namespace syn::fcgi {

std::string utcTimestampSql(std::string_view column) {
    std::string sql = "to_char(";
    sql += column;
    sql += " at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
    return sql;
}

// A paused-then-resumed or released execution is pending again and keeps its
// stored started_at, but the API reports started_at as null while pending.
const std::string& executionStatusColumns() {
    static const std::string columns =
        "e.id, e.workflow_id, e.status, e.current_phase, e.completed_phases, e.total_phases, " +
        utcTimestampSql("(case when e.status <> 'pending' then e.started_at end)") + ", " +
        utcTimestampSql("e.completed_at") + ", e.error";
    return columns;
}

void writeExecutionStatusFields(json::Writer& writer, const pg::Result& result, int row,
                                int first) {
    writer.key("execution_id").string(result.text(row, first));
    writer.key("workflow_id").string(result.text(row, first + 1));
    writer.key("status").string(result.text(row, first + 2));
    writer.key("current_phase").nullableString(result.optionalText(row, first + 3));
    writer.key("completed_phases").number(result.integer(row, first + 4));
    writer.key("total_phases").number(result.integer(row, first + 5));
    writer.key("started_at").nullableString(result.optionalText(row, first + 6));
    writer.key("completed_at").nullableString(result.optionalText(row, first + 7));
    writer.key("error").nullableString(result.optionalText(row, first + 8));
}

void writeExecutionStatus(json::Writer& writer, const pg::Result& result, int row, int first) {
    writer.beginObject();
    writeExecutionStatusFields(writer, result, row, first);
    writer.endObject();
}

// Every id starting with prefix p sorts in [p, p || 'g') under the C
// collation because ids continue only with 0-9 and a-f; the range keeps the
// primary key usable in a generic prepared plan, where LIKE $1 would not be.
// A full id matches only itself. The window count reports ambiguity.
const std::string& findExecutionSql() {
    static const std::string sql =
        "select " + executionStatusColumns() + ", " + utcTimestampSql("e.created_at") +
        ", count(*) over () from syn.executions e"
        " where e.id >= $1 and e.id < $1::text || 'g' order by e.id limit 2";
    return sql;
}

ExecutionMatch findExecution(pg::Connection& connection, std::string_view idText,
                             const std::string* workflowId) {
    ExecutionMatch match;
    std::string idString(idText);
    std::optional<ExecutionIdQuery> query = parseExecutionIdQuery(idText);
    if (!query) {
        match.failure = detailResponse(404, "Execution " + idString + " not found");
        return match;
    }

    connection.prepare("find_execution", findExecutionSql());
    pg::Result result = connection.executePrepared("find_execution", {query->text});
    if (result.rows() == 0) {
        match.failure = detailResponse(404, "Execution " + idString + " not found");
        return match;
    }
    long long count = result.integer(0, kExecutionStatusColumnCount + 1);
    if (count > 1) {
        match.failure =
            detailResponse(409, "Ambiguous execution id prefix '" + idString + "' matches " +
                                    std::to_string(count) + " executions.");
        return match;
    }
    if (workflowId != nullptr && result.text(0, 1) != *workflowId) {
        match.failure =
            detailResponse(404, "Execution " + idString + " not found for workflow " + *workflowId);
        return match;
    }
    match.row = std::move(result);
    return match;
}

}  // namespace syn::fcgi
