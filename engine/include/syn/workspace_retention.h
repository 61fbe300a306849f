// How long the workspace of an ended execution is kept, and the pruning of
// workspaces whose time is up. A workspace is <runner.workspace_root>/<execution id>.
#pragma once

#include <Poco/Logger.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "syn/pg.h"

namespace syn::workspace {

struct RetentionPolicy {
    int keepCompletedDays = 0;  // completed and cancelled executions; 0 deletes at once
    int keepFailedDays = 7;

    // Returns the days a workspace of an execution in `status` is kept, or
    // nothing while the execution has not ended (pending, running, paused).
    std::optional<int> keepDays(const std::string& status) const;

    // Returns the longest period, applied to workspaces whose execution the
    // database does not know.
    int longestDays() const;
};

// Reads workspace.keep_completed_days and workspace.keep_failed_days. Throws
// Poco::InvalidArgumentException naming the setting when a value is negative.
RetentionPolicy retentionPolicyFrom(const Poco::Util::AbstractConfiguration& config);

// Deletes `workspace` of an execution that just ended in `status` when the
// policy keeps it zero days, and otherwise logs that it is kept. A workspace
// that does not exist is left alone. Returns true when it was deleted. A deletion
// error is logged, not thrown, because the execution's result remains valid and
// `synctl workspace prune` retries later.
bool applyRetentionAtEnd(const std::filesystem::path& workspace, const std::string& executionId,
                         const std::string& status, const RetentionPolicy& policy,
                         Poco::Logger& logger);

// Reads the status of the execution that a runner just stopped working on
// and, when it has ended, applies applyRetentionAtEnd to its workspace.
// Throws pg::Error when the status cannot be read.
void applyRetentionAfterRun(pg::Connection& connection, const std::filesystem::path& workspace,
                            const std::string& executionId, const RetentionPolicy& policy,
                            Poco::Logger& logger);

// The facts about one workspace directory that decide whether to prune it.
struct WorkspaceRecord {
    std::filesystem::path path;
    std::string executionId;
    bool known = false;             // the database has the execution
    std::string status;             // when known
    double endedSecondsAgo = -1;    // when known and ended; -1 otherwise
    double modifiedSecondsAgo = 0;  // the directory's modification time
};

// Returns the reason to delete the workspace, or nothing to keep it.
std::optional<std::string> pruneReason(const WorkspaceRecord& record,
                                       const RetentionPolicy& policy);

struct ExpiredWorkspace {
    std::filesystem::path path;
    std::string reason;
};

// Lists the directories under `root` named like an execution id whose
// workspace the policy no longer keeps. Other entries are never touched.
std::vector<ExpiredWorkspace> findExpiredWorkspaces(pg::Connection& connection,
                                                    const std::filesystem::path& root,
                                                    const RetentionPolicy& policy);

}  // namespace syn::workspace
