// The command groups of synctl. Each returns the process exit code: 0 on
// success, 1 on failure after printing the reason on stderr. A mistake on the
// command line throws UsageError, which main turns into exit code 2.
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace syn::synctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Filters for `execution list`, set by --status, --workflow and --limit.
struct ExecutionFilter {
    std::optional<std::string> status;
    std::optional<std::string> workflowId;
    int limit = 20;
};

// Returns the database URL, reading the config file only when a command
// needs the database.
using DatabaseUrl = std::function<std::string()>;

// `db migrate`, `db status`. `arguments` start after the group name.
int runDatabaseCommand(const std::vector<std::string>& arguments, const DatabaseUrl& databaseUrl);

// `workflow install PATH`, `validate PATH`, `list`, `archive ID`.
int runWorkflowCommand(const std::vector<std::string>& arguments, const DatabaseUrl& databaseUrl);

// `execution list`.
int runExecutionCommand(const std::vector<std::string>& arguments, const ExecutionFilter& filter,
                        const DatabaseUrl& databaseUrl);

// Throws UsageError unless `arguments` (after the command name) has exactly
// `count` entries.
void expectArguments(const std::vector<std::string>& arguments, size_t count,
                     const std::string& usage);

}  // namespace syn::synctl
