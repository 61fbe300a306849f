// Rendering of phase prompt templates: $ARGUMENTS and {{placeholders}}.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace syn {

// Values a phase prompt may refer to.
struct PromptContext {
    std::optional<std::string> task;                  // $ARGUMENTS; empty when null
    std::map<std::string, std::string> inputs;        // merged execution inputs
    std::string executionId;                          // {{execution_id}}
    std::string workflowId;                           // {{workflow_id}}
    std::string repoUrl;                              // {{repo_url}}; empty when none
    std::map<std::string, std::string> phaseOutputs;  // outputs of earlier completed phases
};

// Renders `prompt_template` in one left-to-right pass, so text inserted for a
// placeholder is never scanned again. Names inside {{ }} may be surrounded by
// spaces. A name resolves in this order: execution_id, workflow_id and
// repo_url first, then the output of an earlier phase with that id, then an
// input with that name. Phase outputs win over inputs because a template that
// names an earlier phase means its result. Unknown names stay as written.
std::string renderPrompt(std::string_view prompt_template, const PromptContext& context);

// Returns the browsable URL of a repository given as an owner/name slug or as
// a URL; URLs are returned unchanged, an empty value gives an empty string.
std::string repositoryUrl(std::string_view repository);

}  // namespace syn
