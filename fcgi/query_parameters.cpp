#include "query_parameters.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "path.h"
#include "syn/utf8.h"

namespace syn::fcgi {
namespace {

std::string decodeLeniently(std::string_view text) {
    std::optional<std::string> decoded = percentDecode(text, true);
    if (decoded) {
        return std::move(*decoded);
    }
    std::string literal(text);
    std::replace(literal.begin(), literal.end(), '+', ' ');
    return literal;
}

Location queryLocation(std::string_view name) {
    return {std::string("query"), std::string(name)};
}

// Parses an optionally signed decimal integer surrounded by optional
// whitespace. Values beyond the range of long long saturate, which keeps
// them outside every bound.
bool parseInteger(std::string_view text, long long& value) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.remove_suffix(1);
    }
    bool negative = false;
    if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    if (text.empty()) {
        return false;
    }
    constexpr long long kLimit = std::numeric_limits<long long>::max() / 10 - 1;
    long long magnitude = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return false;
        }
        magnitude = magnitude > kLimit ? kLimit * 10 : magnitude * 10 + (c - '0');
    }
    value = negative ? -magnitude : magnitude;
    return true;
}

}  // namespace

QueryParameters::QueryParameters(std::string_view query) {
    size_t start = 0;
    while (start <= query.size()) {
        size_t end = query.find('&', start);
        std::string_view pair = query.substr(start, end - start);
        if (!pair.empty()) {
            size_t equals = pair.find('=');
            std::string name = decodeLeniently(pair.substr(0, equals));
            std::string value =
                equals == std::string_view::npos ? "" : decodeLeniently(pair.substr(equals + 1));
            values_[std::move(name)] = std::move(value);
        }
        if (end == std::string_view::npos) {
            break;
        }
        start = end + 1;
    }
}

const std::string* QueryParameters::text(std::string_view name,
                                         std::vector<ValidationError>& errors) const {
    auto entry = values_.find(std::string(name));
    if (entry == values_.end()) {
        return nullptr;
    }
    // Percent escapes can decode to any bytes, and PostgreSQL rejects a
    // parameter that is not UTF-8 (SQLSTATE 22021).
    if (!isValidUtf8(entry->second)) {
        errors.push_back(
            makeValidationError("string_unicode", queryLocation(name), stringValue(entry->second)));
        return nullptr;
    }
    return &entry->second;
}

long long QueryParameters::integer(std::string_view name, long long fallback, long long minimum,
                                   long long maximum, std::vector<ValidationError>& errors) const {
    const std::string* text = this->text(name, errors);
    if (text == nullptr) {
        return fallback;
    }
    long long value = 0;
    if (!parseInteger(*text, value)) {
        errors.push_back(
            makeValidationError("int_parsing", queryLocation(name), stringValue(*text)));
        return fallback;
    }
    if (value < minimum) {
        errors.push_back(makeValidationError("greater_than_equal", queryLocation(name),
                                             stringValue(*text),
                                             "{\"ge\":" + std::to_string(minimum) + "}"));
        errors.back().message =
            "Input should be greater than or equal to " + std::to_string(minimum);
        return fallback;
    }
    if (value > maximum) {
        errors.push_back(makeValidationError("less_than_equal", queryLocation(name),
                                             stringValue(*text),
                                             "{\"le\":" + std::to_string(maximum) + "}"));
        errors.back().message = "Input should be less than or equal to " + std::to_string(maximum);
        return fallback;
    }
    return value;
}

bool QueryParameters::boolean(std::string_view name, bool fallback,
                              std::vector<ValidationError>& errors) const {
    const std::string* text = this->text(name, errors);
    if (text == nullptr) {
        return fallback;
    }
    std::string lower = *text;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (std::string_view word : {"true", "1", "yes", "on", "t", "y"}) {
        if (lower == word) {
            return true;
        }
    }
    for (std::string_view word : {"false", "0", "no", "off", "f", "n"}) {
        if (lower == word) {
            return false;
        }
    }
    errors.push_back(makeValidationError("bool_parsing", queryLocation(name), stringValue(*text)));
    return fallback;
}

}  // namespace syn::fcgi
