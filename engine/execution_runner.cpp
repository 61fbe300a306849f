#include "syn/execution_runner.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <string.h>

#include <filesystem>
#include <fstream>

#include "syn/utf8.h"

namespace syn {

namespace {

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
    size_t at = 0;
    while ((at = text.find(from, at)) != std::string::npos) {
        text.replace(at, from.size(), to);
        at += to.size();
    }
    return text;
}

std::string trimmed(std::string text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.pop_back();
    }
    size_t start = text.find_first_not_of(" \t\r\n");
    return start == std::string::npos ? "" : text.substr(start);
}

// Creates the workspace and its artifacts folder; returns the error text, empty on success.
std::string createWorkspace(const std::filesystem::path& workspace) {
    std::error_code error;
    std::filesystem::create_directories(workspace / "artifacts", error);
    return error ? error.message() : "";
}

std::string writeArtifact(const std::filesystem::path& file, const std::string& output) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << output;
    out.close();
    return out ? "" : std::string(strerror(errno));
}

std::filesystem::path artifactPath(const std::string& workspace, const std::string& phaseId) {
    return std::filesystem::path(workspace) / "artifacts" / (phaseId + ".md");
}

}  // namespace

PromptContext promptContextFor(const ClaimedExecution& execution) {
    PromptContext context;
    context.task = execution.task;
    context.executionId = execution.lease.executionId;
    context.workflowId = execution.workflowId;
    context.repoUrl = execution.repos.empty() ? "" : repositoryUrl(execution.repos.front());

    Poco::JSON::Object::Ptr inputs =
        Poco::JSON::Parser().parse(execution.inputsJson).extract<Poco::JSON::Object::Ptr>();
    for (const auto& [name, value] : *inputs) {
        context.inputs[name] = value.isEmpty() ? "" : value.toString();
    }
    return context;
}

std::string describeAgentEnding(const AgentResult& result) {
    std::string text;
    switch (result.ending) {
        case AgentResult::Ending::exited:
            text = "agent exited with code " + std::to_string(result.exitCode);
            break;
        case AgentResult::Ending::signaled:
            text = "agent was killed by signal " + std::to_string(result.signal) + " (" +
                   strsignal(result.signal) + ")";
            break;
        case AgentResult::Ending::leftProcesses:
            text = "agent exited with code " + std::to_string(result.exitCode) +
                   " but left processes running in its process group; they were killed";
            break;
        case AgentResult::Ending::timedOut:
        case AgentResult::Ending::stopped:
            text = "agent was stopped by the runner";
            break;
    }
    std::string tail = trimmed(result.stderrTail);
    return tail.empty() ? text : text + ": " + tail;
}

ExecutionRunner::ExecutionRunner(ExecutionQueue& queue, const RunnerSettings& settings,
                                 Poco::Logger& logger)
    : queue_(queue), settings_(settings), logger_(logger) {}

