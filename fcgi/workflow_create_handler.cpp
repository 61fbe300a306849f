#include "workflow_create_handler.h"

#include <Poco/Logger.h>

#include "definition_errors.h"
#include "json_response.h"
#include "request_body.h"
#include "workflow_handler.h"

namespace syn::fcgi {
namespace {

// Inserts the workflow row and, only when the id was free, its inputs and
// phases, all in one implicit transaction. Inputs and phases are read back
// from $10, the definition as package::toJson writes it, so that the columns
// and the stored definition cannot disagree. ON CONFLICT DO NOTHING makes a
// concurrent insert of the same id return no row instead of an error.
const char* const kCreateWorkflowSql =
    "with workflow as ("
    " insert into syn.workflows (id, name, description, type, classification,"
    " repository_url, repository_ref, repos, requires_repos, definition)"
    " values ($1, $2, $3, $4, $5, $6, $7, $8::text[], $9::boolean, $10::jsonb)"
    " on conflict (id) do nothing"
    " returning id, definition"
    "), inputs as ("
    " insert into syn.workflow_inputs"
    " (workflow_id, name, position, description, required, default_value)"
    " select w.id, i.item->>'name', i.ordinal - 1, i.item->>'description',"
    " (i.item->>'required')::boolean, i.item->>'default'"
    " from workflow w"
    " cross join lateral jsonb_array_elements(w.definition->'inputs')"
    " with ordinality as i(item, ordinal)"
    "), phases as ("
    " insert into syn.workflow_phases (workflow_id, phase_id, position, name, description,"
    " prompt_template, model, timeout_seconds, max_tokens, allowed_tools, argument_hint)"
    " select w.id, p.item->>'id', (p.item->>'order')::integer, p.item->>'name',"
    " p.item->>'description', p.item->>'prompt_template', p.item->>'model',"
    " (p.item->>'timeout_seconds')::integer, (p.item->>'max_tokens')::integer,"
    " array(select jsonb_array_elements_text(p.item->'allowed_tools')),"
    " p.item->>'argument_hint'"
    " from workflow w cross join lateral jsonb_array_elements(w.definition->'phases') as p(item)"
    ")"
    " select id from workflow";

// Parses and checks the body. Returns the definition, or nothing after
// filling `errors` with the 422 entries.
std::optional<package::WorkflowDefinition> readDefinition(const Request& request,
                                                          std::vector<ValidationError>& errors) {
    std::optional<json::Value> body;
    if (!readJsonBody(request, body, errors)) {
        return std::nullopt;
    }
    if (!body) {
        errors.push_back(makeValidationError("missing", {std::string("body")}, {}));
        return std::nullopt;
    }
    if (!body->isObject()) {
        errors.push_back(
            makeValidationError("model_attributes_type", {std::string("body")}, std::move(*body)));
        return std::nullopt;
    }
    try {
        return package::readJsonDefinition(*body);
    } catch (const package::PackageError& error) {
        errors = definitionErrors(error.problems(), *body);
        return std::nullopt;
    }
}

}  // namespace

Response handleCreateWorkflow(const Request& request, const PathParameters&, Database& database) {
    std::vector<ValidationError> errors;
    std::optional<package::WorkflowDefinition> workflow = readDefinition(request, errors);
    if (!workflow) {
        return validationErrorResponse(errors);
    }

    pg::Connection& connection = database.connection();
    connection.prepare("create_workflow", kCreateWorkflowSql);
    pg::Result result = connection.executePrepared(
        "create_workflow",
        {workflow->id, workflow->name, workflow->description, workflow->type,
         workflow->classification, workflow->repositoryUrl, workflow->repositoryRef,
         pg::arrayLiteral(workflow->repos), workflow->requiresRepos ? "true" : "false",
         package::toJson(*workflow)});
    if (result.rows() == 0) {
        return detailResponse(409, "Workflow " + workflow->id + " already exists");
    }
    Poco::Logger::get("syn.fcgi.workflows")
        .information("Created workflow %s with %z phases", workflow->id, workflow->phases.size());

    Response response = handleWorkflow(request, {workflow->id}, database);
    response.status = 201;
    return response;
}

}  // namespace syn::fcgi
