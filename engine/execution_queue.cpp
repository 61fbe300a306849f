#include "syn/execution_queue.h"

#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "syn/runner_statements.h"
#include "syn/utf8.h"

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

// The maximum time a write of a running phase's output may take, lock waits
// included, before PostgreSQL cancels it.
constexpr int kRunningOutputTimeoutMs = 500;

}  // namespace

ExecutionQueue::ExecutionQueue(pg::Connection& db, std::string runnerId, int leaseSeconds,
                               std::vector<std::string> workflows)
    : db_(db),
      runnerId_(std::move(runnerId)),
      actor_("runner:" + runnerId_),
      leaseSecondsValue_(leaseSeconds),
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

// Runs `write`, and again after re-opening the connection each time the
// connection breaks, until the lease may have lapsed.
template <typename Write>
bool ExecutionQueue::throughOutage(const Lease& lease, const std::string& step, Write&& write) {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point deadline = Clock::now() + std::chrono::seconds(leaseSecondsValue_);
    for (int attempt = 1;; ++attempt) {
        try {
            return write();
        } catch (const pg::Error& error) {
            if (!error.isConnectionError() || Clock::now() >= deadline) {
                throw;
            }
            Poco::Logger::get("syn.execution_queue")
                .warning(
                    "Execution %s: %s failed (%s); re-opening the connection and trying "
                    "again in 1 s (attempt %d, until the lease may have lapsed)",
                    lease.executionId, step, std::string(error.what()), attempt);
        }
        std::this_thread::sleep_for(std::chrono::seconds(1));
        db_.reopen();
    }
}

