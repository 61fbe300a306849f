// The runner's threads, as Poco tasks: one per slot, one that listens for
// notifications and rescues lapsed leases, and one that renews leases.
#pragma once

#include <Poco/Logger.h>
#include <Poco/Task.h>

#include <memory>
#include <string>

#include "slot_pool.h"
#include "syn/pg.h"
#include "syn/runner_settings.h"

namespace syn::runner {

// Shared by every task of one runner process; outlives the tasks.
struct RunnerContext {
    std::string databaseUrl;
    RunnerSettings settings;
    SlotPool pool;
    Poco::Logger& logger;
};

// Runs executions one at a time until the runner stops. An idle slot takes
// an execution another slot claimed for it, or claims for every idle slot at
// once.
class SlotTask : public Poco::Task {
  public:
    SlotTask(RunnerContext& context, int index);
    void runTask() override;

  private:
    // Claims the executions that `reservation` counted for the idle slots;
    // returns the one this slot runs.
    std::optional<ClaimedExecution> claim(pg::Connection& db,
                                          const SlotPool::ClaimReservation& reservation);
    // Runs the execution and applies workspace retention. Returns false when
    // an error ended the run, and the connection is then not to be trusted.
    bool run(pg::Connection& db, const ClaimedExecution& claimed);

    RunnerContext& context_;
    int index_;
};

// LISTENs on syn_execution_queued and syn_execution_control, wakes slots,
// forwards cancel requests to the slot running the execution, and rescues
// lapsed leases every poll interval.
class ListenerTask : public Poco::Task {
  public:
    explicit ListenerTask(RunnerContext& context);
    void runTask() override;

  private:
    void listen(pg::Connection& db);
    void handleControl(pg::Connection& db, const std::string& executionId);
    void rescue(pg::Connection& db);

    RunnerContext& context_;
};

// Renews the leases of running executions every runner.heartbeat_seconds,
// and stops the agent of any execution whose lease was lost.
class HeartbeatTask : public Poco::Task {
  public:
    explicit HeartbeatTask(RunnerContext& context);
    void runTask() override;

  private:
    void renew(pg::Connection& db);

    RunnerContext& context_;
};

}  // namespace syn::runner