void ExecutionRunner::run(const ClaimedExecution& execution, const std::atomic<StopRequest>& stop,
                          const std::atomic<bool>& stopping) {
    const Lease& lease = execution.lease;
    logger_.information("Running execution %s of workflow %s (attempt %d)", lease.executionId,
                        execution.workflowId, execution.attempts);

    const std::vector<PhaseRecord>& phases = execution.phases;
    PromptContext context = promptContextFor(execution);
    for (const PhaseRecord& phase : phases) {
        if (phase.status == "completed") {
            context.phaseOutputs[phase.phaseId] = phase.output.value_or("");
        }
    }

    std::filesystem::path workspace =
        std::filesystem::path(settings_.workspaceRoot) / lease.executionId;
    std::string workspaceError = createWorkspace(workspace);
    // The claim read the control requests; every phase start reads them again.
    ControlRequests known = execution.control;
    for (const PhaseRecord& phase : phases) {
        if (phase.status == "completed") {
            continue;
        }
        if (!workspaceError.empty()) {
            failPhase(lease, phase, {},
                      "Workspace " + workspace.string() + " for execution " + lease.executionId +
                          " could not be created: " + workspaceError +
                          "; check runner.workspace_root and its permissions");
            return;
        }
        if (checkBoundary(lease, phase, stop, stopping, known) == Step::finished) {
            return;
        }
        known = {true, false, false, ""};
        // Before the first phase: hydrate the workspace. A clone may take
        // minutes, so shutdown is checked again once it is done.
        if (repositoryEnvironment_.empty()) {
            if (hydrateWorkspace(execution, phase, workspace.string(), context, stop) ==
                    Step::finished ||
                checkBoundary(lease, phase, stop, stopping, known) == Step::finished) {
                return;
            }
        }
        bool last = &phase == &phases.back();
        if (runPhase(execution, phase, last, context, workspace.string(), stop) == Step::finished) {
            return;
        }
    }

    // Reached only when no phase was left to run; the last phase completes
    // the execution itself otherwise.
    if (queue_.complete(lease)) {
        endedStatus_ = "completed";
        logger_.information("Execution %s completed", lease.executionId);
    } else {
        logLostLease(lease, "completing");
    }
}

ExecutionRunner::Step ExecutionRunner::checkBoundary(const Lease& lease, const PhaseRecord& phase,
                                                     const std::atomic<StopRequest>& stop,
                                                     const std::atomic<bool>& stopping,
                                                     const ControlRequests& known) {
    if (stop.load() == StopRequest::leaseLost) {
        logLostLease(lease, "before phase " + phase.phaseId);
        return Step::finished;
    }
    bool shuttingDown = stopping.load() || stop.load() == StopRequest::shutdown;
    // A cancel or pause requested meanwhile wins over the release at shutdown.
    ControlRequests control = shuttingDown ? queue_.readControl(lease) : known;
    return actOnControl(lease, phase, control, shuttingDown);
}

ExecutionRunner::Step ExecutionRunner::actOnControl(const Lease& lease, const PhaseRecord& phase,
                                                    const ControlRequests& control,
                                                    bool shuttingDown) {
    if (!control.leaseHeld) {
        logLostLease(lease, "before phase " + phase.phaseId);
        return Step::finished;
    }
    if (control.cancel) {
        std::string error = "Cancelled by request during phase " + phase.phaseId;
        if (!control.reason.empty()) {
            error += ": " + control.reason;
        }
        if (queue_.cancel(lease, phase.phaseId, {}, error)) {
            endedStatus_ = "cancelled";
            logger_.information("Execution %s cancelled before phase %s", lease.executionId,
                                phase.phaseId);
        }
        return Step::finished;
    }
    if (control.pause) {
        if (queue_.pause(lease, phase.phaseId)) {
            endedStatus_ = "paused";
            logger_.information("Execution %s paused before phase %s", lease.executionId,
                                phase.phaseId);
        }
        return Step::finished;
    }
    if (shuttingDown) {
        if (queue_.release(lease, "runner shutting down")) {
            endedStatus_ = "pending";
            logger_.information("Released execution %s before phase %s: runner shutting down",
                                lease.executionId, phase.phaseId);
        }
        return Step::finished;
    }
    return Step::next;
}

std::vector<std::string> ExecutionRunner::agentArgv(const PhaseRecord& phase,
                                                    const std::string& workspace) {
    std::string model = phase.model.value_or(settings_.defaultModel);
    std::vector<std::string> argv;
    for (const std::string& item : settings_.agentCommand) {
        // One expansion per placeholder in a fixed order; values are not re-expanded
        // unless a model name itself contains "{phase_id}" or "{workspace}".
        std::string expanded = replaceAll(item, "{model}", model);
        expanded = replaceAll(expanded, "{phase_id}", phase.phaseId);
        argv.push_back(replaceAll(expanded, "{workspace}", workspace));
    }
    return argv;
}

