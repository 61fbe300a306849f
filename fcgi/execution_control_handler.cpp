#include "execution_control_handler.h"

#include <algorithm>

#include "execution_lookup.h"
#include "json_response.h"
#include "request_body.h"
#include "syn/execution_id.h"

namespace syn::fcgi {
namespace {

// Every statement takes $1 = execution id and $2 = reason (nullable), and
// returns one row (status before the request) or none when the id is unknown.
// The row lock in `current` makes the status read and the update atomic
// against a runner claiming or finishing the execution at the same moment.

constexpr const char* kCancelSql =
    "with current as (select id, status from syn.executions where id = $1 for update),"
    " finished as (update syn.executions e set status = 'cancelled', completed_at = now(),"
    " updated_at = now(), error = 'Cancelled by request' || coalesce(': ' || $2::text, ''),"
    " current_phase = null, claimed_by = null, lease_token = null, lease_expires_at = null,"
    " control_reason = $2::text"
    " from current c where e.id = c.id and c.status in ('pending', 'paused') returning e.id),"
    " requested as (update syn.executions e set cancel_requested_at = now(), updated_at = now(),"
    " control_reason = $2::text"
    " from current c where e.id = c.id and c.status = 'running' returning e.id),"
    " events as (insert into syn.execution_events"
    " (execution_id, actor, event, from_status, to_status, detail)"
    " select c.id, 'api', case when f.id is null then 'cancel_requested' else 'cancelled' end,"
    " c.status, case when f.id is null then null else 'cancelled' end,"
    " jsonb_strip_nulls(jsonb_build_object('reason', $2::text))"
    " from current c left join finished f on true left join requested r on true"
    " where f.id is not null or r.id is not null),"
    " notified as (select pg_notify('syn_execution_control', id) from requested)"
    " select c.status, (select count(*) from notified) from current c";

constexpr const char* kPauseSql =
    "with current as (select id, status from syn.executions where id = $1 for update),"
    " paused as (update syn.executions e set status = 'paused', updated_at = now(),"
    " control_reason = $2::text, current_phase = (select p.phase_id from syn.execution_phases p"
    " where p.execution_id = e.id and p.status <> 'completed' order by p.position limit 1)"
    " from current c where e.id = c.id and c.status = 'pending' returning e.id),"
    " requested as (update syn.executions e set pause_requested_at = now(), updated_at = now(),"
    " control_reason = $2::text"
    " from current c where e.id = c.id and c.status = 'running' returning e.id),"
    " events as (insert into syn.execution_events"
    " (execution_id, actor, event, from_status, to_status, detail)"
    " select c.id, 'api', case when p.id is null then 'pause_requested' else 'paused' end,"
    " c.status, case when p.id is null then null else 'paused' end,"
    " jsonb_strip_nulls(jsonb_build_object('reason', $2::text))"
    " from current c left join paused p on true left join requested r on true"
    " where p.id is not null or r.id is not null),"
    " notified as (select pg_notify('syn_execution_control', id) from requested)"
    " select c.status, (select count(*) from notified) from current c";

constexpr const char* kResumeSql =
    "with current as (select id, status from syn.executions where id = $1 for update),"
    " resumed as (update syn.executions e set status = 'pending', updated_at = now(),"
    " pause_requested_at = null, current_phase = null, control_reason = $2::text"
    " from current c where e.id = c.id and c.status = 'paused' returning e.id),"
    " events as (insert into syn.execution_events"
    " (execution_id, actor, event, from_status, to_status, detail)"
    " select id, 'api', 'resumed', 'paused', 'pending',"
    " jsonb_strip_nulls(jsonb_build_object('reason', $2::text)) from resumed),"
    " notified as (select pg_notify('syn_execution_queued', id) from resumed)"
    " select c.status, (select count(*) from notified) from current c";

struct Action {
    const char* verb;  // as in "Cannot <verb> execution in state <status>"
    const char* statementName;
    const char* sql;
    std::vector<std::string_view> allowedFrom;
};

// Reads the optional body {"reason": string or null}; extra keys are rejected.
bool readReason(const Request& request, std::optional<std::string>& reason,
                std::vector<ValidationError>& errors) {
    std::optional<json::Value> body;
    if (!readJsonBody(request, body, errors)) {
        return false;
    }
    if (!body) {
        return true;
    }
    if (!body->isObject()) {
        errors.push_back(
            makeValidationError("model_attributes_type", {std::string("body")}, std::move(*body)));
        return false;
    }
    for (json::Member& member : body->members) {
        Location location = {std::string("body"), member.key};
        if (member.key != "reason") {
            errors.push_back(
                makeValidationError("extra_forbidden", location, std::move(member.value)));
        } else if (member.value.isString()) {
            reason = std::move(member.value.text);
        } else if (!member.value.isNull()) {
            errors.push_back(makeValidationError("string_type", location, std::move(member.value)));
        }
    }
    return errors.empty();
}

// The state and message of a transition that the statement applied.
std::pair<std::string, std::string> describeOutcome(std::string_view verb,
                                                    std::string_view previous) {
    if (verb == "cancel") {
        if (previous == "running") {
            return {"running",
                    "Cancellation requested; the runner stops the agent and marks the execution "
                    "cancelled"};
        }
        return {"cancelled", "Execution cancelled"};
    }
    if (verb == "pause") {
        if (previous == "running") {
            return {"running", "Pause requested; the execution pauses at the next phase boundary"};
        }
        return {"paused", "Execution paused"};
    }
    return {"pending", "Execution resumed and queued for a runner"};
}

Response control(const Action& action, const Request& request, const PathParameters& parameters,
                 Database& database) {
    std::vector<ValidationError> errors;
    std::optional<std::string> reason;
    if (!readReason(request, reason, errors)) {
        return validationErrorResponse(errors);
    }

    // A full id needs no lookup: the statement itself finds nothing when it
    // is unknown. A prefix is resolved first.
    pg::Connection& connection = database.connection();
    std::string id = parameters[0];
    if (!isExecutionId(id)) {
        ExecutionMatch match = findExecution(connection, id);
        if (match.failure) {
            return std::move(*match.failure);
        }
        id = match.row->text(0, 0);
    }

    connection.prepare(action.statementName, action.sql);
    pg::Result result = connection.executePrepared(action.statementName, {id, reason});
    if (result.rows() == 0) {
        return detailResponse(404, "Execution " + parameters[0] + " not found");
    }
    std::string previous(result.text(0, 0));
    if (std::find(action.allowedFrom.begin(), action.allowedFrom.end(), previous) ==
        action.allowedFrom.end()) {
        return detailResponse(
            409, std::string("Cannot ") + action.verb + " execution in state " + previous);
    }

    auto [state, message] = describeOutcome(action.verb, previous);
    json::Writer writer;
    writer.beginObject();
    writer.key("success").boolean(true);
    writer.key("execution_id").string(id);
    writer.key("state").string(state);
    writer.key("message").string(message);
    writer.endObject();
    return jsonResponse(200, writer.take());
}

}  // namespace

Response handleCancel(const Request& request, const PathParameters& parameters,
                      Database& database) {
    static const Action action{
        "cancel", "cancel_execution", kCancelSql, {"pending", "running", "paused"}};
    return control(action, request, parameters, database);
}

Response handlePause(const Request& request, const PathParameters& parameters, Database& database) {
    static const Action action{"pause", "pause_execution", kPauseSql, {"pending", "running"}};
    return control(action, request, parameters, database);
}

Response handleResume(const Request& request, const PathParameters& parameters,
                      Database& database) {
    static const Action action{"resume", "resume_execution", kResumeSql, {"paused"}};
    return control(action, request, parameters, database);
}

}  // namespace syn::fcgi
