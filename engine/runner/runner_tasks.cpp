#include "runner_tasks.h"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "syn/execution_queue.h"
#include "syn/execution_runner.h"
#include "syn/orphaned_agents.h"

namespace syn::runner {

namespace {

constexpr long kReconnectDelayMs = 2000;

// Opens a connection, retrying every two seconds until it works or `task` is cancelled.
std::unique_ptr<pg::Connection> connect(Poco::Task& task, RunnerContext& context,
                                        const std::string& purpose) {
    while (!task.isCancelled()) {
        try {
            return std::make_unique<pg::Connection>(context.databaseUrl);
        } catch (const pg::Error& error) {
            context.logger.error("%s: %s; retrying in %ld ms", purpose, std::string(error.what()),
                                 kReconnectDelayMs);
        }
        for (long waited = 0; waited < kReconnectDelayMs && !task.isCancelled(); waited += 100) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    return nullptr;
}

}  // namespace

SlotTask::SlotTask(RunnerContext& context, int index)
    : Poco::Task("slot-" + std::to_string(index)), context_(context), index_(index) {}

void SlotTask::runTask() {
    std::unique_ptr<pg::Connection> db;
    auto pollInterval = std::chrono::milliseconds(context_.settings.pollIntervalMs);
    for (;;) {
        bool stopping = isCancelled() || context_.pool.stopping();
        // NOTE: executions handed off to idle slots wait for a slot with a
        // database connection to release them. When no slot has one at
        // shutdown, their leases lapse and a rescue re-queues them.
        if (!db && stopping) {
            return;
        }
        if (!db) {
            db = connect(*this, context_, name() + " connecting to the database");
            context_.pool.setConnected(index_, db != nullptr);
            continue;
        }

        // An execution claimed for this slot runs even while the runner stops:
        // the run releases it at its first phase boundary, so that it does not
        // wait for its lease to lapse.
        std::optional<ClaimedExecution> claimed = context_.pool.takeHandedOff(index_);
        if (!claimed && stopping) {
            return;
        }
        SlotPool::ClaimReservation reservation;
        if (!claimed) {
            reservation = context_.pool.reserveClaims(index_);
            try {
                claimed = claim(*db, reservation);
            } catch (const pg::Error& error) {
                context_.logger.error("%s: claiming executions failed: %s", name(),
                                      std::string(error.what()));
                db.reset();
                context_.pool.setConnected(index_, false);
                continue;
            }
        }
        if (!claimed) {
            context_.pool.waitForWork(pollInterval, reservation.wakeCount);
            continue;
        }

        if (!run(*db, *claimed)) {
            db.reset();
            context_.pool.setConnected(index_, false);
        }
        context_.pool.vacate(index_);
    }
}

std::optional<ClaimedExecution> SlotTask::claim(pg::Connection& db,
                                                const SlotPool::ClaimReservation& reservation) {
    if (reservation.count == 0) {
        return std::nullopt;
    }
    std::vector<ClaimedExecution> claimed;
    try {
        ExecutionQueue queue(db, context_.settings.runnerId, context_.settings.leaseSeconds,
                             context_.settings.workflows);
        claimed = queue.claim(reservation.count);
    } catch (...) {
        context_.pool.finishClaim(index_, reservation, {});
        throw;
    }
    for (const ClaimedExecution& execution : claimed) {
        context_.logger.information("%s claimed execution %s of workflow %s (attempt %d)", name(),
                                    execution.lease.executionId, execution.workflowId,
                                    execution.attempts);
    }
    return context_.pool.finishClaim(index_, reservation, std::move(claimed));
}

bool SlotTask::run(pg::Connection& db, const ClaimedExecution& claimed) {
    const std::string& executionId = claimed.lease.executionId;
    try {
        ExecutionQueue queue(db, context_.settings.runnerId, context_.settings.leaseSeconds,
                             context_.settings.workflows);
        ExecutionRunner runner(queue, context_.settings, context_.logger);
        runner.run(claimed, context_.pool.stopRequest(index_), context_.pool.stopping());
        std::filesystem::path workspace =
            std::filesystem::path(context_.settings.workspaceRoot) / executionId;
        // The status this runner wrote needs no query; after a lost lease
        // only the database has it.
        if (runner.endedStatus()) {
            workspace::applyRetentionAtEnd(workspace, executionId, *runner.endedStatus(),
                                           context_.settings.retention, context_.logger);
        } else {
            workspace::applyRetentionAfterRun(db, workspace, executionId,
                                              context_.settings.retention, context_.logger);
        }
        return true;
    } catch (const std::exception& error) {
        // The lease lapses on its own and a rescuer re-queues the execution.
        context_.logger.error(
            "%s: execution %s abandoned after an error: %s; it is re-queued when its "
            "lease lapses",
            name(), executionId, std::string(error.what()));
        return false;
    }
}

ListenerTask::ListenerTask(RunnerContext& context) : Poco::Task("listener"), context_(context) {}

void ListenerTask::runTask() {
    while (!isCancelled()) {
        std::unique_ptr<pg::Connection> db =
            connect(*this, context_, "Listener connecting to the database");
        if (!db) {
            return;
        }
        try {
            listen(*db);
        } catch (const pg::Error& error) {
            context_.logger.error("Listener lost the database: %s; reconnecting",
                                  std::string(error.what()));
        }
    }
}

void ListenerTask::listen(pg::Connection& db) {
    if (context_.settings.notifications) {
        db.execute("listen syn_execution_queued");
    }
    db.execute("listen syn_execution_control");
    // Notifications sent while this connection was down are lost, so look now.
    context_.pool.wake();
    rescue(db);

    auto pollInterval = std::chrono::milliseconds(context_.settings.pollIntervalMs);
    auto nextPoll = std::chrono::steady_clock::now() + pollInterval;
    while (!isCancelled()) {
        auto now = std::chrono::steady_clock::now();
        if (now >= nextPoll) {
            context_.pool.wake();
            rescue(db);
            nextPoll = now + pollInterval;
        }

        // Short waits keep shutdown prompt even when the poll interval is long.
        auto untilPoll = std::chrono::duration_cast<std::chrono::milliseconds>(nextPoll - now);
        pollfd socket{db.socket(), POLLIN, 0};
        ::poll(&socket, 1, static_cast<int>(std::min<long long>(untilPoll.count(), 250)));

        for (const auto& [channel, payload] : db.takeNotifications()) {
            if (channel == "syn_execution_queued") {
                context_.pool.wake();
            } else if (channel == "syn_execution_control") {
                handleControl(db, payload);
            }
        }
    }
}

void ListenerTask::handleControl(pg::Connection& db, const std::string& executionId) {
    std::optional<Lease> lease = context_.pool.leaseFor(executionId);
    if (!lease) {
        return;
    }
    ExecutionQueue queue(db, context_.settings.runnerId, context_.settings.leaseSeconds);
    ControlRequests control = queue.readControl(*lease);
    if (control.cancel && context_.pool.requestStop(*lease, StopRequest::cancel)) {
        context_.logger.information("Cancel requested for execution %s; stopping its agent",
                                    executionId);
    } else if (control.pause) {
        context_.logger.information(
            "Pause requested for execution %s; it pauses after the "
            "running phase",
            executionId);
    }
}

void ListenerTask::rescue(pg::Connection& db) {
    ExecutionQueue queue(db, context_.settings.runnerId, context_.settings.leaseSeconds);
    // The agent of a lost runner died with it (PR_SET_PDEATHSIG), but its
    // children may still work in the workspace, so they are killed before
    // another agent starts there. This runs at start-up too. It touches only
    // executions that this rescue took over because their leases lapsed, never
    // one that a live runner holds.
    // NOTE: only this host is searched. Orphans on another host survive until
    // a runner on their host is the one that rescues their execution, or until
    // their unit's cgroup is stopped (systemd kills the rest of the cgroup when
    // the runner's main process dies).
    auto killOrphans = [this](const std::vector<std::string>& executionIds) {
        try {
            killOrphanedAgents(executionIds, context_.logger);
        } catch (const std::exception& error) {
            context_.logger.error("Searching /proc for orphaned agents failed: %s",
                                  std::string(error.what()));
        }
    };
    int rescued = queue.rescueLapsed(context_.settings.maxAttempts, killOrphans);
    if (rescued > 0) {
        context_.logger.warning("Rescued %d executions whose lease lapsed", rescued);
        context_.pool.wake();
    }
}

HeartbeatTask::HeartbeatTask(RunnerContext& context) : Poco::Task("heartbeat"), context_(context) {}

// A runner whose leases cannot be renewed must not keep working on them.
// After a failed renewal it claims nothing until a renewal works again, and
// when its leases would lapse before the next attempt, it stops its agents,
// because other runners may then rescue and restart their executions.
void HeartbeatTask::runTask() {
    std::unique_ptr<pg::Connection> db;
    auto interval = std::chrono::seconds(context_.settings.heartbeatSeconds);
    auto leasePeriod = std::chrono::seconds(context_.settings.leaseSeconds);
    auto renewedAt = std::chrono::steady_clock::now();
    bool failing = false;
    bool agentsStopped = false;
    while (!isCancelled()) {
        auto attemptedAt = std::chrono::steady_clock::now();
        try {
            if (!db) {
                db = std::make_unique<pg::Connection>(context_.databaseUrl);
            }
            renew(*db);
            renewedAt = attemptedAt;
            if (failing) {
                failing = false;
                agentsStopped = false;
                context_.pool.allowClaims(true);
                context_.logger.information("Leases are renewed again; claiming resumes");
            }
        } catch (const pg::Error& error) {
            context_.logger.error("Renewing leases failed: %s; claiming nothing until it works",
                                  std::string(error.what()));
            db.reset();
            failing = true;
            context_.pool.allowClaims(false);
            if (!agentsStopped && attemptedAt - renewedAt + interval >= leasePeriod) {
                agentsStopped = true;
                context_.pool.requestStopAll(StopRequest::leaseLost);
                context_.logger.warning(
                    "Leases lapse before the next renewal attempt; stopping every agent");
            }
        }
        sleep(std::chrono::milliseconds(interval).count());
    }
}

void HeartbeatTask::renew(pg::Connection& db) {
    std::vector<Lease> leases = context_.pool.activeLeases();
    if (leases.empty()) {
        return;
    }
    ExecutionQueue queue(db, context_.settings.runnerId, context_.settings.leaseSeconds);
    std::set<std::string> renewed;
    for (const auto& [executionId, cancelRequested] : queue.renewLeases(leases)) {
        renewed.insert(executionId);
        // A cancel whose notification was lost is still acted on here.
        if (cancelRequested) {
            std::optional<Lease> lease = context_.pool.leaseFor(executionId);
            if (lease) {
                context_.pool.requestStop(*lease, StopRequest::cancel);
            }
        }
    }
    for (const Lease& lease : leases) {
        if (renewed.count(lease.executionId) == 0 &&
            context_.pool.requestStop(lease, StopRequest::leaseLost)) {
            context_.logger.warning("Lease on execution %s was not renewed; stopping its agent",
                                    lease.executionId);
        }
    }
}

}  // namespace syn::runner
