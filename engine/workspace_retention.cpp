#include "syn/workspace_retention.h"

#include <Poco/Exception.h>

#include <algorithm>
#include <map>
#include <regex>

namespace syn::workspace {
namespace {

namespace fs = std::filesystem;

constexpr double kSecondsPerDay = 86400;

bool isExecutionId(const std::string& name) {
    static const std::regex kExecutionId("^exec-[0-9a-f]{12}$");
    return std::regex_match(name, kExecutionId);
}

int readDays(const Poco::Util::AbstractConfiguration& config, const std::string& key,
             int defaultDays) {
    int days = config.getInt(key, defaultDays);
    if (days < 0) {
        throw Poco::InvalidArgumentException("Setting " + key +
                                             " must be 0 or a positive number of days");
    }
    return days;
}

std::string formatDays(double seconds) {
    return std::to_string(static_cast<long long>(seconds / kSecondsPerDay));
}

double secondsSinceModified(const fs::path& path) {
    auto age = fs::file_time_type::clock::now() - fs::last_write_time(path);
    return std::chrono::duration<double>(age).count();
}

// Fills in status and end time for the records whose execution the database has.
void loadStatuses(pg::Connection& connection, std::vector<WorkspaceRecord>& records) {
    std::vector<std::string> ids;
    for (const WorkspaceRecord& record : records) {
        ids.push_back(record.executionId);
    }
    pg::Result result = connection.execute(
        "select id, status, extract(epoch from now() - completed_at)::float8 "
        "from syn.executions where id = any($1::text[])",
        {pg::arrayLiteral(ids)});

    std::map<std::string, int> rowById;
    for (int row = 0; row < result.rows(); ++row) {
        rowById[std::string(result.text(row, 0))] = row;
    }
    for (WorkspaceRecord& record : records) {
        auto found = rowById.find(record.executionId);
        if (found == rowById.end()) {
            continue;
        }
        record.known = true;
        record.status = std::string(result.text(found->second, 1));
        if (!result.isNull(found->second, 2)) {
            record.endedSecondsAgo = std::stod(std::string(result.text(found->second, 2)));
        }
    }
}

}  // namespace

std::optional<int> RetentionPolicy::keepDays(const std::string& status) const {
    if (status == "completed" || status == "cancelled") {
        return keepCompletedDays;
    }
    if (status == "failed") {
        return keepFailedDays;
    }
    return std::nullopt;
}

int RetentionPolicy::longestDays() const {
    return std::max(keepCompletedDays, keepFailedDays);
}

RetentionPolicy retentionPolicyFrom(const Poco::Util::AbstractConfiguration& config) {
    RetentionPolicy policy;
    policy.keepCompletedDays =
        readDays(config, "workspace.keep_completed_days", policy.keepCompletedDays);
    policy.keepFailedDays = readDays(config, "workspace.keep_failed_days", policy.keepFailedDays);
    return policy;
}

bool applyRetentionAtEnd(const fs::path& workspace, const std::string& executionId,
                         const std::string& status, const RetentionPolicy& policy,
                         Poco::Logger& logger) {
    std::optional<int> days = policy.keepDays(status);
    if (!days) {
        return false;
    }
    std::error_code missing;
    if (!fs::exists(workspace, missing)) {
        return false;  // never created, e.g. when the workspace root is not writable
    }
    if (*days > 0) {
        logger.information("Keeping the workspace of execution %s (%s) for %d days at %s",
                           executionId, status, *days, workspace.string());
        return false;
    }
    std::error_code error;
    fs::remove_all(workspace, error);
    if (error) {
        logger.error(
            "Deleting the workspace %s of execution %s failed: %s; "
            "synctl workspace prune retries it",
            workspace.string(), executionId, error.message());
        return false;
    }
    logger.information("Deleted the workspace of execution %s (%s)", executionId, status);
    return true;
}

void applyRetentionAfterRun(pg::Connection& connection, const fs::path& workspace,
                            const std::string& executionId, const RetentionPolicy& policy,
                            Poco::Logger& logger) {
    pg::Result result =
        connection.execute("select status from syn.executions where id = $1", {executionId});
    if (result.rows() == 1) {
        applyRetentionAtEnd(workspace, executionId, std::string(result.text(0, 0)), policy, logger);
    }
}

std::optional<std::string> pruneReason(const WorkspaceRecord& record,
                                       const RetentionPolicy& policy) {
    if (!record.known) {
        double limit = policy.longestDays() * kSecondsPerDay;
        if (record.modifiedSecondsAgo < limit) {
            return std::nullopt;
        }
        return "execution " + record.executionId + " is not in the database and the directory " +
               "was last modified " + formatDays(record.modifiedSecondsAgo) + " days ago";
    }

    std::optional<int> days = policy.keepDays(record.status);
    if (!days || record.endedSecondsAgo < 0 || record.endedSecondsAgo < *days * kSecondsPerDay) {
        return std::nullopt;
    }
    return "execution " + record.executionId + " ended " + record.status + " " +
           formatDays(record.endedSecondsAgo) + " days ago and " + record.status +
           " workspaces are kept " + std::to_string(*days) + " days";
}

std::vector<ExpiredWorkspace> findExpiredWorkspaces(pg::Connection& connection,
                                                    const fs::path& root,
                                                    const RetentionPolicy& policy) {
    std::vector<WorkspaceRecord> records;
    for (const fs::directory_entry& entry : fs::directory_iterator(root)) {
        const std::string name = entry.path().filename().string();
        // A symbolic link is skipped so that pruning never deletes outside the root.
        if (!isExecutionId(name) || entry.is_symlink() || !entry.is_directory()) {
            continue;
        }
        WorkspaceRecord record;
        record.path = entry.path();
        record.executionId = name;
        record.modifiedSecondsAgo = secondsSinceModified(entry.path());
        records.push_back(record);
    }
    if (records.empty()) {
        return {};
    }
    loadStatuses(connection, records);

    std::vector<ExpiredWorkspace> expired;
    for (const WorkspaceRecord& record : records) {
        if (std::optional<std::string> reason = pruneReason(record, policy)) {
            expired.push_back({record.path, *reason});
        }
    }
    std::sort(expired.begin(), expired.end(),
              [](const auto& left, const auto& right) { return left.path < right.path; });
    return expired;
}

}  // namespace syn::workspace
