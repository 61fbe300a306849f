#include "syn/prompt_renderer.h"

namespace syn {

namespace {

constexpr std::string_view kArguments = "$ARGUMENTS";

std::string_view trimSpaces(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

const std::string* lookup(const std::map<std::string, std::string>& values,
                          const std::string& name) {
    auto found = values.find(name);
    return found == values.end() ? nullptr : &found->second;
}

// Returns the value for a placeholder name, or nullptr when the name is unknown.
const std::string* resolve(const std::string& name, const PromptContext& context) {
    if (name == "execution_id") {
        return &context.executionId;
    }
    if (name == "workflow_id") {
        return &context.workflowId;
    }
    if (name == "repo_url") {
        return &context.repoUrl;
    }
    if (const std::string* output = lookup(context.phaseOutputs, name)) {
        return output;
    }
    return lookup(context.inputs, name);
}

}  // namespace

std::string renderPrompt(std::string_view prompt_template, const PromptContext& context) {
    std::string rendered;
    rendered.reserve(prompt_template.size());
    size_t i = 0;
    while (i < prompt_template.size()) {
        std::string_view rest = prompt_template.substr(i);
        if (rest.starts_with(kArguments)) {
            rendered += context.task.value_or("");
            i += kArguments.size();
            continue;
        }

        if (rest.starts_with("{{")) {
            size_t close = rest.find("}}", 2);
            if (close != std::string_view::npos) {
                std::string name(trimSpaces(rest.substr(2, close - 2)));
                if (const std::string* value = resolve(name, context)) {
                    rendered += *value;
                    i += close + 2;
                    continue;
                }
            }
            // Unknown or unterminated: keep the first brace and move on, so a
            // later "{{" inside the same text still gets its chance.
        }
        rendered += prompt_template[i];
        ++i;
    }
    return rendered;
}

std::string repositoryUrl(std::string_view repository) {
    if (repository.empty()) {
        return "";
    }
    if (repository.find("://") != std::string_view::npos) {
        return std::string(repository);
    }
    return "https://github.com/" + std::string(repository);
}

}  // namespace syn
