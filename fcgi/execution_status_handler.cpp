#include "execution_status_handler.h"

#include "execution_lookup.h"
#include "json_response.h"
#include "query_parameters.h"
#include "statements.h"

namespace syn::fcgi {

Response handleExecutionStatus(const Request&, const PathParameters& parameters,
                               Database& database) {
    const std::string& workflowId = parameters[0];
    ExecutionMatch match = findExecution(database.connection(), parameters[1], &workflowId);
    if (match.failure) {
        return std::move(*match.failure);
    }

    json::Writer writer;
    writeExecutionStatus(writer, *match.row, 0);
    return jsonResponse(200, writer.take());
}

const std::string& activeExecutionsSql() {
    // The partial index executions_active_idx serves this filter and order.
    static const std::string sql = "select " + executionStatusColumns() +
                                   " from syn.executions e"
                                   " where e.status in ('pending', 'running', 'paused')"
                                   " order by e.created_at desc limit $1::integer";
    return sql;
}

Response handleActiveExecutions(const Request& request, const PathParameters&, Database& database) {
    std::vector<ValidationError> errors;
    long long limit = QueryParameters(request.query).integer("limit", 20, 1, 100, errors);
    if (!errors.empty()) {
        return validationErrorResponse(errors);
    }

    pg::Connection& connection = database.connection();
    connection.prepare("active_executions", activeExecutionsSql());
    pg::Result result = connection.executePrepared("active_executions", {std::to_string(limit)});

    json::Writer writer;
    writer.beginArray();
    for (int row = 0; row < result.rows(); ++row) {
        writeExecutionStatus(writer, result, row, 0);
    }
    writer.endArray();
    return jsonResponse(200, writer.take());
}

}  // namespace syn::fcgi
