#include "syn/workflow_package.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace syn::package {

namespace fs = std::filesystem;

namespace {

// Mirrors the workflow_id_format and phase_id_format CHECKs of syn.workflows
// and syn.workflow_phases.
const std::regex kIdPattern("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$");

const std::set<std::string> kWorkflowKeys = {
    "id",         "name",  "description",    "type",   "classification",
    "repository", "repos", "requires_repos", "inputs", "phases"};
const std::set<std::string> kRepositoryKeys = {"url", "ref"};
const std::set<std::string> kInputKeys = {"name", "description", "required", "default"};
const std::set<std::string> kPhaseKeys = {
    "id",           "name",  "order",           "description", "prompt_template",
    "prompt_file",  "model", "timeout_seconds", "max_tokens",  "allowed_tools",
    "argument_hint"};
// Front matter describes the phase around a prompt; it cannot rename the
// phase or point at another prompt.
const std::set<std::string> kFrontMatterKeys = {"name",          "order",           "description",
                                                "model",         "timeout_seconds", "max_tokens",
                                                "allowed_tools", "argument_hint"};

// A YAML value together with the file it came from, for error locations.
struct Located {
    YAML::Node node;
    std::string file;
    int lineOffset = 0;  // lines before the YAML text starts in `file`
};

using Fields = std::map<std::string, Located>;

// The file name problems in a JSON definition carry.
const char* const kJsonFile = "request body";

// The key a problem is about, as text for messages and as parts for the API.
struct KeyPath {
    std::string text;  // e.g. "phases[2].timeout_seconds"
    Location parts;    // e.g. {"phases", 2, "timeout_seconds"}
};

KeyPath join(const KeyPath& prefix, const std::string& key) {
    KeyPath path{prefix.text.empty() ? key : prefix.text + "." + key, prefix.parts};
    path.parts.emplace_back(key);
    return path;
}

KeyPath indexed(const KeyPath& prefix, size_t index) {
    KeyPath path{prefix.text + "[" + std::to_string(index) + "]", prefix.parts};
    path.parts.emplace_back(index);
    return path;
}

// "phases[1]", for messages that point at another entry of a list.
std::string entryName(const std::string& list, size_t index) {
    return list + "[" + std::to_string(index) + "]";
}

// A quoted scalar ("300") is a string even when its text looks like a number.
bool isPlainScalar(const YAML::Node& node) {
    return node.IsScalar() && node.Tag() != "!";
}

std::optional<std::string> readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

// Splits "---\nYAML\n---\nBODY" into YAML and BODY. Returns false when the
// file has no front matter; `unclosed` is set when it opens one but never ends it.
bool splitFrontMatter(const std::string& text, std::string& yaml, std::string& body,
                      bool& unclosed) {
    unclosed = false;
    if (!(text.starts_with("---\n") || text.starts_with("---\r\n"))) {
        return false;
    }
    size_t lineStart = text.find('\n') + 1;
    while (lineStart < text.size()) {
        size_t lineEnd = text.find('\n', lineStart);
        size_t next = lineEnd == std::string::npos ? text.size() : lineEnd + 1;
        std::string line = text.substr(lineStart, next - lineStart);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
            line.pop_back();
        }
        if (line == "---" || line == "...") {
            yaml = text.substr(text.find('\n') + 1, lineStart - text.find('\n') - 1);
            body = text.substr(next);
            return true;
        }
        lineStart = next;
    }
    unclosed = true;
    return false;
}

class Loader {
  public:
    // Reads the definition in the file or package directory at `path`.
    explicit Loader(const fs::path& path) : input_(path) {}
    // Checks a definition that arrived as JSON, where no files can be read.
    Loader() : source_(Source::json), definitionFile_(kJsonFile) {}

    WorkflowDefinition load();
    WorkflowDefinition read(const YAML::Node& root);

  private:
    enum class Source { file, directory, json };

