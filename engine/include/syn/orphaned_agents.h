// Processes that an agent left running after its runner died: PR_SET_PDEATHSIG
// kills the agent itself, but not its children.
#pragma once

#include <Poco/Logger.h>

#include <string>
#include <vector>

namespace syn {

// Sends SIGKILL to every process on this host whose environment contains
// SYN_EXECUTION_ID=<id> for one of `executionIds`, and to its process group
// when the group belongs to that execution's agent. The runner puts that
// variable into every agent's environment and children inherit it. Processes
// whose /proc/<pid>/environ cannot be read (another user's) and the calling
// process are skipped. Logs each kill; returns how many processes were found.
//
// Call it only for executions that no live runner holds, because it kills
// their agents wherever they came from.
int killOrphanedAgents(const std::vector<std::string>& executionIds, Poco::Logger& logger);

}  // namespace syn
