#include "syn/execution_queue.h"

#include <Poco/JSON/Object.h>

#include <sstream>

namespace syn {

namespace {

using Detail = std::initializer_list<std::pair<std::string, Poco::Dynamic::Var>>;

std::string detailJson(Detail fields) {
    Poco::JSON::Object object;
    for (const auto& [name, value] : fields) {
        object.set(name, value);
    }
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

pg::Param exitCodeParam(const std::optional<int>& exitCode) {
    return exitCode ? pg::Param(std::to_string(*exitCode)) : std::nullopt;
}

const char* kClearLease = "claimed_by = null, lease_token = null, lease_expires_at = null";

}  // namespace

ExecutionQueue::ExecutionQueue(pg::Connection& db, std::string runnerId, int leaseSeconds,
                               std::vector<std::string> workflows)
    : db_(db),
      runnerId_(std::move(runnerId)),
      actor_("runner:" + runnerId_),
      leaseSeconds_(std::to_string(leaseSeconds)),
      workflowsArray_(pg::arrayLiteral(workflows)) {}

void ExecutionQueue::rollbackQuietly() {
    try {
        db_.execute("rollback");
    } catch (const pg::Error&) {
        // The original error is the one worth reporting; a broken connection
        // has already discarded the transaction.
    }
}

template <typename Writes>
bool ExecutionQueue::underLease(const Lease& lease, Writes&& writes) {
    db_.execute("begin");
    try {
        pg::Result held = db_.execute(
            "select status from syn.executions where id = $1 and lease_token = $2::uuid "
            "for update",
            {lease.executionId, lease.token});
        if (held.rows() == 0) {
            db_.execute("rollback");
            return false;
        }
        writes();
        db_.execute("commit");
        return true;
    } catch (...) {
        rollbackQuietly();
        throw;
    }
}

void ExecutionQueue::insertEvent(const std::string& executionId, const std::string& event,
                                 const std::optional<std::string>& phaseId, const char* fromStatus,
                                 const char* toStatus, const std::string& detail) {
    db_.execute(
        "insert into syn.execution_events "
        "(execution_id, actor, event, phase_id, from_status, to_status, detail) "
        "values ($1, $2, $3, $4, $5, $6, $7::jsonb)",
        {executionId, actor_, event, phaseId, fromStatus ? pg::Param(fromStatus) : std::nullopt,
         toStatus ? pg::Param(toStatus) : std::nullopt, detail});
}

std::optional<ClaimedExecution> ExecutionQueue::claim() {
    db_.execute("begin");
    try {
        // SKIP LOCKED lets many runners claim at once without waiting on each other.
        pg::Result row = db_.execute(
            "with next as (select id from syn.executions where status = 'pending' "
            "              and (cardinality($3::text[]) = 0 or workflow_id = any($3::text[])) "
            "              order by created_at, id limit 1 for update skip locked) "
            "update syn.executions e set status = 'running', "
            "  started_at = coalesce(e.started_at, now()), claimed_by = $1, "
            "  lease_token = gen_random_uuid(), "
            "  lease_expires_at = now() + make_interval(secs => $2::int), "
            "  attempts = e.attempts + 1, updated_at = now(), "
            "  current_phase = (select p.phase_id from syn.execution_phases p "
            "                   where p.execution_id = e.id and p.status <> 'completed' "
            "                   order by p.position limit 1) "
            "from next where e.id = next.id "
            "returning e.id, e.lease_token, e.workflow_id, e.task, e.inputs::text, e.repos, "
            "  e.attempts",
            {runnerId_, leaseSeconds_, workflowsArray_});
        if (row.rows() == 0) {
            db_.execute("commit");
            return std::nullopt;
        }

        ClaimedExecution claimed;
        claimed.lease = {std::string(row.text(0, 0)), std::string(row.text(0, 1))};
        claimed.workflowId = row.text(0, 2);
        claimed.task = row.optionalText(0, 3);
        claimed.inputsJson = row.text(0, 4);
        claimed.repos = pg::parseArray(row.text(0, 5));
        claimed.attempts = static_cast<int>(row.integer(0, 6));
        insertEvent(claimed.lease.executionId, "claimed", std::nullopt, "pending", "running",
                    detailJson({{"attempt", claimed.attempts}}));
        db_.execute("commit");
        return claimed;
    } catch (...) {
        rollbackQuietly();
        throw;
    }
}

std::vector<PhaseRecord> ExecutionQueue::loadPhases(const std::string& executionId) {
    pg::Result rows = db_.execute(
        "select phase_id, position, name, status, prompt_template, model, timeout_seconds, "
        "output from syn.execution_phases where execution_id = $1 order by position",
        {executionId});
    std::vector<PhaseRecord> phases;
    for (int i = 0; i < rows.rows(); ++i) {
        PhaseRecord phase;
        phase.phaseId = rows.text(i, 0);
        phase.position = static_cast<int>(rows.integer(i, 1));
        phase.name = rows.text(i, 2);
        phase.status = rows.text(i, 3);
        phase.promptTemplate = rows.text(i, 4);
        phase.model = rows.optionalText(i, 5);
        phase.timeoutSeconds = static_cast<int>(rows.integer(i, 6));
        phase.output = rows.optionalText(i, 7);
        phases.push_back(std::move(phase));
    }
    return phases;
}

ControlRequests ExecutionQueue::readControl(const Lease& lease) {
    pg::Result row = db_.execute(
        "select cancel_requested_at is not null, pause_requested_at is not null, "
        "coalesce(control_reason, '') from syn.executions "
        "where id = $1 and lease_token = $2::uuid and status = 'running'",
        {lease.executionId, lease.token});
    ControlRequests control;
    if (row.rows() == 0) {
        return control;
    }
    control.leaseHeld = true;
    control.cancel = row.boolean(0, 0);
    control.pause = row.boolean(0, 1);
    control.reason = row.text(0, 2);
    return control;
}

bool ExecutionQueue::startPhase(const Lease& lease, const std::string& phaseId,
                                const std::string& prompt) {
    return underLease(lease, [&] {
        db_.execute(
            "update syn.execution_phases set status = 'running', prompt = $3, "
            "started_at = now(), completed_at = null, runs = runs + 1, output = null, "
            "output_truncated = false, exit_code = null, error = null "
            "where execution_id = $1 and phase_id = $2",
            {lease.executionId, phaseId, prompt});
        db_.execute(
            "update syn.executions set current_phase = $2, updated_at = now() where id = $1",
            {lease.executionId, phaseId});
        insertEvent(lease.executionId, "phase_started", phaseId, nullptr, nullptr, "{}");
    });
}

bool ExecutionQueue::completePhase(const Lease& lease, const std::string& phaseId,
                                   const PhaseOutcome& outcome) {
    return underLease(lease, [&] {
        db_.execute(
            "update syn.execution_phases set status = 'completed', output = $3, "
            "output_truncated = $4, exit_code = $5::int, error = null, completed_at = now() "
            "where execution_id = $1 and phase_id = $2",
            {lease.executionId, phaseId, outcome.output, outcome.outputTruncated ? "t" : "f",
             exitCodeParam(outcome.exitCode)});
        // Counting rows keeps the number right even if a phase is completed twice.
        db_.execute(
            "update syn.executions set updated_at = now(), completed_phases = "
            "(select count(*) from syn.execution_phases "
            " where execution_id = $1 and status = 'completed') where id = $1",
            {lease.executionId});
        insertEvent(lease.executionId, "phase_completed", phaseId, nullptr, nullptr,
                    detailJson({{"exit_code", outcome.exitCode.value_or(0)},
                                {"output_bytes", outcome.output.size()},
                                {"output_truncated", outcome.outputTruncated}}));
    });
}

bool ExecutionQueue::failPhase(const Lease& lease, const std::string& phaseId,
                               const PhaseOutcome& outcome, const std::string& error) {
    return underLease(lease, [&] {
        db_.execute(
            "update syn.execution_phases set status = 'failed', output = $3, "
            "output_truncated = $4, exit_code = $5::int, error = $6, completed_at = now() "
            "where execution_id = $1 and phase_id = $2",
            {lease.executionId, phaseId, outcome.output, outcome.outputTruncated ? "t" : "f",
             exitCodeParam(outcome.exitCode), error});
        db_.execute(
            "update syn.execution_phases set status = 'skipped', completed_at = now() "
            "where execution_id = $1 and status = 'pending' and position > "
            "(select position from syn.execution_phases where execution_id = $1 "
            " and phase_id = $2)",
            {lease.executionId, phaseId});
        db_.execute(std::string("update syn.executions set status = 'failed', error = $3, "
                                "current_phase = $2, completed_at = now(), updated_at = now(), ") +
                        kClearLease + " where id = $1",
                    {lease.executionId, phaseId, error});
        insertEvent(lease.executionId, "phase_failed", phaseId, nullptr, nullptr,
                    detailJson({{"error", error}}));
        insertEvent(lease.executionId, "failed", phaseId, "running", "failed",
                    detailJson({{"error", error}}));
    });
}

bool ExecutionQueue::cancel(const Lease& lease, const std::string& phaseId,
                            const PhaseOutcome& outcome, const std::string& error) {
    return underLease(lease, [&] {
        db_.execute(
            "update syn.execution_phases set status = 'cancelled', output = $3, "
            "output_truncated = $4, completed_at = now(), error = $5 "
            "where execution_id = $1 and phase_id = $2",
            {lease.executionId, phaseId, outcome.output, outcome.outputTruncated ? "t" : "f",
             error});
        db_.execute(
            "update syn.execution_phases set status = 'cancelled', completed_at = now() "
            "where execution_id = $1 and status = 'pending'",
            {lease.executionId});
        db_.execute(
            std::string("update syn.executions set status = 'cancelled', error = $2, "
                        "current_phase = null, completed_at = now(), updated_at = now(), ") +
                kClearLease + " where id = $1",
            {lease.executionId, error});
        insertEvent(lease.executionId, "cancelled", phaseId, "running", "cancelled",
                    detailJson({{"error", error}}));
    });
}

bool ExecutionQueue::pause(const Lease& lease, const std::string& nextPhaseId) {
    return underLease(lease, [&] {
        db_.execute(std::string("update syn.executions set status = 'paused', "
                                "current_phase = $2, pause_requested_at = null, "
                                "updated_at = now(), ") +
                        kClearLease + " where id = $1",
                    {lease.executionId, nextPhaseId});
        insertEvent(lease.executionId, "paused", nextPhaseId, "running", "paused", "{}");
    });
}

bool ExecutionQueue::complete(const Lease& lease) {
    return underLease(lease, [&] {
        db_.execute(std::string("update syn.executions set status = 'completed', "
                                "current_phase = null, error = null, completed_at = now(), "
                                "updated_at = now(), ") +
                        kClearLease + " where id = $1",
                    {lease.executionId});
        insertEvent(lease.executionId, "completed", std::nullopt, "running", "completed", "{}");
    });
}

bool ExecutionQueue::release(const Lease& lease, const std::string& reason) {
    return underLease(lease, [&] {
        db_.execute(
            "update syn.execution_phases set status = 'pending', started_at = null "
            "where execution_id = $1 and status = 'running'",
            {lease.executionId});
        // A pending execution has no current phase until a runner claims it.
        db_.execute(std::string("update syn.executions set status = 'pending', "
                                "current_phase = null, updated_at = now(), ") +
                        kClearLease + " where id = $1",
                    {lease.executionId});
        insertEvent(lease.executionId, "released", std::nullopt, "running", "pending",
                    detailJson({{"reason", reason}}));
        db_.execute("select pg_notify('syn_execution_queued', $1)", {lease.executionId});
    });
}

std::vector<std::pair<std::string, bool>> ExecutionQueue::renewLeases(
    const std::vector<Lease>& leases) {
    std::vector<std::string> ids;
    std::vector<std::string> tokens;
    for (const Lease& lease : leases) {
        ids.push_back(lease.executionId);
        tokens.push_back(lease.token);
    }
    pg::Result rows = db_.execute(
        "update syn.executions e set "
        "  lease_expires_at = now() + make_interval(secs => $3::int), updated_at = now() "
        "from unnest($1::text[], $2::uuid[]) as held(id, token) "
        "where e.id = held.id and e.lease_token = held.token and e.status = 'running' "
        "returning e.id, e.cancel_requested_at is not null",
        {pg::arrayLiteral(ids), pg::arrayLiteral(tokens), leaseSeconds_});
    std::vector<std::pair<std::string, bool>> renewed;
    for (int i = 0; i < rows.rows(); ++i) {
        renewed.emplace_back(std::string(rows.text(i, 0)), rows.boolean(i, 1));
    }
    return renewed;
}

}  // namespace syn