    void report(const std::string& file, int line, const KeyPath& keyPath,
                const std::string& message, ProblemKind kind = ProblemKind::invalidValue) {
        problems_.push_back({file, line, keyPath.text, message, kind, keyPath.parts});
    }
    void report(const Located& at, const KeyPath& keyPath, const std::string& message,
                ProblemKind kind = ProblemKind::invalidValue) {
        int mark = at.node.Mark().line;
        report(at.file, mark < 0 ? 0 : mark + 1 + at.lineOffset, keyPath, message, kind);
    }

    // YAML reads any scalar as a string, but JSON distinguishes strings from numbers,
    // booleans and null, so a JSON definition must quote its strings.
    bool isString(const YAML::Node& node) const {
        return node.IsScalar() && (source_ != Source::json || node.Tag() == "!");
    }

    // PostgreSQL text cannot contain NUL, which both JSON and YAML escapes can produce.
    bool isStorable(const Located& at, const KeyPath& keyPath) {
        if (at.node.Scalar().find('\0') == std::string::npos) {
            return true;
        }
        report(at, keyPath, "must not contain the NUL character (\\u0000)");
        return false;
    }

    std::optional<YAML::Node> parse(const std::string& text, const std::string& file,
                                    int lineOffset);
    Fields collect(const Located& map, const KeyPath& keyPath,
                   const std::set<std::string>& allowed);

    std::optional<std::string> text(const Fields& fields, const std::string& key,
                                    const KeyPath& prefix, const Located* requiredIn = nullptr);
    std::optional<int> integer(const Fields& fields, const std::string& key, const KeyPath& prefix,
                               const Located* requiredIn = nullptr);
    std::optional<bool> boolean(const Fields& fields, const std::string& key,
                                const KeyPath& prefix);
    std::optional<std::vector<std::string>> textList(const Fields& fields, const std::string& key,
                                                     const KeyPath& prefix);
    std::optional<std::string> identifier(const Fields& fields, const Located& owner,
                                          const KeyPath& prefix);

    void readRepository(const Fields& fields, WorkflowDefinition& workflow);
    void readInputs(const Fields& fields, WorkflowDefinition& workflow);
    void readPhases(const Fields& fields, const Located& top, WorkflowDefinition& workflow);
    std::optional<PhaseDefinition> readPhase(const Located& node, const KeyPath& prefix);
    std::optional<fs::path> choosePromptSource(const Fields& yaml, const Located& at,
                                               const KeyPath& prefix,
                                               const std::optional<std::string>& id,
                                               PhaseDefinition& phase);
    std::optional<fs::path> resolvePromptFile(const Located& at, const KeyPath& keyPath,
                                              const std::string& relative);
    void readPromptFile(const fs::path& file, PhaseDefinition& phase, Fields& frontMatter,
                        const KeyPath& prefix);
    void readPhaseSettings(const Fields& merged, const Located& at, const KeyPath& prefix,
                           PhaseDefinition& phase);
    void checkUnusedPromptFiles();

    Source source_ = Source::file;
    fs::path input_;
    fs::path directory_;      // the package directory as given, for messages and lookups
    fs::path canonicalRoot_;  // the same, symlinks resolved, for the escape check
    std::string definitionFile_;
    std::set<fs::path> usedPromptFiles_;
    std::vector<Problem> problems_;
};

std::optional<YAML::Node> Loader::parse(const std::string& text, const std::string& file,
                                        int lineOffset) {
    try {
        return YAML::Load(text);
    } catch (const YAML::ParserException& error) {
        report(file, error.mark.line < 0 ? 0 : error.mark.line + 1 + lineOffset, {},
               "invalid YAML: " + error.msg);
        return std::nullopt;
    }
}

Fields Loader::collect(const Located& map, const KeyPath& keyPath,
                       const std::set<std::string>& allowed) {
    Fields fields;
    if (!map.node.IsMap()) {
        report(map, keyPath, "must be a mapping of keys to values", ProblemKind::notMapping);
        return fields;
    }
    for (const auto& entry : map.node) {
        std::string key = entry.first.Scalar();
        if (allowed.count(key) == 0) {
            std::string names;
            for (const std::string& name : allowed) {
                names += (names.empty() ? "" : ", ") + name;
            }
            report({entry.first, map.file, map.lineOffset}, join(keyPath, key),
                   "unknown key; allowed here: " + names, ProblemKind::unknownKey);
            continue;
        }
        // An explicit null means the same as leaving the key out.
        if (!entry.second.IsNull()) {
            fields[key] = {entry.second, map.file, map.lineOffset};
        }
    }
    return fields;
}

