// Builds compact JSON text into a string, with commas placed automatically.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "syn/json_value.h"

namespace syn::json {

class Writer {
  public:
    Writer& beginObject();
    Writer& endObject();
    Writer& beginArray();
    Writer& endArray();
    Writer& key(std::string_view name);
    Writer& string(std::string_view text);
    // Writes the text, or null when `text` is empty.
    Writer& nullableString(const std::optional<std::string>& text);
    Writer& number(long long number);
    Writer& boolean(bool value);
    Writer& null();
    // Appends `json`, which must already be one valid JSON value.
    Writer& raw(std::string_view json);
    Writer& value(const Value& value);

    const std::string& text() const { return out_; }
    std::string take() { return std::move(out_); }

  private:
    void separate();

    std::string out_;
    bool needComma_ = false;
};

// Appends `text` as a quoted JSON string. Control characters are escaped,
// other characters stay UTF-8, and each byte that is not part of a valid
// UTF-8 sequence becomes U+FFFD so that the output is always valid UTF-8.
void appendQuoted(std::string& out, std::string_view text);

}  // namespace syn::json
