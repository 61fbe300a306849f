// Runs the phases of one claimed execution, in order, with the agent command.
#pragma once

#include <Poco/Logger.h>

#include <atomic>

#include "syn/agent_process.h"
#include "syn/execution_queue.h"
#include "syn/prompt_renderer.h"
#include "syn/runner_settings.h"

namespace syn {

class ExecutionRunner {
  public:
    ExecutionRunner(ExecutionQueue& queue, const RunnerSettings& settings, Poco::Logger& logger);

    // Runs every phase not yet completed until the execution completes,
    // fails, is cancelled, pauses, is released or the lease is lost. `stop`
    // is set by other threads (cancel, shutdown, lost lease) and kills the
    // running agent; `stopping` makes the runner release the execution at
    // the next phase boundary. Throws pg::Error when the database fails;
    // the lease then lapses and a rescuer re-queues the execution.
    void run(const ClaimedExecution& execution, const std::atomic<StopRequest>& stop,
             const std::atomic<bool>& stopping);

    // Returns the status that run() wrote last (completed, failed, cancelled,
    // paused or pending), or nothing when it lost the lease or threw first.
    const std::optional<std::string>& endedStatus() const { return endedStatus_; }

  private:
    enum class Step { next, finished };

    // `last` makes a successful phase complete the execution in the same write.
    Step runPhase(const ClaimedExecution& execution, const PhaseRecord& phase, bool last,
                  PromptContext& context, const std::string& workspace,
                  const std::atomic<StopRequest>& stop);
    // Acts on a lost lease, shutdown, and `known`: the control requests the
    // caller already read. The phase start reads them again, atomically.
    Step checkBoundary(const Lease& lease, const PhaseRecord& phase,
                       const std::atomic<StopRequest>& stop, const std::atomic<bool>& stopping,
                       const ControlRequests& known);
    Step actOnControl(const Lease& lease, const PhaseRecord& phase, const ControlRequests& control,
                      bool shuttingDown);
    // Returns the hook that stores a running phase's output in the database
    // and its artifact every runner.output_flush_ms, or no hook when that is 0.
    OutputProgress outputProgress(const Lease& lease, const PhaseRecord& phase,
                                  const std::string& workspace);
    // Stores the output so far in the phase row, then in the artifact. Logs
    // why and returns false when no more should be stored for this phase.
    bool storeRunningOutput(const Lease& lease, const PhaseRecord& phase,
                            const std::string& artifact, const std::string& output,
                            bool outputTruncated);
    Step finishStopped(const Lease& lease, const PhaseRecord& phase, const AgentResult& result);
    Step failPhase(const Lease& lease, const PhaseRecord& phase, const PhaseOutcome& outcome,
                   const std::string& error);
    void logLostLease(const Lease& lease, const std::string& during);
    Step hydrateWorkspace(const ClaimedExecution& execution, const PhaseRecord& firstPhase,
                          const std::string& directory, PromptContext& context,
                          const std::atomic<StopRequest>& stop);
    Step finishStoppedClone(const Lease& lease, const PhaseRecord& firstPhase,
                            const workspace::CloneStopped& stopped);
    std::vector<std::string> agentArgv(const PhaseRecord& phase, const std::string& workspace);

    ExecutionQueue& queue_;
    const RunnerSettings& settings_;
    Poco::Logger& logger_;
    std::map<std::string, std::string> repositoryEnvironment_;  // SYN_REPOS for every agent
    std::optional<std::string> endedStatus_;
};

// Builds the rendering context of an execution: task, inputs, ids and the
// first repository's URL.
PromptContext promptContextFor(const ClaimedExecution& execution);

// Describes how an agent ended, for a phase error: "agent exited with code 3: <stderr tail>".
std::string describeAgentEnding(const AgentResult& result);

}  // namespace syn