std::optional<std::string> Loader::text(const Fields& fields, const std::string& key,
                                        const KeyPath& prefix, const Located* requiredIn) {
    auto found = fields.find(key);
    if (found == fields.end()) {
        if (requiredIn != nullptr) {
            report(*requiredIn, join(prefix, key), "missing required key", ProblemKind::missingKey);
        }
        return std::nullopt;
    }
    if (!isString(found->second.node)) {
        report(found->second, join(prefix, key), "must be a string", ProblemKind::notString);
        return std::nullopt;
    }
    if (!isStorable(found->second, join(prefix, key))) {
        return std::nullopt;
    }
    return found->second.node.Scalar();
}

std::optional<int> Loader::integer(const Fields& fields, const std::string& key,
                                   const KeyPath& prefix, const Located* requiredIn) {
    auto found = fields.find(key);
    if (found == fields.end()) {
        if (requiredIn != nullptr) {
            report(*requiredIn, join(prefix, key), "missing required key", ProblemKind::missingKey);
        }
        return std::nullopt;
    }
    int value = 0;
    if (!isPlainScalar(found->second.node) ||
        !YAML::convert<int>::decode(found->second.node, value)) {
        report(found->second, join(prefix, key), "must be an integer", ProblemKind::notInteger);
        return std::nullopt;
    }
    return value;
}

std::optional<bool> Loader::boolean(const Fields& fields, const std::string& key,
                                    const KeyPath& prefix) {
    auto found = fields.find(key);
    if (found == fields.end()) {
        return std::nullopt;
    }
    bool value = false;
    if (!isPlainScalar(found->second.node) ||
        !YAML::convert<bool>::decode(found->second.node, value)) {
        report(found->second, join(prefix, key), "must be true or false", ProblemKind::notBoolean);
        return std::nullopt;
    }
    return value;
}

std::optional<std::vector<std::string>> Loader::textList(const Fields& fields,
                                                         const std::string& key,
                                                         const KeyPath& prefix) {
    auto found = fields.find(key);
    if (found == fields.end()) {
        return std::nullopt;
    }
    const Located& list = found->second;
    if (!list.node.IsSequence()) {
        report(list, join(prefix, key), "must be a list of strings", ProblemKind::notList);
        return std::nullopt;
    }
    std::vector<std::string> values;
    for (size_t i = 0; i < list.node.size(); ++i) {
        if (!isString(list.node[i])) {
            report({list.node[i], list.file, list.lineOffset}, indexed(join(prefix, key), i),
                   "must be a string", ProblemKind::notString);
            continue;
        }
        if (!isStorable({list.node[i], list.file, list.lineOffset},
                        indexed(join(prefix, key), i))) {
            continue;
        }
        values.push_back(list.node[i].Scalar());
    }
    return values;
}

std::optional<std::string> Loader::identifier(const Fields& fields, const Located& owner,
                                              const KeyPath& prefix) {
    std::optional<std::string> id = text(fields, "id", prefix, &owner);
    if (id && !std::regex_match(*id, kIdPattern)) {
        report(fields.at("id"), join(prefix, "id"),
               "invalid id '" + *id +
                   "': use 1 to 128 letters, digits, '.', '_' or '-', starting with a letter "
                   "or digit");
        return std::nullopt;
    }
    return id;
}

WorkflowDefinition Loader::load() {
    std::error_code error;
    if (fs::is_directory(input_, error)) {
        source_ = Source::directory;
        directory_ = input_;
        definitionFile_ = (input_ / "workflow.yaml").string();
    } else {
        directory_ = input_.has_parent_path() ? input_.parent_path() : fs::path(".");
        definitionFile_ = input_.string();
    }
    canonicalRoot_ = fs::weakly_canonical(directory_, error);

    std::optional<std::string> content = readFile(definitionFile_);
    if (!content) {
        report(definitionFile_, 0, {},
               "cannot be read; give a .yaml file or a directory with "
               "workflow.yaml");
        throw PackageError(problems_);
    }
    std::optional<YAML::Node> root = parse(*content, definitionFile_, 0);
    if (!root) {
        throw PackageError(problems_);
    }
    return read(*root);
}