ExecutionRunner::Step ExecutionRunner::runPhase(const ClaimedExecution& execution,
                                                const PhaseRecord& phase, bool last,
                                                PromptContext& context,
                                                const std::string& workspace,
                                                const std::atomic<StopRequest>& stop) {
    const Lease& lease = execution.lease;
    std::string prompt = renderPrompt(phase.promptTemplate, context);
    PhaseStart start = queue_.startPhase(lease, phase.phaseId, prompt);
    if (!start.started) {
        // Either the lease is gone or a cancel or pause arrived since the boundary check.
        return actOnControl(lease, phase, start.control, false);
    }
    logger_.information("Execution %s: phase %s started", lease.executionId, phase.phaseId);
    logger_.debug("Execution %s: phase %s prompt:\n%s", lease.executionId, phase.phaseId, prompt);

    AgentLaunch launch;
    launch.argv = agentArgv(phase, workspace);
    launch.workingDirectory = workspace;
    launch.input = prompt;
    launch.environment = {{"SYN_EXECUTION_ID", lease.executionId},
                          {"SYN_WORKFLOW_ID", execution.workflowId},
                          {"SYN_PHASE_ID", phase.phaseId},
                          {"SYN_WORKSPACE", workspace}};
    launch.environment.insert(repositoryEnvironment_.begin(), repositoryEnvironment_.end());
    AgentLimits limits = settings_.limits;
    limits.timeout = std::chrono::seconds(phase.timeoutSeconds);

    AgentResult result;
    try {
        AgentProcess agent(launch);
        result = agent.wait(limits, stop, outputProgress(lease, phase, workspace));
    } catch (const AgentStartError& error) {
        return failPhase(lease, phase, {}, "Phase " + phase.phaseId + " failed: " + error.what());
    }

    PhaseOutcome outcome{result.output, result.outputTruncated, std::nullopt};
    if (result.ending == AgentResult::Ending::exited ||
        result.ending == AgentResult::Ending::leftProcesses) {
        outcome.exitCode = result.exitCode;
    }
    if (result.ending == AgentResult::Ending::stopped) {
        return finishStopped(lease, phase, result);
    }
    if (result.ending == AgentResult::Ending::timedOut) {
        std::string error = "Phase " + phase.phaseId + " timed out after " +
                            std::to_string(phase.timeoutSeconds) + " s";
        // A prompt larger than the pipe's buffer shows whether the agent read it.
        if (result.inputAccepted < result.inputBytes) {
            error += "; the agent did not read its prompt from stdin (" +
                     std::to_string(result.inputAccepted) + " of " +
                     std::to_string(result.inputBytes) + " bytes taken)";
        }
        return failPhase(lease, phase, outcome, error);
    }
    if (result.ending != AgentResult::Ending::exited || result.exitCode != 0) {
        return failPhase(lease, phase, outcome,
                         "Phase " + phase.phaseId + " failed: " + describeAgentEnding(result));
    }

    std::filesystem::path artifact = artifactPath(workspace, phase.phaseId);
    std::string artifactError = writeArtifact(artifact, result.output);
    if (!artifactError.empty()) {
        return failPhase(lease, phase, outcome,
                         "Phase " + phase.phaseId + " failed: writing " + artifact.string() +
                             " failed: " + artifactError);
    }
    if (!queue_.completePhase(lease, phase.phaseId, outcome, last)) {
        logLostLease(lease, "completing phase " + phase.phaseId);
        return Step::finished;
    }
    logger_.information("Execution %s: phase %s completed (%z bytes of output)", lease.executionId,
                        phase.phaseId, result.output.size());
    if (last) {
        endedStatus_ = "completed";
        logger_.information("Execution %s completed", lease.executionId);
        return Step::finished;
    }
    // The stored text, as a rescued execution would read it back, so that
    // the next prompt is the same either way and PostgreSQL accepts it.
    context.phaseOutputs[phase.phaseId] = toStorableText(result.output);
    return Step::next;
}

