// Clones one repository into a workspace with git: shallow when configured,
// at a branch, tag or commit, with a deadline, with a stop request that
// interrupts it, and with the HTTPS token handed to git through its
// environment only.
#pragma once

#include <Poco/Util/AbstractConfiguration.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "syn/agent_process.h"

namespace syn::workspace {

// A GitHub-style repository name. Both parts match [A-Za-z0-9._-]+ and
// neither is "." or "..", so neither can leave the directory it is joined to.
struct RepositorySlug {
    std::string owner;
    std::string name;

    std::string text() const { return owner + "/" + name; }
};

// Returns true when `part` is a valid owner or repository name.
bool isValidSlugPart(const std::string& part);

// A clone that failed or timed out. what() is the sentence recorded as the
// execution's error: "Cloning acme/widgets failed: <git's reason>".
class CloneError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A clone that a stop request interrupted; its partial clone is already
// deleted. what() is "Cloning acme/widgets was stopped".
class CloneStopped : public std::runtime_error {
  public:
    CloneStopped(const RepositorySlug& slug, StopRequest request);

    const RepositorySlug& slug() const { return slug_; }
    StopRequest request() const { return request_; }

  private:
    RepositorySlug slug_;
    StopRequest request_;
};

struct GitSettings {
    std::string urlTemplate = "https://github.com/{owner}/{name}.git";
    int depth = 1;  // commits of history; 0 for the full history
    std::chrono::seconds timeout{300};
    std::string token;  // HTTPS token for https:// clone URLs; empty for none
};

// Reads git.url_template, git.depth, git.timeout_seconds and the token in
// git.token_file (surrounding whitespace removed). Throws
// Poco::InvalidArgumentException naming the setting when a value is invalid
// or the token file is unreadable.
GitSettings gitSettingsFrom(const Poco::Util::AbstractConfiguration& config);

class RepositoryCloner {
  public:
    explicit RepositoryCloner(GitSettings settings);

    // Returns git.url_template with {owner} and {name} replaced.
    std::string cloneUrl(const RepositorySlug& slug) const;

    // Returns the variables that give git the token as an Authorization
    // header for `url`: none unless a token is set and the URL is https.
    std::vector<std::string> credentialEnvironment(const std::string& url) const;

    // Clones `slug` into `target`, checked out at `ref` (a branch, tag or
    // commit id) when given, else at the remote's default branch. git writes
    // into a hidden sibling directory that is renamed to `target` only when
    // every step succeeded, so an existing `target` is always a complete
    // clone. Throws CloneError with git's reason, the token removed, after
    // deleting the partial clone. When `stop` is given and becomes anything
    // but none, git's process group is killed within about 50 ms and
    // CloneStopped is thrown after deleting the partial clone.
    void clone(const RepositorySlug& slug, const std::optional<std::string>& ref,
               const std::filesystem::path& target,
               const std::atomic<StopRequest>* stop = nullptr) const;

    // Replaces the token and its encoded header form in `text` with "***".
    std::string scrubSecrets(std::string text) const;

  private:
    // When a step must end: the clone's deadline and the caller's stop request.
    struct StepLimits {
        std::chrono::steady_clock::time_point deadline;
        const std::atomic<StopRequest>* stop = nullptr;
    };

    void fetchInto(const std::string& url, const std::optional<std::string>& ref,
                   const std::filesystem::path& directory, const StepLimits& limits) const;
    void runStep(const std::vector<std::string>& arguments, const std::string& url,
                 const StepLimits& limits) const;
    std::string authorizationHeader() const;

    GitSettings settings_;
};

}  // namespace syn::workspace
