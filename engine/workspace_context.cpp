#include "syn/workspace_context.h"

#include <algorithm>
#include <fstream>
#include <system_error>

namespace syn::workspace {
namespace {

namespace fs = std::filesystem;

bool isInside(const fs::path& path, const fs::path& directory) {
    auto [end, ignored] =
        std::mismatch(directory.begin(), directory.end(), path.begin(), path.end());
    return end == directory.end();
}

// Writes through a temporary file so an agent never reads half a file.
void writeFile(const fs::path& path, const std::string& content) {
    const fs::path temporary = path.string() + ".tmp";
    {
        std::ofstream file(temporary, std::ios::trunc);
        file << content;
        file.close();
        if (!file) {
            throw fs::filesystem_error("writing failed", temporary,
                                       std::make_error_code(std::errc::io_error));
        }
    }
    fs::rename(temporary, path);
}

std::string agentsText(const std::vector<std::string>& files) {
    std::string text =
        "# Workspace instructions\n\n"
        "The repositories of this execution are cloned under repos/. Before you change a\n"
        "repository, read its instructions:\n\n";
    for (const std::string& file : files) {
        text += "- " + file + "\n";
    }
    return text;
}

std::string claudeText(const std::vector<std::string>& files) {
    std::string text =
        "# Workspace instructions\n\n"
        "The repositories of this execution are cloned under repos/. Their instructions\n"
        "are imported below; each applies to its own repository.\n\n";
    for (const std::string& file : files) {
        text += "@" + file + "\n";
    }
    return text;
}

}  // namespace

std::vector<std::string> findInstructionFiles(const fs::path& workspace,
                                              const fs::path& repository) {
    std::vector<std::string> found;
    std::error_code error;
    const fs::path repositoryRoot = fs::canonical(repository, error);
    if (error) {
        return found;
    }
    for (const char* name : {"AGENTS.md", "CLAUDE.md"}) {
        const fs::path candidate = repository / name;
        const fs::path resolved = fs::canonical(candidate, error);
        // A link to a file outside the repository would show the agent a
        // file the repository's author chose from the runner's disk.
        if (error || !fs::is_regular_file(resolved) || !isInside(resolved, repositoryRoot)) {
            continue;
        }
        found.push_back(candidate.lexically_relative(workspace).generic_string());
    }
    return found;
}

bool writeContextFiles(const fs::path& workspace, const std::vector<fs::path>& repositories) {
    std::vector<std::string> files;
    for (const fs::path& repository : repositories) {
        std::vector<std::string> found = findInstructionFiles(workspace, repository);
        files.insert(files.end(), found.begin(), found.end());
    }
    if (files.empty()) {
        return false;
    }
    writeFile(workspace / "AGENTS.md", agentsText(files));
    writeFile(workspace / "CLAUDE.md", claudeText(files));
    return true;
}

}  // namespace syn::workspace
