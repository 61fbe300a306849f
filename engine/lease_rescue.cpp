// ExecutionQueue::rescueLapsed: recovery of executions whose runner vanished.
#include <Poco/JSON/Object.h>

#include <sstream>

#include "syn/execution_queue.h"

namespace syn {

namespace {

std::string rescueDetail(const std::string& lostRunner, long long attempts) {
    Poco::JSON::Object object;
    object.set("lost_runner", lostRunner);
    object.set("attempts", attempts);
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

}  // namespace

// Policy for a lapsed lease: a requested cancel or pause is honoured;
// otherwise the execution is re-queued while attempts < maxAttempts and
// failed after that. A rescue keeps the lost claim in attempts, because only
// a release or a pause gives a claim back. The phase that was running goes
// back to pending (or fails with the execution), so it runs again from the
// start.
int ExecutionQueue::rescueLapsed(int maxAttempts, const RescueHook& beforeCommit) {
    db_.execute("begin");
    try {
        pg::Result lapsed = db_.execute(
            "select id, coalesce(claimed_by, 'unknown'), attempts, coalesce(current_phase, ''), "
            "  cancel_requested_at is not null, pause_requested_at is not null, "
            "  coalesce(control_reason, '') "
            "from syn.executions where status = 'running' and lease_expires_at < now() "
            "order by lease_expires_at limit 100 for update skip locked");
        for (int i = 0; i < lapsed.rows(); ++i) {
            std::string id(lapsed.text(i, 0));
            std::string lostRunner(lapsed.text(i, 1));
            long long attempts = lapsed.integer(i, 2);
            std::string phase(lapsed.text(i, 3));
            std::string detail = rescueDetail(lostRunner, attempts);
            const char* clearLease =
                "claimed_by = null, lease_token = null, lease_expires_at = null, "
                "updated_at = now()";

            if (lapsed.boolean(i, 4)) {
                std::string error = "Cancelled by request during phase " + phase;
                if (!lapsed.text(i, 6).empty()) {
                    error += ": " + std::string(lapsed.text(i, 6));
                }
                db_.execute(
                    "update syn.execution_phases set status = 'cancelled', completed_at = now() "
                    "where execution_id = $1 and status in ('pending', 'running')",
                    {id});
                db_.execute(
                    std::string("update syn.executions set status = 'cancelled', "
                                "error = $2, current_phase = null, completed_at = now(), ") +
                        clearLease + " where id = $1",
                    {id, error});
                insertEvent(id, "cancelled", phase, "running", "cancelled", detail);
                continue;
            }

            db_.execute(
                "update syn.execution_phases set status = 'pending', started_at = null "
                "where execution_id = $1 and status = 'running'",
                {id});
            if (lapsed.boolean(i, 5)) {
                db_.execute(std::string("update syn.executions set status = 'paused', "
                                        "pause_requested_at = null, ") +
                                clearLease + " where id = $1",
                            {id});
                insertEvent(id, "paused", phase, "running", "paused", detail);
                continue;
            }

            if (attempts < maxAttempts) {
                // A pending execution has no current phase until a runner claims it.
                db_.execute(std::string("update syn.executions set status = 'pending', "
                                        "current_phase = null, ") +
                                clearLease + " where id = $1",
                            {id});
                insertEvent(id, "rescued", phase, "running", "pending", detail);
                db_.execute("select pg_notify('syn_execution_queued', $1)", {id});
                continue;
            }

            std::string error = "Runner " + lostRunner + " was lost during phase " + phase +
                                "; gave up after " + std::to_string(attempts) +
                                " attempts that lost their runner (runner.max_attempts = " +
                                std::to_string(maxAttempts) + ")";
            db_.execute(
                "update syn.execution_phases set status = 'failed', error = $3, "
                "completed_at = now() where execution_id = $1 and phase_id = $2",
                {id, phase, error});
            db_.execute(
                "update syn.execution_phases set status = 'skipped', completed_at = now() "
                "where execution_id = $1 and status = 'pending'",
                {id});
            db_.execute(std::string("update syn.executions set status = 'failed', error = $2, "
                                    "completed_at = now(), ") +
                            clearLease + " where id = $1",
                        {id, error});
            insertEvent(id, "failed", phase, "running", "failed", detail);
        }
        // The rows stay locked and running until the commit, so no runner can
        // claim a re-queued execution and start its agent before the hook ends.
        if (beforeCommit && lapsed.rows() > 0) {
            std::vector<std::string> ids;
            for (int i = 0; i < lapsed.rows(); ++i) {
                ids.emplace_back(lapsed.text(i, 0));
            }
            beforeCommit(ids);
        }
        db_.execute("commit");
        return lapsed.rows();
    } catch (...) {
        rollbackQuietly();
        throw;
    }
}

}  // namespace syn
