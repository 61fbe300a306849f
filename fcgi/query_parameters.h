// Query-string parameters with FastAPI's conversions and 422 entries.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "syn/validation_error.h"

namespace syn::fcgi {

class QueryParameters {
  public:
    // Parses a form-encoded query string. A repeated name keeps its last
    // value; a malformed escape is kept literally, as Python's parse_qsl does.
    explicit QueryParameters(std::string_view query);

    // Returns the value of `name`, or nullptr when the query does not have it
    // or when the value is not valid UTF-8; the latter appends a
    // string_unicode entry to `errors`.
    const std::string* text(std::string_view name, std::vector<ValidationError>& errors) const;

    // Reads an integer between `minimum` and `maximum` (inclusive; 1 and 100
    // are the bounds the API uses), or `fallback` when absent. Appends a
    // string_unicode, int_parsing, greater_than_equal or less_than_equal
    // entry to `errors`.
    long long integer(std::string_view name, long long fallback, long long minimum,
                      long long maximum, std::vector<ValidationError>& errors) const;

    // Reads a boolean as pydantic does (true/false, 1/0, yes/no, on/off, t/f,
    // y/n, any case), or `fallback` when absent. Appends string_unicode or
    // bool_parsing on failure.
    bool boolean(std::string_view name, bool fallback, std::vector<ValidationError>& errors) const;

  private:
    std::unordered_map<std::string, std::string> values_;
};

}  // namespace syn::fcgi