OutputProgress ExecutionRunner::outputProgress(const Lease& lease, const PhaseRecord& phase,
                                               const std::string& workspace) {
    OutputProgress progress;
    if (settings_.outputFlushInterval.count() == 0) {
        return progress;
    }
    progress.interval = settings_.outputFlushInterval;
    progress.hook = [this, &lease, &phase, artifact = artifactPath(workspace, phase.phaseId)](
                        const std::string& output, bool outputTruncated) {
        return storeRunningOutput(lease, phase, artifact.string(), output, outputTruncated);
    };
    return progress;
}

bool ExecutionRunner::storeRunningOutput(const Lease& lease, const PhaseRecord& phase,
                                         const std::string& artifact, const std::string& output,
                                         bool outputTruncated) {
    // This runs on the agent's wait loop. A write that waits for a lock gives
    // up after 500 ms and ends streaming for the phase.
    // NOTE: a database server that stops responding at all still delays the
    // agent's cancel and timeout until libpq returns.
    // A character that a read from the pipe splits is stored as U+FFFD until
    // the next write brings its remaining bytes.
    try {
        if (!queue_.storeRunningOutput(lease, phase.phaseId, output, outputTruncated)) {
            logger_.information(
                "Execution %s: stopped storing the output of phase %s while it runs, because "
                "the lease was lost or the phase no longer runs",
                lease.executionId, phase.phaseId);
            return false;
        }
    } catch (const pg::Error& error) {
        logger_.warning(
            "Execution %s: storing the output of running phase %s failed: %s; no more is "
            "stored until the phase ends",
            lease.executionId, phase.phaseId, std::string(error.what()));
        return false;
    }
    std::string artifactError = writeArtifact(artifact, output);
    if (!artifactError.empty()) {
        logger_.warning(
            "Execution %s: writing %s for running phase %s failed: %s; no more output is "
            "stored until the phase ends",
            lease.executionId, artifact, phase.phaseId, artifactError);
        return false;
    }
    return true;
}

ExecutionRunner::Step ExecutionRunner::finishStopped(const Lease& lease, const PhaseRecord& phase,
                                                     const AgentResult& result) {
    PhaseOutcome outcome{result.output, result.outputTruncated, std::nullopt};
    if (result.stoppedBy == StopRequest::leaseLost) {
        logLostLease(lease, "phase " + phase.phaseId);
        return Step::finished;
    }
    if (result.stoppedBy == StopRequest::shutdown) {
        if (queue_.release(lease, "runner shutting down")) {
            endedStatus_ = "pending";
            logger_.warning("Released execution %s: phase %s was stopped by runner shutdown",
                            lease.executionId, phase.phaseId);
        }
        return Step::finished;
    }

    ControlRequests control = queue_.readControl(lease);
    std::string error = "Cancelled by request during phase " + phase.phaseId;
    if (!control.reason.empty()) {
        error += ": " + control.reason;
    }
    if (queue_.cancel(lease, phase.phaseId, outcome, error)) {
        endedStatus_ = "cancelled";
        logger_.information("Execution %s cancelled during phase %s; agent stopped",
                            lease.executionId, phase.phaseId);
    } else {
        logLostLease(lease, "cancelling phase " + phase.phaseId);
    }
    return Step::finished;
}

ExecutionRunner::Step ExecutionRunner::failPhase(const Lease& lease, const PhaseRecord& phase,
                                                 const PhaseOutcome& outcome,
                                                 const std::string& error) {
    if (queue_.failPhase(lease, phase.phaseId, outcome, error)) {
        endedStatus_ = "failed";
        logger_.warning("Execution %s failed: %s", lease.executionId, error);
    } else {
        logLostLease(lease, "failing phase " + phase.phaseId);
    }
    return Step::finished;
}

void ExecutionRunner::logLostLease(const Lease& lease, const std::string& during) {
    logger_.warning(
        "Lost the lease on execution %s (%s); abandoning it without further writes, another "
        "runner owns or rescues it",
        lease.executionId, during);
}

}  // namespace syn
