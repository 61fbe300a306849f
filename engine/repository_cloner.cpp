#include "syn/repository_cloner.h"

#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/Random.h>
#include <Poco/String.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <system_error>

#include "syn/git_process.h"

namespace syn::workspace {
namespace {

namespace fs = std::filesystem;

// A git step that failed; clone() turns it into the CloneError sentence.
class GitStepFailed : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A git step that a stop request killed; clone() turns it into CloneStopped.
struct GitStepStopped {
    StopRequest request;
};

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
    if (from.empty()) {
        return text;
    }
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
        text.replace(at, from.size(), to);
        at += to.size();
    }
    return text;
}

// Picks git's own explanation from its output: the last "fatal:" or "error:"
// lines, else the last non-empty line.
std::string reasonFromOutput(const std::string& output) {
    std::vector<std::string> lines;
    std::vector<std::string> errors;
    std::istringstream stream(output);
    for (std::string line; std::getline(stream, line);) {
        line = Poco::trim(line);
        if (line.empty()) {
            continue;
        }
        lines.push_back(line);
        if (line.starts_with("fatal:") || line.starts_with("error:")) {
            errors.push_back(line);
        }
    }
    const std::vector<std::string>& source = errors.empty() ? lines : errors;
    if (source.empty()) {
        return "";
    }
    std::string reason = source.back();
    if (source.size() > 1) {
        reason = source[source.size() - 2] + "; " + reason;
    }
    return reason;
}

// A commit id as git prints it: 7 to 64 hex digits (SHA-1 or SHA-256).
bool looksLikeCommitId(const std::string& ref) {
    static const std::regex kCommitId("^[0-9a-fA-F]{7,64}$");
    return std::regex_match(ref, kCommitId);
}

bool isFullCommitId(const std::string& ref) {
    return looksLikeCommitId(ref) && (ref.size() == 40 || ref.size() == 64);
}

std::string randomSuffix() {
    Poco::Random random;
    random.seed();
    std::ostringstream suffix;
    suffix << std::hex << random.next() << random.next();
    return suffix.str();
}

std::string readToken(const std::string& path) {
    std::ifstream file(path);
    if (!file) {
        throw Poco::InvalidArgumentException("Reading git.token_file " + path +
                                             " failed: the file cannot be opened; fix its path or "
                                             "permissions, or leave the setting empty");
    }
    std::ostringstream content;
    content << file.rdbuf();
    return Poco::trim(content.str());
}

// Removes partial clones that an earlier, interrupted attempt left behind.
void removeStalePartials(const fs::path& target) {
    const std::string prefix = "." + target.filename().string() + ".partial-";
    std::error_code error;
    for (const fs::directory_entry& entry : fs::directory_iterator(target.parent_path(), error)) {
        if (entry.path().filename().string().starts_with(prefix)) {
            fs::remove_all(entry.path(), error);
        }
    }
}

}  // namespace

CloneStopped::CloneStopped(const RepositorySlug& slug, StopRequest request)
    : std::runtime_error("Cloning " + slug.text() + " was stopped"),
      slug_(slug),
      request_(request) {}

bool isValidSlugPart(const std::string& part) {
    static const std::regex kPart("^[A-Za-z0-9._-]+$");
    return part != "." && part != ".." && std::regex_match(part, kPart);
}

GitSettings gitSettingsFrom(const Poco::Util::AbstractConfiguration& config) {
    GitSettings settings;
    settings.urlTemplate = config.getString("git.url_template", settings.urlTemplate);
    if (settings.urlTemplate.find("{name}") == std::string::npos) {
        throw Poco::InvalidArgumentException("Setting git.url_template '" + settings.urlTemplate +
                                             "' is invalid: it must contain {name}");
    }
    settings.depth = config.getInt("git.depth", settings.depth);
    if (settings.depth < 0) {
        throw Poco::InvalidArgumentException(
            "Setting git.depth is invalid: use 0 for the full history or "
            "a positive number of commits");
    }
    int timeout = config.getInt("git.timeout_seconds", 300);
    if (timeout <= 0) {
        throw Poco::InvalidArgumentException(
            "Setting git.timeout_seconds must be a positive number");
    }
    settings.timeout = std::chrono::seconds(timeout);
    std::string tokenFile = config.getString("git.token_file", "");
    if (!tokenFile.empty()) {
        settings.token = readToken(tokenFile);
    }
    return settings;
}

RepositoryCloner::RepositoryCloner(GitSettings settings) : settings_(std::move(settings)) {}

std::string RepositoryCloner::cloneUrl(const RepositorySlug& slug) const {
    std::string url = replaceAll(settings_.urlTemplate, "{owner}", slug.owner);
    return replaceAll(url, "{name}", slug.name);
}

std::string RepositoryCloner::authorizationHeader() const {
    std::ostringstream encoded;
    Poco::Base64Encoder encoder(encoded);
    encoder.rdbuf()->setLineLength(0);
    encoder << "x-access-token:" << settings_.token;
    encoder.close();
    return "Authorization: Basic " + encoded.str();
}

