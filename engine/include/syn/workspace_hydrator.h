// Prepares an execution's workspace before its first phase: decides which
// repositories it needs, clones each once into <workspace>/repos/, and
// writes the AGENTS.md and CLAUDE.md that point agents at their instructions.
#pragma once

#include <Poco/Logger.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "syn/pg.h"
#include "syn/repository_cloner.h"

namespace syn::workspace {

// The repository columns of an execution and of its workflow.
struct RepositorySources {
    std::string executionId;
    std::string workflowId;
    std::vector<std::string> executionRepos;           // the request's slugs; win when not empty
    std::vector<std::string> workflowRepos;            // slugs or GitHub URLs
    std::optional<std::string> workflowRepositoryUrl;  // may contain {{input}} placeholders
    std::optional<std::string> workflowRepositoryRef;  // checked out in every repository
    std::map<std::string, std::string> inputs;         // the execution's merged inputs
};

// One repository to clone and the directory under <workspace>/repos it gets.
struct PlannedRepository {
    RepositorySlug slug;
    std::string directory;
};

struct ClonedRepository {
    RepositorySlug slug;
    std::filesystem::path path;  // absolute
    bool reused = false;         // true when an earlier attempt had completed the clone
};

struct HydratedWorkspace {
    std::vector<ClonedRepository> repositories;

    // Returns the value of {{repo_url}}: the first repository's absolute
    // path, or an empty string when the execution has no repository.
    std::string repoUrl() const;

    // Returns the variables the agent gets: SYN_REPOS, one absolute path per
    // line in clone order, empty when there is no repository.
    std::map<std::string, std::string> agentEnvironment() const;
};

// The failure recorded as the execution's error; no phase runs after it.
class HydrationError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Reads the execution's repos and inputs and its workflow's repository
// columns. Throws HydrationError when the execution does not exist.
RepositorySources loadRepositorySources(pg::Connection& connection, const std::string& executionId);

// Parses an execution's merged inputs, a JSON object as text. Throws
// HydrationError naming the execution when the text is not one.
std::map<std::string, std::string> parseInputs(const std::string& json,
                                               const std::string& executionId);

// Parses "owner/name" or an http(s)://github.com/owner/name URL (optional
// ".git" and trailing "/"). Returns nothing when `entry` is neither, or when a
// part could escape a directory.
std::optional<RepositorySlug> parseRepositoryEntry(const std::string& entry);

// Replaces {{name}} (spaces inside the braces allowed) with the input's
// value. Throws HydrationError naming a placeholder that has no input.
std::string substituteInputs(const std::string& text,
                             const std::map<std::string, std::string>& inputs,
                             const std::string& workflowId);

// Chooses the repositories: the execution's repos when there are any, else
// the workflow's repos, else its repository URL with inputs substituted.
// Duplicates (owner and name compared without case) are cloned once. Each
// gets repos/<name>, or repos/<owner>-<name> when several share a name.
// Throws HydrationError on an entry that is not a valid repository.
std::vector<PlannedRepository> planRepositories(const RepositorySources& sources);

class WorkspaceHydrator {
  public:
    WorkspaceHydrator(RepositoryCloner cloner, Poco::Logger& logger);

    // Clones every planned repository that `workspace`/repos does not hold
    // yet, then writes the context files. Throws HydrationError, with the
    // CloneError sentence for a failed clone, when any step fails. When
    // `stop` is given and becomes anything but none, the running clone is
    // killed and deleted, and CloneStopped names the repository and the
    // request. Clones completed before it stay for a later attempt.
    HydratedWorkspace hydrate(const RepositorySources& sources,
                              const std::filesystem::path& workspace,
                              const std::atomic<StopRequest>* stop = nullptr) const;

  private:
    RepositoryCloner cloner_;
    Poco::Logger& logger_;
};

}  // namespace syn::workspace
