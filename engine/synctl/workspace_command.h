// `synctl workspace prune [--dry-run]`: deletes the workspaces that the
// retention policy no longer keeps.
#pragma once

#include <string>
#include <vector>

#include "commands.h"

namespace syn::synctl {

// `workspace prune`. Reads runner.workspace_root and the workspace.* retention
// settings from `configPath` and the environment, queries the database for how each
// execution ended, and prints one line per deleted (or, with `dryRun`, expired)
// workspace. Returns kExitFailure when a deletion failed.
int runWorkspaceCommand(const std::vector<std::string>& arguments, bool dryRun,
                        const DatabaseUrl& databaseUrl, const std::string& configPath);

}  // namespace syn::synctl
