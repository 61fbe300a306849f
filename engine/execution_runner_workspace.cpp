// ExecutionRunner's step before the first phase: cloning the execution's
// repositories into its workspace, and ending the execution when a stop
// request interrupts a clone.
#include "syn/execution_runner.h"
#include "syn/workspace_hydrator.h"

namespace syn {

// Clones the execution's repositories and writes the workspace's context
// files. A failed clone fails the execution at its first pending phase,
// which never starts. A stop request kills the running clone and ends the
// execution as a stop during a phase does.
ExecutionRunner::Step ExecutionRunner::hydrateWorkspace(const ClaimedExecution& execution,
                                                        const PhaseRecord& firstPhase,
                                                        const std::string& directory,
                                                        PromptContext& context,
                                                        const std::atomic<StopRequest>& stop) {
    const Lease& lease = execution.lease;
    workspace::HydratedWorkspace hydrated;
    try {
        // The claim read the columns that loadRepositorySources would query.
        workspace::RepositorySources sources;
        sources.executionId = lease.executionId;
        sources.workflowId = execution.workflowId;
        sources.executionRepos = execution.repos;
        sources.workflowRepos = execution.workflowRepos;
        sources.workflowRepositoryUrl = execution.workflowRepositoryUrl;
        sources.workflowRepositoryRef = execution.workflowRepositoryRef;
        sources.inputs = workspace::parseInputs(execution.inputsJson, lease.executionId);
        workspace::WorkspaceHydrator hydrator(workspace::RepositoryCloner(settings_.git), logger_);
        hydrated = hydrator.hydrate(sources, directory, &stop);
    } catch (const workspace::HydrationError& error) {
        return failPhase(lease, firstPhase, {}, error.what());
    } catch (const workspace::CloneStopped& stopped) {
        return finishStoppedClone(lease, firstPhase, stopped);
    }
    if (!hydrated.repositories.empty()) {
        context.repoUrl = hydrated.repoUrl();
    }
    repositoryEnvironment_ = hydrated.agentEnvironment();
    return Step::next;
}

ExecutionRunner::Step ExecutionRunner::finishStoppedClone(const Lease& lease,
                                                          const PhaseRecord& firstPhase,
                                                          const workspace::CloneStopped& stopped) {
    const std::string repository = stopped.slug().text();
    if (stopped.request() == StopRequest::leaseLost) {
        logLostLease(lease, "cloning " + repository);
        return Step::finished;
    }
    if (stopped.request() == StopRequest::shutdown) {
        if (queue_.release(lease, "runner shutting down")) {
            endedStatus_ = "pending";
            logger_.warning("Released execution %s: cloning %s was stopped by runner shutdown",
                            lease.executionId, repository);
        } else {
            logLostLease(lease, "releasing after cloning " + repository);
        }
        return Step::finished;
    }

    ControlRequests control = queue_.readControl(lease);
    std::string error = "Cancelled by request while cloning " + repository;
    if (!control.reason.empty()) {
        error += ": " + control.reason;
    }
    if (queue_.cancel(lease, firstPhase.phaseId, {}, error)) {
        endedStatus_ = "cancelled";
        logger_.information("Execution %s cancelled while cloning %s; git stopped",
                            lease.executionId, repository);
    } else {
        logLostLease(lease, "cancelling while cloning " + repository);
    }
    return Step::finished;
}

}  // namespace syn
