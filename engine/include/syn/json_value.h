// A parsed JSON document and the strict parser that produces it.
//
// The parser follows RFC 8259 with the rules the HTTP API promises: input must
// be valid UTF-8, a repeated object key keeps its first position and takes the
// last value (as Python's json module does), nesting is limited, and every
// error carries the byte offset at which parsing stopped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace syn::json {

struct Member;

struct Value {
    enum class Kind { Null, Boolean, Number, String, Array, Object };

    Kind kind = Kind::Null;
    bool boolean = false;
    std::string text;  // decoded contents of a string, or the literal of a number
    std::vector<Value> items;
    std::vector<Member> members;  // unique keys, in order of first appearance

    bool isNull() const { return kind == Kind::Null; }
    bool isString() const { return kind == Kind::String; }
    bool isObject() const { return kind == Kind::Object; }
    bool isArray() const { return kind == Kind::Array; }
};

struct Member {
    std::string key;
    Value value;
};

// Maximum depth of nested arrays and objects; deeper documents are rejected
// so that recursion stays far from the thread's stack limit.
inline constexpr int kMaxDepth = 200;

// A syntax error: `offset` is the byte offset into the parsed text and
// `reason` uses the wording of Python's json module where one exists.
struct ParseError {
    size_t offset = 0;
    std::string reason;
};

// Parses `text` as one JSON document. Returns false and fills `error` when
// the text is not valid JSON.
bool parse(std::string_view text, Value& value, ParseError& error);

}  // namespace syn::json
