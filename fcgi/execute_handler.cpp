#include "execute_handler.h"

#include <Poco/String.h>

#include <algorithm>
#include <map>

#include "json_response.h"
#include "request_body.h"
#include "statements.h"
#include "syn/execute_request.h"
#include "syn/execution_id.h"
#include "syn/json_writer.h"
#include "syn/workspace_hydrator.h"

namespace syn::fcgi {

// One row per declared input (name null when there is none); no row when the
// workflow is missing or archived.
const char* const kExecuteWorkflowSql =
    "select w.requires_repos, cardinality(w.repos) > 0, w.repository_url,"
    " i.name, i.required, i.default_value"
    " from syn.workflows w left join syn.workflow_inputs i on i.workflow_id = w.id"
    " where w.id = $1 and w.archived_at is null order by i.position";

// Creates the execution, copies the workflow's phases, logs the event and
// wakes the runners, all in one implicit transaction. A repeated
// Idempotency-Key inserts nothing and returns the first execution's id.
// total_phases and the copied phases come from the same
// snapshot, so they always agree.
const char* const kCreateExecutionSql =
    "with inserted as ("
    " insert into syn.executions"
    " (id, workflow_id, task, inputs, repos, total_phases, idempotency_key)"
    " select $2, w.id, $3, $4::jsonb, $5::text[],"
    " (select count(*) from syn.workflow_phases p where p.workflow_id = w.id), $6"
    " from syn.workflows w where w.id = $1 and w.archived_at is null"
    " on conflict (workflow_id, idempotency_key) where idempotency_key is not null do nothing"
    " returning id, workflow_id"
    "), phases as ("
    " insert into syn.execution_phases"
    " (execution_id, phase_id, position, name, prompt_template, model, timeout_seconds)"
    " select i.id, p.phase_id, p.position, p.name, p.prompt_template, p.model, p.timeout_seconds"
    " from inserted i join syn.workflow_phases p on p.workflow_id = i.workflow_id"
    "), events as ("
    " insert into syn.execution_events (execution_id, actor, event, to_status)"
    " select id, 'api', 'created', 'pending' from inserted"
    ")"
    " select i.id from inserted i"
    " cross join lateral (select pg_notify('syn_execution_queued', i.id)) notify"
    " union all"
    " select e.id from syn.executions e"
    " where e.workflow_id = $1 and e.idempotency_key = $6 and not exists (select 1 from inserted)";

namespace {

// A conflicting insert that committed after the statement's snapshot is
// invisible to kCreateExecutionSql; a new statement sees it.
constexpr const char* kIdempotentSql =
    "select id from syn.executions where workflow_id = $1 and idempotency_key = $2";

constexpr size_t kMaxIdempotencyKeyLength = 255;

// Checks the Idempotency-Key header: 1 to 255 printable ASCII characters.
// Problems are reported like a FastAPI header parameter with min_length,
// max_length and pattern constraints.
void validateIdempotencyKey(const std::optional<std::string>& key,
                            std::vector<ValidationError>& errors) {
    if (!key) {
        return;
    }
    Location location = {std::string("header"), std::string("idempotency-key")};
    if (key->empty()) {
        errors.push_back(makeValidationError("string_too_short", location, stringValue(*key),
                                             "{\"min_length\":1}"));
    } else if (key->size() > kMaxIdempotencyKeyLength) {
        errors.push_back(makeValidationError("string_too_long", location, stringValue(*key),
                                             "{\"max_length\":255}"));
    } else if (!std::all_of(key->begin(), key->end(),
                            [](char c) { return c >= 0x20 && c <= 0x7e; })) {
        errors.push_back(makeValidationError("string_pattern_mismatch", location, stringValue(*key),
                                             "{\"pattern\":\"^[\\\\x20-\\\\x7e]+$\"}"));
    }
}

struct WorkflowFacts {
    bool requiresRepos = false;
    bool hasRepoList = false;                  // its repos list is not empty
    std::optional<std::string> repositoryUrl;  // may contain {{input}} placeholders
    std::vector<InputDeclaration> inputs;
};

std::optional<WorkflowFacts> loadWorkflow(pg::Connection& connection, const std::string& id) {
    connection.prepare("execute_workflow", kExecuteWorkflowSql);
    pg::Result result = connection.executePrepared("execute_workflow", {id});
    if (result.rows() == 0) {
        return std::nullopt;
    }
    WorkflowFacts facts;
    facts.requiresRepos = result.boolean(0, 0);
    facts.hasRepoList = result.boolean(0, 1);
    facts.repositoryUrl = result.optionalText(0, 2);
    for (int row = 0; row < result.rows(); ++row) {
        if (!result.isNull(row, 3)) {
            facts.inputs.push_back(InputDeclaration{std::string(result.text(row, 3)),
                                                    result.boolean(row, 4),
                                                    result.optionalText(row, 5)});
        }
    }
    return facts;
}

// Returns the 422 detail for a request that names no repository, when the
// workflow's own repository does not do either. That is the case for a
// required repository with no repos list and a repository.url that is unset
// or renders empty. It is also the case for a repository.url that uses an
// input the execution does not have, or renders to something other than a
// repository. The runner renders repository.url the same way.
std::optional<std::string> workflowRepositoryDetail(
    const std::string& workflowId, const WorkflowFacts& workflow,
    const std::vector<std::pair<std::string, std::string>>& merged) {
    std::optional<std::string> none;
    if (workflow.requiresRepos) {
        none = "Workflow " + workflowId + " requires at least one repository in 'repos'.";
    }
    if (workflow.hasRepoList) {
        return std::nullopt;
    }
    if (!workflow.repositoryUrl) {
        return none;
    }

    std::map<std::string, std::string> inputs(merged.begin(), merged.end());
    std::string url;
    try {
        url = Poco::trim(workspace::substituteInputs(*workflow.repositoryUrl, inputs, workflowId));
    } catch (const workspace::HydrationError& error) {
        return std::string(error.what());
    }
    if (url.empty()) {
        return none;
    }
    if (!workspace::parseRepositoryEntry(url)) {
        return "Invalid repository entry '" + url +
               "': Expected 'owner/repo' or 'https://github.com/owner/repo'.";
    }
    return std::nullopt;
}

std::string inputsJson(const std::vector<std::pair<std::string, std::string>>& inputs) {
    json::Writer writer;
    writer.beginObject();
    for (const auto& [name, value] : inputs) {
        writer.key(name).string(value);
    }
    writer.endObject();
    return writer.take();
}

Response startedResponse(std::string_view executionId, const std::string& workflowId) {
    json::Writer writer;
    writer.beginObject()
        .key("execution_id")
        .string(executionId)
        .key("workflow_id")
        .string(workflowId)
        .key("status")
        .string("started")
        .key("message")
        .string("Workflow execution started")
        .endObject();
    return jsonResponse(200, writer.take());
}

Response workflowNotFound(const std::string& workflowId) {
    return detailResponse(404, "Workflow " + workflowId + " not found");
}

// Runs kCreateExecutionSql, drawing a new id when a random id collides.
Response createExecution(pg::Connection& connection, const std::string& workflowId,
                         const std::vector<pg::Param>& fields) {
    connection.prepare("create_execution", kCreateExecutionSql);
    constexpr int kAttempts = 3;
    for (int attempt = 1;; ++attempt) {
        std::vector<pg::Param> params = {workflowId, newExecutionId()};
        params.insert(params.end(), fields.begin(), fields.end());
        try {
            pg::Result result = connection.executePrepared("create_execution", params);
            if (result.rows() > 0) {
                return startedResponse(result.text(0, 0), workflowId);
            }
        } catch (const pg::Error& error) {
            if (error.sqlstate() == "23505" && attempt < kAttempts) {
                continue;  // executions_pkey: the random id is taken
            }
            if (error.sqlstate() == "23514") {  // total_phases_positive
                return detailResponse(422, "Workflow " + workflowId +
                                               " has no phases; install a definition with at "
                                               "least one phase.");
            }
            throw;
        }

        const pg::Param& idempotencyKey = fields.back();
        if (idempotencyKey) {
            connection.prepare("idempotent_execution", kIdempotentSql);
            pg::Result first =
                connection.executePrepared("idempotent_execution", {workflowId, idempotencyKey});
            if (first.rows() > 0) {
                return startedResponse(first.text(0, 0), workflowId);
            }
        }
        return workflowNotFound(workflowId);  // archived or removed since loadWorkflow
    }
}

}  // namespace

Response handleExecute(const Request& request, const PathParameters& parameters,
                       Database& database) {
    const std::string& workflowId = parameters[0];

    // 1. Shape: header and body problems are reported together.
    std::vector<ValidationError> errors;
    validateIdempotencyKey(request.idempotencyKey, errors);
    std::optional<json::Value> body;
    ExecuteRequest execute;
    if (readJsonBody(request, body, errors)) {
        if (body) {
            execute = validateExecuteRequest(std::move(*body), errors);
        } else {
            errors.push_back(makeValidationError("missing", {std::string("body")}, {}));
        }
    }
    if (!errors.empty()) {
        return validationErrorResponse(errors);
    }

    // 2. The workflow exists and is not archived.
    pg::Connection& connection = database.connection();
    std::optional<WorkflowFacts> workflow = loadWorkflow(connection, workflowId);
    if (!workflow) {
        return workflowNotFound(workflowId);
    }

    // 3-6. Domain checks, in the order the contract fixes.
    if (std::optional<std::string> detail = findReservedInputKeys(execute)) {
        return detailResponse(422, *detail);
    }
    std::vector<std::string> slugs;
    if (std::optional<std::string> detail = normalizeRepos(execute, slugs)) {
        return detailResponse(422, *detail);
    }
    std::optional<std::string> task = execute.task;
    std::vector<std::pair<std::string, std::string>> merged;
    if (std::optional<std::string> detail = mergeInputs(workflow->inputs, execute, merged)) {
        return detailResponse(422, *detail);
    }
    if (slugs.empty()) {
        if (std::optional<std::string> detail =
                workflowRepositoryDetail(workflowId, *workflow, merged)) {
            return detailResponse(422, *detail);
        }
    }

    return createExecution(
        connection, workflowId,
        {task, inputsJson(merged), pg::arrayLiteral(slugs), request.idempotencyKey});
}

}  // namespace syn::fcgi
