#include "workflow_handler.h"

#include <limits>

#include "execution_lookup.h"
#include "json_response.h"
#include "query_parameters.h"

namespace syn::fcgi {
namespace {

// Columns of a workflow summary for syn.workflows aliased w (10 columns).
std::string summaryColumns() {
    return "w.id, w.name, w.description, w.type, w.classification, w.requires_repos,"
           " (select count(*) from syn.workflow_phases p where p.workflow_id = w.id), " +
           utcTimestampSql("w.created_at") + ", " + utcTimestampSql("w.updated_at") + ", " +
           utcTimestampSql("w.archived_at");
}

void writeSummaryFields(json::Writer& writer, const pg::Result& result, int row, int first) {
    writer.key("id").string(result.text(row, first));
    writer.key("name").string(result.text(row, first + 1));
    writer.key("description").string(result.text(row, first + 2));
    writer.key("type").string(result.text(row, first + 3));
    writer.key("classification").string(result.text(row, first + 4));
    writer.key("requires_repos").boolean(result.boolean(row, first + 5));
    writer.key("phase_count").number(result.integer(row, first + 6));
    writer.key("created_at").nullableString(result.optionalText(row, first + 7));
    writer.key("updated_at").nullableString(result.optionalText(row, first + 8));
    writer.key("archived_at").nullableString(result.optionalText(row, first + 9));
}

void writeTextArray(json::Writer& writer, std::string_view literal) {
    writer.beginArray();
    for (const std::string& item : pg::parseArray(literal)) {
        writer.string(item);
    }
    writer.endArray();
}

void writeInputs(json::Writer& writer, pg::Connection& connection, const std::string& id) {
    connection.prepare("workflow_inputs",
                       "select name, description, required, default_value"
                       " from syn.workflow_inputs where workflow_id = $1 order by position");
    pg::Result result = connection.executePrepared("workflow_inputs", {id});
    writer.key("inputs").beginArray();
    for (int row = 0; row < result.rows(); ++row) {
        writer.beginObject();
        writer.key("name").string(result.text(row, 0));
        writer.key("description").string(result.text(row, 1));
        writer.key("required").boolean(result.boolean(row, 2));
        writer.key("default").nullableString(result.optionalText(row, 3));
        writer.endObject();
    }
    writer.endArray();
}

void writePhases(json::Writer& writer, pg::Connection& connection, const std::string& id) {
    connection.prepare("workflow_phases",
                       "select phase_id, name, description, position, model, timeout_seconds,"
                       " max_tokens, allowed_tools, argument_hint, prompt_template"
                       " from syn.workflow_phases where workflow_id = $1 order by position");
    pg::Result result = connection.executePrepared("workflow_phases", {id});
    writer.key("phases").beginArray();
    for (int row = 0; row < result.rows(); ++row) {
        writer.beginObject();
        writer.key("phase_id").string(result.text(row, 0));
        writer.key("name").string(result.text(row, 1));
        writer.key("description").string(result.text(row, 2));
        writer.key("order").number(result.integer(row, 3));
        writer.key("model").nullableString(result.optionalText(row, 4));
        writer.key("timeout_seconds").number(result.integer(row, 5));
        writer.key("max_tokens");
        result.isNull(row, 6) ? writer.null() : writer.number(result.integer(row, 6));
        writer.key("allowed_tools");
        writeTextArray(writer, result.text(row, 7));
        writer.key("argument_hint").nullableString(result.optionalText(row, 8));
        writer.key("prompt_template").string(result.text(row, 9));
        writer.endObject();
    }
    writer.endArray();
}

}  // namespace

Response handleWorkflowList(const Request& request, const PathParameters&, Database& database) {
    std::vector<ValidationError> errors;
    QueryParameters query(request.query);
    long long page = query.integer("page", 1, 1, std::numeric_limits<int>::max(), errors);
    long long pageSize = query.integer("page_size", 20, 1, 100, errors);
    bool includeArchived = query.boolean("include_archived", false, errors);
    if (!errors.empty()) {
        return validationErrorResponse(errors);
    }

    // One row even for an empty page, so that the total is always present.
    static const std::string sql =
        "with matching as (select * from syn.workflows w where $1 or w.archived_at is null),"
        " page as (select " +
        summaryColumns() +
        " from matching w order by w.id"
        " limit $2::integer offset $3::bigint)"
        " select (select count(*) from matching), page.* from (select 1) one"
        " left join page on true order by page.id";
    pg::Connection& connection = database.connection();
    connection.prepare("workflow_list", sql);
    pg::Result result = connection.executePrepared(
        "workflow_list", {includeArchived ? "true" : "false", std::to_string(pageSize),
                          std::to_string((page - 1) * pageSize)});

    json::Writer writer;
    writer.beginObject().key("workflows").beginArray();
    for (int row = 0; row < result.rows(); ++row) {
        if (!result.isNull(row, 1)) {
            writer.beginObject();
            writeSummaryFields(writer, result, row, 1);
            writer.endObject();
        }
    }
    writer.endArray();
    writer.key("total").number(result.integer(0, 0));
    writer.key("page").number(page);
    writer.key("page_size").number(pageSize);
    writer.endObject();
    return jsonResponse(200, writer.take());
}

Response handleWorkflow(const Request&, const PathParameters& parameters, Database& database) {
    const std::string& id = parameters[0];
    static const std::string sql = "select " + summaryColumns() +
                                   ", w.repository_url, w.repository_ref, w.repos"
                                   " from syn.workflows w where w.id = $1";
    pg::Connection& connection = database.connection();
    connection.prepare("workflow_detail", sql);
    pg::Result result = connection.executePrepared("workflow_detail", {id});
    if (result.rows() == 0) {
        return detailResponse(404, "Workflow " + id + " not found");
    }

    json::Writer writer;
    writer.beginObject();
    writeSummaryFields(writer, result, 0, 0);
    writer.key("repository_url").nullableString(result.optionalText(0, 10));
    writer.key("repository_ref").nullableString(result.optionalText(0, 11));
    writer.key("repos");
    writeTextArray(writer, result.text(0, 12));
    writeInputs(writer, connection, id);
    writePhases(writer, connection, id);
    writer.endObject();
    return jsonResponse(200, writer.take());
}

}  // namespace syn::fcgi
