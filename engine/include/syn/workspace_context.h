// The AGENTS.md and CLAUDE.md at a workspace root that point an agent
// started there at the instruction files of every cloned repository.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace syn::workspace {

// Returns the instruction files (AGENTS.md, CLAUDE.md) in `repository`, as
// paths relative to `workspace`. A symbolic link counts only when it resolves
// to a regular file inside the repository.
std::vector<std::string> findInstructionFiles(const std::filesystem::path& workspace,
                                              const std::filesystem::path& repository);

// Writes <workspace>/AGENTS.md and <workspace>/CLAUDE.md listing every
// instruction file of `repositories`; CLAUDE.md imports each with an @path
// line so Claude Code loads them. Writes nothing and returns false when no
// repository has one. Throws std::filesystem::filesystem_error on a write error.
bool writeContextFiles(const std::filesystem::path& workspace,
                       const std::vector<std::filesystem::path>& repositories);

}  // namespace syn::workspace
