// Workflow packages: a YAML definition, alone or in a directory with prompt
// files, loaded and checked before anything is written to the database.
//
// A package directory contains workflow.yaml and phases/*.md. A phase takes its
// prompt from `prompt_template`, from `prompt_file` (relative to the package
// directory, which it may not leave, symlinks resolved), or, when it names
// neither, from phases/<phase id>.md. A prompt file may open with YAML front
// matter between two `---` lines; its keys fill only the phase keys that
// workflow.yaml leaves out, and the rest of the file is the prompt template.
// Every .md file under phases/ must belong to some phase.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "syn/json_value.h"
#include "syn/validation_error.h"

namespace syn::package {

struct InputDefinition {
    std::string name;
    std::string description;
    bool required = true;
    std::optional<std::string> defaultValue;
};

struct PhaseDefinition {
    std::string id;
    std::string name;
    int order = 0;
    std::string description;
    std::string promptTemplate;
    // Path relative to the package directory, when the prompt came from a file.
    std::optional<std::string> promptFile;
    std::optional<std::string> model;
    int timeoutSeconds = 300;
    std::optional<int> maxTokens;
    std::vector<std::string> allowedTools;
    std::optional<std::string> argumentHint;
};

struct WorkflowDefinition {
    std::string id;
    std::string name;
    std::string description;
    std::string type = "custom";
    std::string classification = "standard";
    std::optional<std::string> repositoryUrl;
    std::optional<std::string> repositoryRef;
    std::vector<std::string> repos;
    bool requiresRepos = false;
    std::vector<InputDefinition> inputs;
    // In ascending order, as the runner executes them.
    std::vector<PhaseDefinition> phases;
};

// The rule a problem breaks, so that the HTTP API can report it with the
// matching pydantic error type.
enum class ProblemKind {
    invalidValue,  // a value of the right type that breaks a rule
    missingKey,
    unknownKey,
    notString,
    notInteger,
    notBoolean,
    notList,
    notMapping,
};

// One thing wrong with a package. `line` is 1-based, 0 when unknown.
struct Problem {
    std::string file;
    int line = 0;
    std::string keyPath;  // e.g. "phases[2].timeout_seconds"; empty for the whole file
    std::string message;
    ProblemKind kind = ProblemKind::invalidValue;
    Location location;  // keyPath as parts, e.g. {"phases", 2, "timeout_seconds"}

    // Formats as "FILE:LINE: KEY: MESSAGE", leaving out the parts that are empty.
    std::string describe() const;
};

// Every problem found in a package, so that one run reports all of them.
class PackageError : public std::runtime_error {
  public:
    explicit PackageError(std::vector<Problem> problems);
    const std::vector<Problem>& problems() const { return problems_; }

  private:
    std::vector<Problem> problems_;
};

// Loads a workflow from a .yaml file or a package directory. Throws
// PackageError listing every problem found.
WorkflowDefinition loadPackage(const std::filesystem::path& path);

// Checks a definition sent as a JSON document with the same rules as
// loadPackage. Every string must be a JSON string, and prompt_file is
// rejected because there is no package directory to read it from. Throws
// PackageError listing every problem, with file "request body".
WorkflowDefinition readJsonDefinition(const json::Value& definition);

// The merged definition as JSON: every key with defaults applied and each
// prompt_template filled from its file. Stored in syn.workflows.definition.
std::string toJson(const WorkflowDefinition& workflow);

}  // namespace syn::package
