// Control of the stack under test: fixtures, the database, the pool processes.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace syn::test {

// Installs tests/fixtures/workflows/<name>.yaml with the built synctl, unless
// a workflow with id `workflowId` is already installed. Throws with synctl's
// output when it fails.
void installFixtureWorkflow(const std::string& name, const std::string& workflowId);

// Runs `scripts/stack db-stop` or `db-start` on the stack under test.
void stopDatabase();
void startDatabase();

// The pool master's pid, from the state directory.
pid_t poolMasterPid();
// The pids of the master's live child processes, sorted.
std::vector<pid_t> poolWorkerPids();

// Runs argv with the environment inherited; returns the exit status and puts
// stdout and stderr together into `output`.
int runCommand(const std::vector<std::string>& argv, std::string& output);

}  // namespace syn::test
