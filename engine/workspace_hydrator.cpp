#include "syn/workspace_hydrator.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>

#include <regex>
#include <set>

#include "syn/repository.h"
#include "syn/workspace_context.h"

namespace syn::workspace {
namespace {

namespace fs = std::filesystem;

std::string lowerCase(std::string text) {
    return Poco::toLower(text);
}

// The entries the execution or its workflow names, before parsing.
std::vector<std::string> chooseEntries(const RepositorySources& sources) {
    if (!sources.executionRepos.empty()) {
        return sources.executionRepos;
    }
    if (!sources.workflowRepos.empty()) {
        return sources.workflowRepos;
    }
    if (!sources.workflowRepositoryUrl) {
        return {};
    }
    std::string url = Poco::trim(
        substituteInputs(*sources.workflowRepositoryUrl, sources.inputs, sources.workflowId));
    // A URL built only from an optional input that was left empty names no repository.
    if (url.empty()) {
        return {};
    }
    return {url};
}

const char* describeStopRequest(StopRequest request) {
    switch (request) {
        case StopRequest::cancel:
            return "a cancel request";
        case StopRequest::shutdown:
            return "runner shutdown";
        case StopRequest::leaseLost:
            return "the lost lease";
        case StopRequest::none:
            break;
    }
    return "no request";
}

}  // namespace

std::string HydratedWorkspace::repoUrl() const {
    return repositories.empty() ? "" : repositories.front().path.string();
}

std::map<std::string, std::string> HydratedWorkspace::agentEnvironment() const {
    std::string paths;
    for (const ClonedRepository& repository : repositories) {
        paths += (paths.empty() ? "" : "\n") + repository.path.string();
    }
    return {{"SYN_REPOS", paths}};
}

std::map<std::string, std::string> parseInputs(const std::string& json,
                                               const std::string& executionId) {
    std::map<std::string, std::string> inputs;
    try {
        Poco::JSON::Parser parser;
        Poco::JSON::Object::Ptr object = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
        for (const auto& [name, value] : *object) {
            inputs[name] = value.isString() ? value.extract<std::string>() : value.toString();
        }
    } catch (const Poco::Exception& error) {
        throw HydrationError("Reading the inputs of execution " + executionId +
                             " failed: " + error.displayText());
    }
    return inputs;
}

RepositorySources loadRepositorySources(pg::Connection& connection,
                                        const std::string& executionId) {
    pg::Result result = connection.execute(
        "select e.workflow_id, e.repos, w.repos, w.repository_url, w.repository_ref, "
        "e.inputs::text from syn.executions e join syn.workflows w on w.id = e.workflow_id "
        "where e.id = $1",
        {executionId});
    if (result.rows() == 0) {
        throw HydrationError("Preparing the workspace of execution " + executionId +
                             " failed: the execution does not exist");
    }

    RepositorySources sources;
    sources.executionId = executionId;
    sources.workflowId = std::string(result.text(0, 0));
    sources.executionRepos = pg::parseArray(result.text(0, 1));
    sources.workflowRepos = pg::parseArray(result.text(0, 2));
    sources.workflowRepositoryUrl = result.optionalText(0, 3);
    sources.workflowRepositoryRef = result.optionalText(0, 4);
    sources.inputs = parseInputs(std::string(result.text(0, 5)), executionId);
    return sources;
}

std::optional<RepositorySlug> parseRepositoryEntry(const std::string& entry) {
    // The same rules as the API's check, applied again because workflow
    // defaults and input substitution never passed through the API.
    std::optional<Repository> repository = parseRepository(entry);
    if (!repository) {
        return std::nullopt;
    }
    return RepositorySlug{repository->owner, repository->name};
}

std::string substituteInputs(const std::string& text,
                             const std::map<std::string, std::string>& inputs,
                             const std::string& workflowId) {
    static const std::regex kPlaceholder("\\{\\{\\s*([^{}\\s]+)\\s*\\}\\}");
    std::string result;
    auto position = text.cbegin();
    for (std::sregex_iterator match(text.begin(), text.end(), kPlaceholder), end; match != end;
         ++match) {
        const std::string name = (*match)[1].str();
        auto input = inputs.find(name);
        if (input == inputs.end()) {
            throw HydrationError("The repository URL of workflow " + workflowId + " uses {{" +
                                 name + "}}, but the execution has no input '" + name +
                                 "'; pass it in the request's inputs");
        }
        result.append(position, (*match)[0].first);
        result += input->second;
        position = (*match)[0].second;
    }
    result.append(position, text.cend());
    return result;
}

std::vector<PlannedRepository> planRepositories(const RepositorySources& sources) {
    std::vector<RepositorySlug> slugs;
    std::set<std::string> seen;
    for (const std::string& entry : chooseEntries(sources)) {
        std::optional<RepositorySlug> slug = parseRepositoryEntry(entry);
        if (!slug) {
            throw HydrationError("Invalid repository entry '" + entry + "' for execution " +
                                 sources.executionId +
                                 ": expected 'owner/repo' or 'https://github.com/owner/repo'");
        }
        if (seen.insert(lowerCase(slug->text())).second) {
            slugs.push_back(*slug);
        }
    }

    std::map<std::string, int> nameCounts;
    for (const RepositorySlug& slug : slugs) {
        ++nameCounts[lowerCase(slug.name)];
    }
    std::vector<PlannedRepository> planned;
    std::set<std::string> directories;
    for (const RepositorySlug& slug : slugs) {
        std::string directory =
            nameCounts[lowerCase(slug.name)] > 1 ? slug.owner + "-" + slug.name : slug.name;
        // "a-b/c" and "a/b-c" both give "a-b-c"; a number keeps them apart.
        std::string unique = directory;
        for (int suffix = 2; !directories.insert(lowerCase(unique)).second; ++suffix) {
            unique = directory + "-" + std::to_string(suffix);
        }
        planned.push_back({slug, unique});
    }
    return planned;
}

WorkspaceHydrator::WorkspaceHydrator(RepositoryCloner cloner, Poco::Logger& logger)
    : cloner_(std::move(cloner)), logger_(logger) {}

HydratedWorkspace WorkspaceHydrator::hydrate(const RepositorySources& sources,
                                             const fs::path& workspace,
                                             const std::atomic<StopRequest>* stop) const {
    HydratedWorkspace hydrated;
    const fs::path root = fs::absolute(workspace);
    for (const PlannedRepository& planned : planRepositories(sources)) {
        ClonedRepository repository{planned.slug, root / "repos" / planned.directory, false};
        if (fs::is_directory(repository.path)) {
            repository.reused = true;
            logger_.information("Execution %s re-uses the completed clone of %s in %s",
                                sources.executionId, planned.slug.text(), repository.path.string());
        } else {
            logger_.information("Execution %s: cloning %s into %s", sources.executionId,
                                planned.slug.text(), repository.path.string());
            try {
                cloner_.clone(planned.slug, sources.workflowRepositoryRef, repository.path, stop);
            } catch (const CloneStopped& stopped) {
                logger_.information(
                    "Execution %s: cloning %s was stopped by %s; git was killed "
                    "and the partial clone deleted",
                    sources.executionId, planned.slug.text(),
                    std::string(describeStopRequest(stopped.request())));
                throw;
            } catch (const CloneError& error) {
                logger_.error("Execution %s: %s", sources.executionId, std::string(error.what()));
                throw HydrationError(error.what());
            } catch (const fs::filesystem_error& error) {
                std::string message =
                    "Cloning " + planned.slug.text() + " failed: " + std::string(error.what());
                logger_.error("Execution %s: %s", sources.executionId, message);
                throw HydrationError(message);
            }
        }
        hydrated.repositories.push_back(repository);
    }

    std::vector<fs::path> paths;
    for (const ClonedRepository& repository : hydrated.repositories) {
        paths.push_back(repository.path);
    }
    try {
        writeContextFiles(root, paths);
    } catch (const fs::filesystem_error& error) {
        throw HydrationError("Writing AGENTS.md and CLAUDE.md into the workspace of execution " +
                             sources.executionId + " failed: " + error.what());
    }
    return hydrated;
}

}  // namespace syn::workspace
