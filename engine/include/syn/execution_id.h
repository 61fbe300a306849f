// Execution ids (`exec-` and 12 lower-case hex digits) and the prefixes by
// which clients may name them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace syn {

inline constexpr std::string_view kExecutionIdPrefix = "exec-";
inline constexpr size_t kExecutionIdHexDigits = 12;
// Shortest accepted prefix, counted in hex digits after `exec-`.
inline constexpr size_t kMinPrefixHexDigits = 4;

// Returns a fresh id from getrandom(2). Throws std::system_error when the
// kernel cannot supply random bytes.
std::string newExecutionId();

// True when `text` is a complete execution id.
bool isExecutionId(std::string_view text);

// The executions a client-supplied id or prefix selects.
struct ExecutionIdQuery {
    std::string text;  // the full id, or the prefix every match starts with
    bool exact = false;
};

// Classifies `text`: a complete id selects exactly, `exec-` followed by 4 to
// 11 lower-case hex digits selects by prefix, anything else selects nothing
// (nullopt).
std::optional<ExecutionIdQuery> parseExecutionIdQuery(std::string_view text);

}  // namespace syn