WorkflowDefinition Loader::read(const YAML::Node& root) {
    Located top{root, definitionFile_, 0};
    Fields fields = collect(top, {}, kWorkflowKeys);
    if (!root.IsMap()) {
        throw PackageError(problems_);
    }
    WorkflowDefinition workflow;
    workflow.id = identifier(fields, top, {}).value_or("");
    std::optional<std::string> name = text(fields, "name", {}, &top);
    workflow.name = name.value_or("");
    if (name && name->empty()) {
        report(fields.at("name"), join({}, "name"), "must not be empty");
    }
    workflow.description = text(fields, "description", {}).value_or("");
    workflow.type = text(fields, "type", {}).value_or(workflow.type);
    workflow.classification = text(fields, "classification", {}).value_or(workflow.classification);
    readRepository(fields, workflow);
    workflow.repos = textList(fields, "repos", {}).value_or(std::vector<std::string>{});
    workflow.requiresRepos = boolean(fields, "requires_repos", {}).value_or(false);
    readInputs(fields, workflow);
    readPhases(fields, top, workflow);
    if (source_ == Source::directory) {
        checkUnusedPromptFiles();
    }

    if (!problems_.empty()) {
        throw PackageError(problems_);
    }
    return workflow;
}

void Loader::readRepository(const Fields& fields, WorkflowDefinition& workflow) {
    auto found = fields.find("repository");
    if (found == fields.end()) {
        return;
    }
    KeyPath path = join({}, "repository");
    Fields repository = collect(found->second, path, kRepositoryKeys);
    if (!found->second.node.IsMap()) {
        return;
    }
    workflow.repositoryUrl = text(repository, "url", path, &found->second);
    workflow.repositoryRef = text(repository, "ref", path);
}

void Loader::readInputs(const Fields& fields, WorkflowDefinition& workflow) {
    auto found = fields.find("inputs");
    if (found == fields.end()) {
        return;
    }
    const Located& list = found->second;
    KeyPath path = join({}, "inputs");
    if (!list.node.IsSequence()) {
        report(list, path, "must be a list of inputs", ProblemKind::notList);
        return;
    }

    std::map<std::string, size_t> seen;
    for (size_t i = 0; i < list.node.size(); ++i) {
        Located at{list.node[i], list.file, 0};
        KeyPath prefix = indexed(path, i);
        Fields input = collect(at, prefix, kInputKeys);
        if (!at.node.IsMap()) {
            continue;
        }

        InputDefinition definition;
        std::optional<std::string> name = text(input, "name", prefix, &at);
        definition.name = name.value_or("");
        if (name && name->empty()) {
            report(input.at("name"), join(prefix, "name"), "must not be empty");
        } else if (!definition.name.empty() && !seen.emplace(definition.name, i).second) {
            report(input.at("name"), join(prefix, "name"),
                   "duplicate input name '" + definition.name + "', already declared by " +
                       entryName("inputs", seen[definition.name]));
        }
        definition.description = text(input, "description", prefix).value_or("");
        definition.required = boolean(input, "required", prefix).value_or(true);
        definition.defaultValue = text(input, "default", prefix);
        workflow.inputs.push_back(definition);
    }
}