template <typename Writes>
bool ExecutionQueue::underLease(const Lease& lease, const std::string& step, Writes&& writes) {
    return throughOutage(lease, step, [&] {
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
    });
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

ControlRequests ExecutionQueue::readControl(const Lease& lease) {
    pg::Result row = db_.execute(
        "select cancel_requested_at is not null, pause_requested_at is not null, "
        "coalesce(control_reason, ''), status = 'running' from syn.executions "
        "where id = $1 and lease_token = $2::uuid",
        {lease.executionId, lease.token});
    ControlRequests control;
    // The status is tested here rather than in SQL, for the same reason as in kStartPhaseSql.
    if (row.rows() == 0 || !row.boolean(0, 3)) {
        return control;
    }
    control.leaseHeld = true;
    control.cancel = row.boolean(0, 0);
    control.pause = row.boolean(0, 1);
    control.reason = row.text(0, 2);
    return control;
}

// The lease check, the control read and the three writes of a phase start
// in one statement. `held` tests the status outside its WHERE clause so that
// PostgreSQL looks the row up by primary key: with `status = 'running'` there,
// it chose executions_active_idx and read every queued execution while its
// statistics still counted the queue as empty. `held` locks the execution
// row, so this statement reads every cancel or pause committed before it. A
// request committed later waits for the lock and then reaches the slot
// through the listener.
//
// The statement commits without waiting for the WAL flush. Only a crash of
// PostgreSQL or its host can lose it, and that also ends the slot's
// connection, so the slot cannot record this phase's end: it abandons the
// execution, whose durable claim keeps it leased to this runner until the
// lease lapses and a rescue re-queues it. The phase then runs again from the
// start. WAL is flushed in order, so a durable phase end or later write
// implies a durable phase start.
//
// The claim already set current_phase to the first phase it will run, so the
// execution row changes only when a later phase starts. Skipping the
// unchanged row saves a row version and its check constraints per execution.
const char* const kStartPhaseSql =
    "with durability as (select set_config('synchronous_commit', 'off', true)), "
    "held as (select cancel_requested_at is not null as cancel, "
    "    pause_requested_at is not null as pause, coalesce(control_reason, '') as reason, "
    "    status = 'running' as running "
    "  from syn.executions where id = $1 and lease_token = $2::uuid for update), "
    "phase as (update syn.execution_phases set status = 'running', prompt = $4, "
    "    started_at = now(), completed_at = null, runs = runs + 1, output = null, "
    "    output_truncated = false, exit_code = null, error = null "
    "  where execution_id = $1 and phase_id = $3 "
    "    and exists (select 1 from held where running and not cancel and not pause) "
    "  returning phase_id), "
    "execution as (update syn.executions set current_phase = $3, updated_at = now() "
    "  where id = $1 and current_phase is distinct from $3 and exists (select 1 from phase)), "
    "event as (insert into syn.execution_events (execution_id, actor, event, phase_id) "
    "  select $1, $5, 'phase_started', phase_id from phase) "
    "select cancel, pause, reason, exists (select 1 from phase) from held, durability "
    "where running";

// Completes a phase and, when $8 is true, the execution, in one statement.
// The count cannot see this statement's own phase update, so it adds one.
// Only a running phase completes, so that a write repeated after a lost
// connection, whose first try did commit, changes nothing.
const char* const kCompletePhaseSql =
    "with held as (select 1 from syn.executions "
    "  where id = $1 and lease_token = $2::uuid for update), "
    "phase as (update syn.execution_phases set status = 'completed', output = $4, "
    "    output_truncated = $5, exit_code = $6::int, error = null, completed_at = now() "
    "  where execution_id = $1 and phase_id = $3 and status = 'running' "
    "    and exists (select 1 from held) "
    "  returning phase_id), "
    "execution as (update syn.executions e set updated_at = now(), "
    "    completed_phases = 1 + (select count(*) from syn.execution_phases "
    "      where execution_id = $1 and status = 'completed' and phase_id <> $3), "
    "    status = case when $8 then 'completed' else e.status end, "
    "    current_phase = case when $8 then null else e.current_phase end, "
    "    error = case when $8 then null else e.error end, "
    "    completed_at = case when $8 then now() else e.completed_at end, "
    "    pause_requested_at = case when $8 then null else e.pause_requested_at end, "
    "    claimed_by = case when $8 then null else e.claimed_by end, "
    "    lease_token = case when $8 then null else e.lease_token end, "
    "    lease_expires_at = case when $8 then null else e.lease_expires_at end "
    "  where id = $1 and exists (select 1 from phase)), "
    "event as (insert into syn.execution_events "
    "    (execution_id, actor, event, phase_id, from_status, to_status, detail) "
    "  select $1, $7, events.event, events.phase_id, events.from_status, events.to_status, "
    "    events.detail "
    "  from phase, (values (1, 'phase_completed', $3, null, null, $9::jsonb), "
    "                      (2, 'completed', null, 'running', 'completed', '{}'::jsonb)) "
    "    as events (n, event, phase_id, from_status, to_status, detail) "
    "  where events.n = 1 or $8 order by events.n) "
    "select exists (select 1 from phase)";

PhaseStart ExecutionQueue::startPhase(const Lease& lease, const std::string& phaseId,
                                      const std::string& prompt) {
    db_.prepare("syn_runner_start_phase", kStartPhaseSql);
    pg::Result row = db_.executePrepared(
        "syn_runner_start_phase",
        {lease.executionId, lease.token, phaseId, toStorableText(prompt), actor_});
    PhaseStart start;
    if (row.rows() == 0) {
        return start;
    }
    start.control = {true, row.boolean(0, 0), row.boolean(0, 1), std::string(row.text(0, 2))};
    start.started = row.boolean(0, 3);
    return start;
}

bool ExecutionQueue::completePhase(const Lease& lease, const std::string& phaseId,
                                   const PhaseOutcome& outcome, bool finishesExecution) {
    std::string detail = detailJson({{"exit_code", outcome.exitCode.value_or(0)},
                                     {"output_bytes", outcome.output.size()},
                                     {"output_truncated", outcome.outputTruncated}});
    const std::string output = toStorableText(outcome.output);
    return throughOutage(lease, "storing the end of phase " + phaseId, [&] {
        db_.prepare("syn_runner_complete_phase", kCompletePhaseSql);
        pg::Result row = db_.executePrepared(
            "syn_runner_complete_phase",
            {lease.executionId, lease.token, phaseId, output, outcome.outputTruncated ? "t" : "f",
             exitCodeParam(outcome.exitCode), actor_, finishesExecution ? "t" : "f", detail});
        return row.boolean(0, 0);
    });
}

// Stores a running phase's output so far. It reads the execution row without
// locking it, so it never waits for the API's control requests. A rescue that
// commits meanwhile sets the phase row's status to pending. At Read Committed,
// an UPDATE that finds its row changed by a committed transaction evaluates
// its WHERE clause again on the new row version (PostgreSQL manual,
// "Transaction Isolation"), so the write then changes nothing.
const char* const kStoreRunningOutputSql =
    "with durability as (select set_config('synchronous_commit', 'off', true)) "
    "update syn.execution_phases p set output = $4, output_truncated = $5 "
    "from syn.executions e, durability "
    "where e.id = $1 and e.lease_token = $2::uuid and e.status = 'running' "
    "  and p.execution_id = $1 and p.phase_id = $3 and p.status = 'running'";

bool ExecutionQueue::storeRunningOutput(const Lease& lease, const std::string& phaseId,
                                        const std::string& output, bool outputTruncated) {
    db_.prepare("syn_runner_store_running_output", kStoreRunningOutputSql);
    // The write runs on the agent's wait loop. A statement timeout ends a wait
    // for a lock, so that it cannot hold up a cancel or a timeout.
    db_.execute("begin");
    try {
        db_.execute("set local statement_timeout = " + std::to_string(kRunningOutputTimeoutMs));
        pg::Result result =
            db_.executePrepared("syn_runner_store_running_output",
                                {lease.executionId, lease.token, phaseId, toStorableText(output),
                                 outputTruncated ? "t" : "f"});
        db_.execute("commit");
        return result.affectedRows() > 0;
    } catch (...) {
        rollbackQuietly();
        throw;
    }
}

bool ExecutionQueue::failPhase(const Lease& lease, const std::string& phaseId,
                               const PhaseOutcome& outcome, const std::string& errorText) {
    const std::string output = toStorableText(outcome.output);
    const std::string error = toStorableText(errorText);
    return underLease(lease, "failing phase " + phaseId, [&] {
        db_.execute(
            "update syn.execution_phases set status = 'failed', output = $3, "
            "output_truncated = $4, exit_code = $5::int, error = $6, completed_at = now() "
            "where execution_id = $1 and phase_id = $2",
            {lease.executionId, phaseId, output, outcome.outputTruncated ? "t" : "f",
             exitCodeParam(outcome.exitCode), error});
        db_.execute(
            "update syn.execution_phases set status = 'skipped', completed_at = now() "
            "where execution_id = $1 and status = 'pending' and position > "
            "(select position from syn.execution_phases where execution_id = $1 "
            " and phase_id = $2)",
            {lease.executionId, phaseId});
        db_.execute(std::string("update syn.executions set status = 'failed', error = $3, "
                                "current_phase = $2, completed_at = now(), updated_at = now(), "
                                "pause_requested_at = null, ") +
                        kClearLease + " where id = $1",
                    {lease.executionId, phaseId, error});
        insertEvent(lease.executionId, "phase_failed", phaseId, nullptr, nullptr,
                    detailJson({{"error", error}}));
        insertEvent(lease.executionId, "failed", phaseId, "running", "failed",
                    detailJson({{"error", error}}));
    });
}

bool ExecutionQueue::cancel(const Lease& lease, const std::string& phaseId,
                            const PhaseOutcome& outcome, const std::string& errorText) {
    const std::string output = toStorableText(outcome.output);
    const std::string error = toStorableText(errorText);
    return underLease(lease, "cancelling during phase " + phaseId, [&] {
        db_.execute(
            "update syn.execution_phases set status = 'cancelled', output = $3, "
            "output_truncated = $4, completed_at = now(), error = $5 "
            "where execution_id = $1 and phase_id = $2",
            {lease.executionId, phaseId, output, outcome.outputTruncated ? "t" : "f", error});
        db_.execute(
            "update syn.execution_phases set status = 'cancelled', completed_at = now() "
            "where execution_id = $1 and status = 'pending'",
            {lease.executionId});
        db_.execute(std::string("update syn.executions set status = 'cancelled', error = $2, "
                                "current_phase = null, completed_at = now(), updated_at = now(), "
                                "pause_requested_at = null, ") +
                        kClearLease + " where id = $1",
                    {lease.executionId, error});
        insertEvent(lease.executionId, "cancelled", phaseId, "running", "cancelled",
                    detailJson({{"error", error}}));
    });
}

bool ExecutionQueue::pause(const Lease& lease, const std::string& nextPhaseId) {
    return underLease(lease, "pausing before phase " + nextPhaseId, [&] {
        // A pause gives its claim back, because only a lost runner uses up one of
        // runner.max_attempts.
        db_.execute(std::string("update syn.executions set status = 'paused', "
                                "current_phase = $2, pause_requested_at = null, "
                                "attempts = greatest(attempts - 1, 0), updated_at = now(), ") +
                        kClearLease + " where id = $1",
                    {lease.executionId, nextPhaseId});
        insertEvent(lease.executionId, "paused", nextPhaseId, "running", "paused", "{}");
    });
}

bool ExecutionQueue::complete(const Lease& lease) {
    return underLease(lease, "completing the execution", [&] {
        db_.execute(std::string("update syn.executions set status = 'completed', "
                                "current_phase = null, error = null, completed_at = now(), "
                                "updated_at = now(), pause_requested_at = null, ") +
                        kClearLease + " where id = $1",
                    {lease.executionId});
        insertEvent(lease.executionId, "completed", std::nullopt, "running", "completed", "{}");
    });
}

bool ExecutionQueue::release(const Lease& lease, const std::string& reason) {
    return underLease(lease, "releasing the execution", [&] {
        db_.execute(
            "update syn.execution_phases set status = 'pending', started_at = null "
            "where execution_id = $1 and status = 'running'",
            {lease.executionId});
        // A pending execution has no current phase until a runner claims it. A
        // release gives its claim back, because only a lost runner uses up one of
        // runner.max_attempts.
        db_.execute(std::string("update syn.executions set status = 'pending', "
                                "current_phase = null, attempts = greatest(attempts - 1, 0), "
                                "updated_at = now(), ") +
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
