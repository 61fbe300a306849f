// The runner.* settings, read once at start-up and checked.
#pragma once

#include <Poco/Util/AbstractConfiguration.h>

#include <string>
#include <vector>

#include "syn/agent_process.h"
#include "syn/repository_cloner.h"
#include "syn/workspace_retention.h"

namespace syn {

struct RunnerSettings {
    std::string runnerId;  // host:pid unless runner.id is set
    int slots = 4;
    std::vector<std::string> workflows;  // claimed workflow ids; empty for every workflow
    int pollIntervalMs = 2000;
    bool notifications = true;  // LISTEN for queued executions, besides polling
    int leaseSeconds = 30;
    int heartbeatSeconds = 10;
    int maxAttempts = 3;
    int shutdownGraceSeconds = 30;
    std::vector<std::string> agentCommand;  // with {model}, {phase_id}, {workspace} unexpanded
    std::string defaultModel;
    std::string workspaceRoot;
    AgentLimits limits;  // timeout is per phase and set when the phase starts
    // How often the output of a running phase is stored. 0 stores it at the phase end only.
    std::chrono::milliseconds outputFlushInterval{1000};
    // Cloning (git.*) and how long workspaces are kept (workspace.keep_*_days).
    workspace::GitSettings git;
    workspace::RetentionPolicy retention;
};

// Reads and validates the runner.* keys. Throws Poco::InvalidArgumentException
// naming the key and the expected form when a value is invalid.
RunnerSettings readRunnerSettings(const Poco::Util::AbstractConfiguration& config);

// Parses runner.workflows: workflow ids separated by commas, blanks around
// them ignored; "" gives an empty list. Throws Poco::InvalidArgumentException
// naming the first invalid id.
std::vector<std::string> parseWorkflowList(const std::string& text);

// Parses a JSON array of strings such as ["claude", "-p"]. Throws
// Poco::InvalidArgumentException when the text is not one.
std::vector<std::string> parseAgentCommand(const std::string& json);

}  // namespace syn
