#include "execution_handler.h"

#include <algorithm>
#include <limits>

#include "execution_lookup.h"
#include "json_response.h"
#include "query_parameters.h"

namespace syn::fcgi {
namespace {

constexpr std::string_view kStatuses[] = {"pending",   "running", "paused",
                                          "completed", "failed",  "cancelled"};

// Reads the optional `status` filter; an unknown value is a pydantic enum error.
std::optional<std::string> readStatus(const QueryParameters& query,
                                      std::vector<ValidationError>& errors) {
    const std::string* status = query.text("status", errors);
    if (status == nullptr) {
        return std::nullopt;
    }
    if (std::find(std::begin(kStatuses), std::end(kStatuses), *status) == std::end(kStatuses)) {
        errors.push_back(makeValidationError(
            "enum", {std::string("query"), std::string("status")}, stringValue(*status),
            "{\"expected\":\"'pending', 'running', 'paused', 'completed', 'failed' or "
            "'cancelled'\"}"));
        return std::nullopt;
    }
    return *status;
}

void writePhases(json::Writer& writer, pg::Connection& connection, const std::string& id) {
    static const std::string sql = "select phase_id, name, status, " +
                                   utcTimestampSql("started_at") + ", " +
                                   utcTimestampSql("completed_at") +
                                   ", exit_code, error, output from syn.execution_phases"
                                   " where execution_id = $1 order by position";
    connection.prepare("execution_phases", sql);
    pg::Result result = connection.executePrepared("execution_phases", {id});
    writer.key("phases").beginArray();
    for (int row = 0; row < result.rows(); ++row) {
        writer.beginObject();
        writer.key("phase_id").string(result.text(row, 0));
        writer.key("name").string(result.text(row, 1));
        writer.key("status").string(result.text(row, 2));
        writer.key("started_at").nullableString(result.optionalText(row, 3));
        writer.key("completed_at").nullableString(result.optionalText(row, 4));
        writer.key("exit_code");
        result.isNull(row, 5) ? writer.null() : writer.number(result.integer(row, 5));
        writer.key("error").nullableString(result.optionalText(row, 6));
        writer.key("output").nullableString(result.optionalText(row, 7));
        writer.endObject();
    }
    writer.endArray();
}

}  // namespace

Response handleExecutionList(const Request& request, const PathParameters&, Database& database) {
    std::vector<ValidationError> errors;
    QueryParameters query(request.query);
    std::optional<std::string> status = readStatus(query, errors);
    const std::string* workflowId = query.text("workflow_id", errors);
    long long page = query.integer("page", 1, 1, std::numeric_limits<int>::max(), errors);
    long long pageSize = query.integer("page_size", 20, 1, 100, errors);
    if (!errors.empty()) {
        return validationErrorResponse(errors);
    }

    // One row even for an empty page, so that the total is always present.
    static const std::string sql =
        "with matching as (select * from syn.executions e"
        " where ($1::text is null or e.status = $1) and ($2::text is null or e.workflow_id = $2)),"
        " page as (select " +
        executionStatusColumns() + ", " + utcTimestampSql("e.created_at") +
        ", e.created_at as created from matching e order by e.created_at desc, e.id"
        " limit $3::integer offset $4::bigint)"
        " select (select count(*) from matching), page.* from (select 1) one"
        " left join page on true order by page.created desc, page.id";
    pg::Connection& connection = database.connection();
    connection.prepare("execution_list", sql);
    pg::Param workflowParam = workflowId ? pg::Param(*workflowId) : std::nullopt;
    pg::Result result = connection.executePrepared(
        "execution_list",
        {status, workflowParam, std::to_string(pageSize), std::to_string((page - 1) * pageSize)});

    json::Writer writer;
    writer.beginObject().key("executions").beginArray();
    for (int row = 0; row < result.rows(); ++row) {
        if (result.isNull(row, 1)) {
            continue;
        }
        writer.beginObject();
        writeExecutionStatusFields(writer, result, row, 1);
        writer.key("created_at").nullableString(result.optionalText(row, 10));
        writer.endObject();
    }
    writer.endArray();
    writer.key("total").number(result.integer(0, 0));
    writer.key("page").number(page);
    writer.key("page_size").number(pageSize);
    writer.endObject();
    return jsonResponse(200, writer.take());
}

Response handleExecution(const Request&, const PathParameters& parameters, Database& database) {
    pg::Connection& connection = database.connection();
    ExecutionMatch match = findExecution(connection, parameters[0]);
    if (match.failure) {
        return std::move(*match.failure);
    }
    const pg::Result& row = *match.row;
    std::string id(row.text(0, 0));

    connection.prepare("execution_detail",
                       "select task, inputs::text, repos from syn.executions where id = $1");
    pg::Result detail = connection.executePrepared("execution_detail", {id});

    json::Writer writer;
    writer.beginObject();
    writeExecutionStatusFields(writer, row, 0, 0);
    writer.key("created_at").nullableString(row.optionalText(0, kExecutionStatusColumnCount));
    if (detail.rows() > 0) {
        writer.key("task").nullableString(detail.optionalText(0, 0));
        writer.key("inputs").raw(detail.text(0, 1));
        writer.key("repos").beginArray();
        for (const std::string& repo : pg::parseArray(detail.text(0, 2))) {
            writer.string(repo);
        }
        writer.endArray();
    }
    writePhases(writer, connection, id);
    writer.endObject();
    return jsonResponse(200, writer.take());
}

}  // namespace syn::fcgi
