#include "syn/execution_id.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace syn {
namespace {

bool isLowerHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

}  // namespace

std::string newExecutionId() {
    unsigned char bytes[kExecutionIdHexDigits / 2];
    size_t filled = 0;
    while (filled < sizeof bytes) {
        ssize_t count = getrandom(bytes + filled, sizeof bytes - filled, 0);
        if (count < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw std::system_error(errno, std::generic_category(),
                                    "getrandom failed while creating an execution id");
        }
        filled += static_cast<size_t>(count);
    }

    static const char kHex[] = "0123456789abcdef";
    std::string id(kExecutionIdPrefix);
    for (unsigned char byte : bytes) {
        id += kHex[byte >> 4];
        id += kHex[byte & 0xF];
    }
    return id;
}

bool isExecutionId(std::string_view text) {
    return text.size() == kExecutionIdPrefix.size() + kExecutionIdHexDigits &&
           text.starts_with(kExecutionIdPrefix) &&
           std::all_of(text.begin() + kExecutionIdPrefix.size(), text.end(), isLowerHex);
}

std::optional<ExecutionIdQuery> parseExecutionIdQuery(std::string_view text) {
    if (!text.starts_with(kExecutionIdPrefix)) {
        return std::nullopt;
    }
    std::string_view digits = text.substr(kExecutionIdPrefix.size());
    if (digits.size() < kMinPrefixHexDigits || digits.size() > kExecutionIdHexDigits ||
        !std::all_of(digits.begin(), digits.end(), isLowerHex)) {
        return std::nullopt;
    }
    return ExecutionIdQuery{std::string(text), digits.size() == kExecutionIdHexDigits};
}

}  // namespace syn
