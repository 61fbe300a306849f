// The runner's side of syn.executions: claims, leases and the state writes
// a runner makes while it owns an execution.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "syn/pg.h"

namespace syn {

// Proof of ownership: every write below is conditional on id and token.
struct Lease {
    std::string executionId;
    std::string token;
};

struct PhaseRecord {
    std::string phaseId;
    int position = 0;
    std::string name;
    std::string status;
    std::string promptTemplate;
    std::optional<std::string> model;
    int timeoutSeconds = 0;
    std::optional<std::string> output;
};

// Control requests the API left on a running execution.
struct ControlRequests {
    bool leaseHeld = false;
    bool cancel = false;
    bool pause = false;
    std::string reason;  // empty when none was given
};

struct ClaimedExecution {
    Lease lease;
    std::string workflowId;
    std::optional<std::string> task;
    std::string inputsJson;  // jsonb object as text
    std::vector<std::string> repos;
    int attempts = 0;
    std::vector<PhaseRecord> phases;  // every phase, in position order
    ControlRequests control;          // as the claim found them
    // The workflow's repository columns, for hydrating the workspace.
    std::vector<std::string> workflowRepos;
    std::optional<std::string> workflowRepositoryUrl;
    std::optional<std::string> workflowRepositoryRef;
};

// The outcome of a phase start: whether the lease is still held and which
// control requests are pending. The phase started only when `started`.
struct PhaseStart {
    ControlRequests control;
    bool started = false;
};

// Result of a phase run that ended with the agent process, used by the writes.
struct PhaseOutcome {
    std::string output;
    bool outputTruncated = false;
    std::optional<int> exitCode;
};

// Every method that takes a Lease returns false, and changes nothing, when
// the lease is no longer held. Database failures throw pg::Error.
//
// The methods that record the end of agent work (completePhase, failPhase,
// cancel, pause, complete, release) outlast a database restart. When the
// connection breaks, they re-open it every second and write again, for up
// to the lease length. Until the lease lapses, no other runner can take the
// execution over. Output and error texts are stored with invalid UTF-8 and
// NUL bytes replaced (toStorableText).
class ExecutionQueue {
  public:
    // `workflows` limits claim() to executions of those workflow ids; empty
    // claims executions of every workflow.
    ExecutionQueue(pg::Connection& db, std::string runnerId, int leaseSeconds,
                   std::vector<std::string> workflows = {});

    // Claims up to `limit` of the oldest pending executions of the queue's
    // workflows, with their phases, control requests and workflow
    // repositories, in one statement and one commit. Returns them oldest
    // first, or none when no execution is free.
    std::vector<ClaimedExecution> claim(int limit);

    ControlRequests readControl(const Lease& lease);

    // Starts the phase unless a cancel or pause is pending, in one statement
    // that also reads the control requests.
    PhaseStart startPhase(const Lease& lease, const std::string& phaseId,
                          const std::string& prompt);
    // Completes the phase and, when `finishesExecution`, the execution too,
    // in one transaction.
    bool completePhase(const Lease& lease, const std::string& phaseId, const PhaseOutcome& outcome,
                       bool finishesExecution);
    // Stores the output so far of running phase `phaseId`. Returns false, and
    // changes nothing, also when the phase no longer runs. Commits without
    // waiting for the WAL flush, because the phase end stores the output again.
    // Throws pg::Error when the write takes over 500 ms, lock waits included.
    bool storeRunningOutput(const Lease& lease, const std::string& phaseId,
                            const std::string& output, bool outputTruncated);
    // Fails the phase and the execution; later pending phases become skipped.
    bool failPhase(const Lease& lease, const std::string& phaseId, const PhaseOutcome& outcome,
                   const std::string& errorText);
    // Cancels the execution during `phaseId`; it and later phases become cancelled.
    bool cancel(const Lease& lease, const std::string& phaseId, const PhaseOutcome& outcome,
                const std::string& errorText);
    // Pauses the execution before `nextPhaseId` and gives its claim back (attempts - 1).
    bool pause(const Lease& lease, const std::string& nextPhaseId);
    bool complete(const Lease& lease);
    // Returns the execution to pending for another runner, gives its claim
    // back (attempts - 1) and sends NOTIFY.
    bool release(const Lease& lease, const std::string& reason);

    // Renews the leases still held. Returns the ids whose lease was renewed
    // paired with whether a cancel was requested.
    std::vector<std::pair<std::string, bool>> renewLeases(const std::vector<Lease>& leases);

    // Called with the ids of the executions a rescue took over, before it commits.
    using RescueHook = std::function<void(const std::vector<std::string>&)>;

    // Re-queues, fails, cancels or pauses running executions whose lease
    // lapsed, as requested and as attempts allow; returns how many.
    // `beforeCommit` runs while their rows are still locked.
    int rescueLapsed(int maxAttempts, const RescueHook& beforeCommit = {});

    // The connection the queue writes through, for reads outside the queue's tables.
    pg::Connection& connection() { return db_; }

  private:
    template <typename Writes>
    bool underLease(const Lease& lease, const std::string& step, Writes&& writes);
    template <typename Write>
    bool throughOutage(const Lease& lease, const std::string& step, Write&& write);
    void insertEvent(const std::string& executionId, const std::string& event,
                     const std::optional<std::string>& phaseId, const char* fromStatus,
                     const char* toStatus, const std::string& detailJson);
    void rollbackQuietly();

    pg::Connection& db_;
    std::string runnerId_;
    std::string actor_;
    int leaseSecondsValue_;
    std::string leaseSeconds_;
    std::string workflowsArray_;  // PostgreSQL array literal, "{}" for every workflow
};

}  // namespace syn