void Loader::readPhases(const Fields& fields, const Located& top, WorkflowDefinition& workflow) {
    KeyPath path = join({}, "phases");
    auto found = fields.find("phases");
    if (found == fields.end()) {
        report(top, path, "missing required key; a workflow needs at least one phase",
               ProblemKind::missingKey);
        return;
    }
    const Located& list = found->second;
    if (!list.node.IsSequence()) {
        report(list, path, "must be a list of at least one phase", ProblemKind::notList);
        return;
    }
    if (list.node.size() == 0) {
        report(list, path, "must be a list of at least one phase");
        return;
    }

    std::map<std::string, size_t> ids;
    std::map<int, size_t> orders;
    for (size_t i = 0; i < list.node.size(); ++i) {
        Located at{list.node[i], list.file, 0};
        KeyPath prefix = indexed(path, i);
        std::optional<PhaseDefinition> phase = readPhase(at, prefix);
        if (!phase) {
            continue;
        }
        if (!phase->id.empty() && !ids.emplace(phase->id, i).second) {
            report(at, join(prefix, "id"),
                   "duplicate phase id '" + phase->id + "', already used by " +
                       entryName("phases", ids[phase->id]));
        }
        if (!orders.emplace(phase->order, i).second) {
            report(at, join(prefix, "order"),
                   "duplicate order " + std::to_string(phase->order) + ", already used by " +
                       entryName("phases", orders[phase->order]));
        }
        workflow.phases.push_back(*phase);
    }
    std::stable_sort(
        workflow.phases.begin(), workflow.phases.end(),
        [](const PhaseDefinition& a, const PhaseDefinition& b) { return a.order < b.order; });
}

std::optional<PhaseDefinition> Loader::readPhase(const Located& at, const KeyPath& prefix) {
    Fields yaml = collect(at, prefix, kPhaseKeys);
    if (!at.node.IsMap()) {
        return std::nullopt;
    }
    PhaseDefinition phase;
    std::optional<std::string> id = identifier(yaml, at, prefix);
    phase.id = id.value_or("");
    bool hasTemplate = yaml.count("prompt_template") != 0;
    std::optional<fs::path> promptPath = choosePromptSource(yaml, at, prefix, id, phase);

    Fields merged;
    if (promptPath) {
        readPromptFile(*promptPath, phase, merged, prefix);
    } else if (hasTemplate) {
        phase.promptTemplate = text(yaml, "prompt_template", prefix).value_or("");
    }
    // Front matter only fills gaps: every key workflow.yaml sets wins.
    for (const auto& [key, value] : yaml) {
        merged[key] = value;
    }
    readPhaseSettings(merged, at, prefix, phase);

    if ((promptPath || hasTemplate) &&
        phase.promptTemplate.find_first_not_of(" \t\r\n") == std::string::npos) {
        report(at, join(prefix, "prompt_template"), "the prompt is empty");
    }
    return phase;
}

// Picks the prompt source: inline, named file, or phases/<id>.md. Returns the
// file to read, or nothing when the prompt is inline or no source is valid.
std::optional<fs::path> Loader::choosePromptSource(const Fields& yaml, const Located& at,
                                                   const KeyPath& prefix,
                                                   const std::optional<std::string>& id,
                                                   PhaseDefinition& phase) {
    bool hasTemplate = yaml.count("prompt_template") != 0;
    bool hasFile = yaml.count("prompt_file") != 0;
    KeyPath filePath = join(prefix, "prompt_file");
    KeyPath templatePath = join(prefix, "prompt_template");
    if (hasFile && source_ == Source::json) {
        report(yaml.at("prompt_file"), filePath,
               "prompt_file is not accepted in a JSON definition because the server cannot "
               "read the client's files; send the prompt text as prompt_template");
        return std::nullopt;
    }
    if (hasTemplate && hasFile) {
        report(yaml.at("prompt_file"), filePath,
               "set either prompt_template or prompt_file, not both");
        return std::nullopt;
    }
    if (hasFile) {
        phase.promptFile = text(yaml, "prompt_file", prefix);
        if (!phase.promptFile) {
            return std::nullopt;
        }
        return resolvePromptFile(yaml.at("prompt_file"), filePath, *phase.promptFile);
    }
    if (hasTemplate) {
        return std::nullopt;
    }

    std::string implicit = id ? "phases/" + *id + ".md" : "";
    if (source_ == Source::directory && id && fs::exists(directory_ / implicit)) {
        phase.promptFile = implicit;
        return resolvePromptFile(at, prefix, implicit);
    }
    if (source_ == Source::directory) {
        report(at, templatePath,
               "missing; set prompt_template or prompt_file, or add phases/" + phase.id + ".md");
    } else if (source_ == Source::json) {
        report(at, templatePath, "missing required key", ProblemKind::missingKey);
    } else {
        report(at, templatePath, "missing; set prompt_template or prompt_file");
    }
    return std::nullopt;
}