std::vector<std::string> RepositoryCloner::credentialEnvironment(const std::string& url) const {
    if (settings_.token.empty() || !url.starts_with("https://")) {
        return {};
    }
    // Configuration from the environment applies to this git process only and
    // is never written to the clone's .git/config or shown in its argv.
    return {"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.extraHeader",
            "GIT_CONFIG_VALUE_0=" + authorizationHeader()};
}

std::string RepositoryCloner::scrubSecrets(std::string text) const {
    if (settings_.token.empty()) {
        return text;
    }
    text = replaceAll(std::move(text), authorizationHeader(), "Authorization: ***");
    return replaceAll(std::move(text), settings_.token, "***");
}

void RepositoryCloner::runStep(const std::vector<std::string>& arguments, const std::string& url,
                               const StepLimits& limits) const {
    GitResult result = runGit(arguments, credentialEnvironment(url), limits.deadline, limits.stop);
    if (result.stoppedBy != StopRequest::none) {
        throw GitStepStopped{result.stoppedBy};
    }
    if (result.timedOut) {
        throw GitStepFailed("git timed out after " + std::to_string(settings_.timeout.count()) +
                            " seconds (git.timeout_seconds)");
    }
    if (result.exitCode != 0) {
        std::string reason = reasonFromOutput(result.output);
        if (reason.empty()) {
            reason = "git " + arguments.front() + " exited with status " +
                     std::to_string(result.exitCode);
        }
        throw GitStepFailed(reason);
    }
}

void RepositoryCloner::fetchInto(const std::string& url, const std::optional<std::string>& ref,
                                 const fs::path& directory, const StepLimits& limits) const {
    const std::string path = directory.string();
    const std::string depth = std::to_string(settings_.depth);

    if (ref && isFullCommitId(*ref) && settings_.depth > 0) {
        // A shallow clone cannot reach an arbitrary commit, so fetch that one
        // commit by id into an empty repository.
        runStep({"init", "-q", "--", path}, url, limits);
        runStep({"-C", path, "remote", "add", "origin", url}, url, limits);
        runStep({"-C", path, "fetch", "-q", "--depth", depth, "origin", *ref}, url, limits);
        runStep({"-C", path, "checkout", "-q", "--detach", "FETCH_HEAD"}, url, limits);
        return;
    }
    if (ref && looksLikeCommitId(*ref)) {
        // NOTE: an abbreviated commit id can only be resolved in the full
        // history, so git.depth does not apply to it.
        runStep({"clone", "-q", "--no-checkout", "--", url, path}, url, limits);
        runStep({"-C", path, "checkout", "-q", "--detach", *ref}, url, limits);
        return;
    }

    std::vector<std::string> arguments{"clone", "-q"};
    if (settings_.depth > 0) {
        arguments.insert(arguments.end(), {"--depth", depth});
    }
    if (ref) {
        arguments.insert(arguments.end(), {"--branch", *ref});
    }
    arguments.insert(arguments.end(), {"--", url, path});
    runStep(arguments, url, limits);
}

void RepositoryCloner::clone(const RepositorySlug& slug, const std::optional<std::string>& ref,
                             const fs::path& target, const std::atomic<StopRequest>* stop) const {
    if (!isValidSlugPart(slug.owner) || !isValidSlugPart(slug.name)) {
        throw CloneError("Cloning " + slug.text() +
                         " failed: owner and name must match [A-Za-z0-9._-]+ and must not be "
                         "'.' or '..'");
    }
    if (ref && (ref->empty() || ref->front() == '-')) {
        throw CloneError("Cloning " + slug.text() + " failed: ref '" + *ref +
                         "' is invalid; name a branch, tag or commit id");
    }

    fs::create_directories(target.parent_path());
    removeStalePartials(target);
    const fs::path partial =
        target.parent_path() / ("." + target.filename().string() + ".partial-" + randomSuffix());
    const std::string url = cloneUrl(slug);
    const StepLimits limits{std::chrono::steady_clock::now() + settings_.timeout, stop};

    try {
        fetchInto(url, ref, partial, limits);
    } catch (const GitStepStopped& stopped) {
        std::error_code ignored;
        fs::remove_all(partial, ignored);
        throw CloneStopped(slug, stopped.request);
    } catch (const GitStepFailed& failure) {
        std::error_code ignored;
        fs::remove_all(partial, ignored);
        throw CloneError("Cloning " + slug.text() + " failed: " + scrubSecrets(failure.what()));
    } catch (const std::system_error& failure) {
        std::error_code ignored;
        fs::remove_all(partial, ignored);
        throw CloneError("Cloning " + slug.text() + " failed: " + failure.what() +
                         "; check that git is installed and on the runner's PATH");
    }

    std::error_code error;
    fs::rename(partial, target, error);
    if (error) {
        std::error_code ignored;
        fs::remove_all(partial, ignored);
        // Another runner holding an older lease may have finished the same
        // clone first; its result is as good as ours.
        if (!fs::is_directory(target)) {
            throw CloneError("Cloning " + slug.text() + " failed: renaming the clone to " +
                             target.string() + " failed: " + error.message());
        }
    }
}

}  // namespace syn::workspace