void Loader::readPhaseSettings(const Fields& merged, const Located& at, const KeyPath& prefix,
                               PhaseDefinition& phase) {
    std::optional<std::string> name = text(merged, "name", prefix, &at);
    phase.name = name.value_or("");
    if (name && name->empty()) {
        report(merged.at("name"), join(prefix, "name"), "must not be empty");
    }
    phase.order = integer(merged, "order", prefix, &at).value_or(0);
    phase.description = text(merged, "description", prefix).value_or("");
    phase.model = text(merged, "model", prefix);
    if (std::optional<int> timeout = integer(merged, "timeout_seconds", prefix)) {
        if (*timeout <= 0) {
            report(merged.at("timeout_seconds"), join(prefix, "timeout_seconds"),
                   "must be a positive number of seconds");
        } else {
            phase.timeoutSeconds = *timeout;
        }
    }
    if (std::optional<int> maxTokens = integer(merged, "max_tokens", prefix)) {
        if (*maxTokens <= 0) {
            report(merged.at("max_tokens"), join(prefix, "max_tokens"),
                   "must be a positive integer");
        } else {
            phase.maxTokens = maxTokens;
        }
    }
    phase.allowedTools =
        textList(merged, "allowed_tools", prefix).value_or(std::vector<std::string>{});
    phase.argumentHint = text(merged, "argument_hint", prefix);
}

std::optional<fs::path> Loader::resolvePromptFile(const Located& at, const KeyPath& keyPath,
                                                  const std::string& relative) {
    std::error_code error;
    fs::path resolved = fs::canonical(directory_ / relative, error);
    if (error) {
        report(at, keyPath, "prompt file '" + relative + "' not found in " + directory_.string());
        return std::nullopt;
    }
    // Resolved paths catch both '..' and symlinks that point out of the package.
    fs::path inside = resolved.lexically_relative(canonicalRoot_);
    if (inside.empty() || *inside.begin() == "..") {
        report(at, keyPath,
               "prompt file '" + relative + "' resolves to " + resolved.string() +
                   ", outside the package directory " + canonicalRoot_.string());
        return std::nullopt;
    }
    if (!fs::is_regular_file(resolved)) {
        report(at, keyPath, "prompt file '" + relative + "' is not a regular file");
        return std::nullopt;
    }
    usedPromptFiles_.insert(resolved);
    return resolved;
}

void Loader::readPromptFile(const fs::path& file, PhaseDefinition& phase, Fields& frontMatter,
                            const KeyPath& prefix) {
    std::string display = (directory_ / *phase.promptFile).string();
    std::optional<std::string> content = readFile(file);
    if (!content) {
        report(display, 0, {}, "cannot be read");
        return;
    }

    std::string yaml;
    std::string body;
    bool unclosed = false;
    if (!splitFrontMatter(*content, yaml, body, unclosed)) {
        if (unclosed) {
            report(display, 1, {}, "front matter opened with --- is never closed by a --- line");
        }
        phase.promptTemplate = *content;
        return;
    }
    phase.promptTemplate = body;

    // The opening --- is line 1, so front matter line 1 is file line 2.
    std::optional<YAML::Node> node = parse(yaml, display, 1);
    if (node && !node->IsNull()) {
        frontMatter = collect({*node, display, 1}, prefix, kFrontMatterKeys);
    }
}

void Loader::checkUnusedPromptFiles() {
    std::error_code error;
    fs::path phases = directory_ / "phases";
    if (!fs::is_directory(phases, error)) {
        return;
    }
    std::vector<fs::path> files;
    for (const fs::directory_entry& entry : fs::directory_iterator(phases, error)) {
        if (entry.path().extension() == ".md") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
        if (usedPromptFiles_.count(fs::weakly_canonical(file, error)) == 0) {
            report(file.string(), 0, {},
                   "prompt file is not used by any phase; name it after a phase id or "
                   "reference it with prompt_file");
        }
    }
}

// Builds the YAML tree of a JSON document. Strings get the "!" tag of a
// quoted YAML scalar, so the loader can tell "30" from 30.
YAML::Node toYaml(const json::Value& value) {
    using Kind = json::Value::Kind;
    switch (value.kind) {
        case Kind::Null:
            return YAML::Node(YAML::NodeType::Null);
        case Kind::Boolean:
            return YAML::Node(value.boolean ? "true" : "false");
        case Kind::Number:
            return YAML::Node(value.text);
        case Kind::String: {
            YAML::Node node(value.text);
            node.SetTag("!");
            return node;
        }
        case Kind::Array: {
            YAML::Node node(YAML::NodeType::Sequence);
            for (const json::Value& item : value.items) {
                node.push_back(toYaml(item));
            }
            return node;
        }
        case Kind::Object: {
            YAML::Node node(YAML::NodeType::Map);
            for (const json::Member& member : value.members) {
                node[member.key] = toYaml(member.value);
            }
            return node;
        }
    }
    return YAML::Node();
}

Poco::Dynamic::Var optionalValue(const std::optional<std::string>& value) {
    return value ? Poco::Dynamic::Var(*value) : Poco::Dynamic::Var();
}

Poco::JSON::Array::Ptr toArray(const std::vector<std::string>& values) {
    Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
    for (const std::string& value : values) {
        array->add(value);
    }
    return array;
}

}  // namespace

std::string Problem::describe() const {
    std::string text = file;
    if (line > 0) {
        text += ":" + std::to_string(line);
    }
    if (!keyPath.empty()) {
        text += ": " + keyPath;
    }
    return text + ": " + message;
}

namespace {

std::string describeAll(const std::vector<Problem>& problems) {
    std::string text;
    for (const Problem& problem : problems) {
        text += (text.empty() ? "" : "\n") + problem.describe();
    }
    return text;
}

}  // namespace

PackageError::PackageError(std::vector<Problem> problems)
    : std::runtime_error(describeAll(problems)), problems_(std::move(problems)) {}

WorkflowDefinition loadPackage(const fs::path& path) {
    return Loader(path).load();
}

WorkflowDefinition readJsonDefinition(const json::Value& definition) {
    return Loader().read(toYaml(definition));
}

std::string toJson(const WorkflowDefinition& workflow) {
    Poco::JSON::Object root(Poco::JSON_PRESERVE_KEY_ORDER);
    root.set("id", workflow.id);
    root.set("name", workflow.name);
    root.set("description", workflow.description);
    root.set("type", workflow.type);
    root.set("classification", workflow.classification);
    if (workflow.repositoryUrl) {
        Poco::JSON::Object::Ptr repository = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        repository->set("url", *workflow.repositoryUrl);
        repository->set("ref", optionalValue(workflow.repositoryRef));
        root.set("repository", repository);
    }
    root.set("repos", toArray(workflow.repos));
    root.set("requires_repos", workflow.requiresRepos);

    Poco::JSON::Array::Ptr inputs = new Poco::JSON::Array;
    for (const InputDefinition& input : workflow.inputs) {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        item->set("name", input.name);
        item->set("description", input.description);
        item->set("required", input.required);
        item->set("default", optionalValue(input.defaultValue));
        inputs->add(item);
    }
    root.set("inputs", inputs);

    Poco::JSON::Array::Ptr phases = new Poco::JSON::Array;
    for (const PhaseDefinition& phase : workflow.phases) {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        item->set("id", phase.id);
        item->set("name", phase.name);
        item->set("order", phase.order);
        item->set("description", phase.description);
        item->set("prompt_template", phase.promptTemplate);
        item->set("prompt_file", optionalValue(phase.promptFile));
        item->set("model", optionalValue(phase.model));
        item->set("timeout_seconds", phase.timeoutSeconds);
        item->set("max_tokens",
                  phase.maxTokens ? Poco::Dynamic::Var(*phase.maxTokens) : Poco::Dynamic::Var());
        item->set("allowed_tools", toArray(phase.allowedTools));
        item->set("argument_hint", optionalValue(phase.argumentHint));
        phases->add(item);
    }
    root.set("phases", phases);

    std::ostringstream out;
    root.stringify(out);
    return out.str();
}

}  // namespace syn::package
