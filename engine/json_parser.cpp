#include <string_view>
#include <unordered_map>

#include "syn/json_value.h"
#include "syn/utf8.h"

namespace syn::json {
namespace {

class Parser {
  public:
    Parser(std::string_view text, ParseError& error) : text_(text), error_(error) {}

    bool parseDocument(Value& value) {
        skipWhitespace();
        if (!parseValue(value, 0)) {
            return false;
        }
        skipWhitespace();
        if (position_ != text_.size()) {
            return fail(position_, "Extra data");
        }
        return true;
    }

  private:
    bool fail(size_t offset, std::string reason) {
        error_.offset = offset;
        error_.reason = std::move(reason);
        return false;
    }

    bool atEnd() const { return position_ >= text_.size(); }
    char peek() const { return text_[position_]; }

    void skipWhitespace() {
        while (!atEnd()) {
            char c = peek();
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            ++position_;
        }
    }

    bool parseValue(Value& value, int depth) {
        if (atEnd()) {
            return fail(position_, "Expecting value");
        }
        switch (peek()) {
            case '{':
                return parseObject(value, depth + 1);
            case '[':
                return parseArray(value, depth + 1);
            case '"':
                value.kind = Value::Kind::String;
                return parseString(value.text);
            case 't':
                return parseLiteral("true", value, Value::Kind::Boolean, true);
            case 'f':
                return parseLiteral("false", value, Value::Kind::Boolean, false);
            case 'n':
                return parseLiteral("null", value, Value::Kind::Null, false);
            default:
                return parseNumber(value);
        }
    }

    bool parseLiteral(std::string_view word, Value& value, Value::Kind kind, bool boolean) {
        if (text_.substr(position_, word.size()) != word) {
            return fail(position_, "Expecting value");
        }
        position_ += word.size();
        value.kind = kind;
        value.boolean = boolean;
        return true;
    }

    bool isDigit(size_t at) const {
        return at < text_.size() && text_[at] >= '0' && text_[at] <= '9';
    }

    void skipDigits() {
        while (isDigit(position_)) {
            ++position_;
        }
    }

    // Grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?
    bool parseNumber(Value& value) {
        size_t start = position_;
        if (peek() == '-') {
            ++position_;
        }
        if (!isDigit(position_)) {
            return fail(start, "Expecting value");
        }
        if (text_[position_] == '0') {
            ++position_;
        } else {
            skipDigits();
        }
        if (position_ < text_.size() && peek() == '.' && isDigit(position_ + 1)) {
            ++position_;
            skipDigits();
        }
        if (position_ < text_.size() && (peek() == 'e' || peek() == 'E')) {
            size_t exponent = position_ + 1;
            if (exponent < text_.size() && (text_[exponent] == '+' || text_[exponent] == '-')) {
                ++exponent;
            }
            if (isDigit(exponent)) {
                position_ = exponent;
                skipDigits();
            }
        }
        value.kind = Value::Kind::Number;
        value.text.assign(text_.substr(start, position_ - start));
        return true;
    }

    bool parseArray(Value& value, int depth) {
        if (depth > kMaxDepth) {
            return fail(position_,
                        "Maximum nesting depth of " + std::to_string(kMaxDepth) + " exceeded");
        }
        value.kind = Value::Kind::Array;
        ++position_;  // '['
        skipWhitespace();
        if (!atEnd() && peek() == ']') {
            ++position_;
            return true;
        }
        while (true) {
            skipWhitespace();
            value.items.emplace_back();
            if (!parseValue(value.items.back(), depth)) {
                return false;
            }
            skipWhitespace();
            if (!atEnd() && peek() == ']') {
                ++position_;
                return true;
            }
            if (atEnd() || peek() != ',') {
                return fail(position_, "Expecting ',' delimiter");
            }
            ++position_;
        }
    }

    bool parseObject(Value& value, int depth) {
        if (depth > kMaxDepth) {
            return fail(position_,
                        "Maximum nesting depth of " + std::to_string(kMaxDepth) + " exceeded");
        }
        value.kind = Value::Kind::Object;
        ++position_;  // '{'
        skipWhitespace();
        if (!atEnd() && peek() == '}') {
            ++position_;
            return true;
        }
        while (true) {
            skipWhitespace();
            if (atEnd() || peek() != '"') {
                return fail(position_, "Expecting property name enclosed in double quotes");
            }
            Member& member = value.members.emplace_back();
            if (!parseString(member.key)) {
                return false;
            }
            skipWhitespace();
            if (atEnd() || peek() != ':') {
                return fail(position_, "Expecting ':' delimiter");
            }
            ++position_;
            skipWhitespace();
            if (!parseValue(member.value, depth)) {
                return false;
            }
            skipWhitespace();
            if (!atEnd() && peek() == '}') {
                ++position_;
                removeDuplicateKeys(value.members);
                return true;
            }
            if (atEnd() || peek() != ',') {
                return fail(position_, "Expecting ',' delimiter");
            }
            ++position_;
        }
    }

    // A repeated key keeps the position of its first appearance and the value
    // of its last, as a Python dict built from the pairs would.
    static void removeDuplicateKeys(std::vector<Member>& members) {
        if (members.size() < 2) {
            return;
        }
        std::unordered_map<std::string_view, size_t> firstIndex;
        firstIndex.reserve(members.size());
        std::vector<bool> duplicate(members.size(), false);
        bool anyDuplicate = false;
        for (size_t i = 0; i < members.size(); ++i) {
            auto [entry, inserted] = firstIndex.emplace(members[i].key, i);
            if (!inserted) {
                members[entry->second].value = std::move(members[i].value);
                duplicate[i] = true;
                anyDuplicate = true;
            }
        }
        if (!anyDuplicate) {
            return;
        }
        size_t kept = 0;
        for (size_t i = 0; i < members.size(); ++i) {
            if (!duplicate[i]) {
                if (kept != i) {
                    members[kept] = std::move(members[i]);
                }
                ++kept;
            }
        }
        members.resize(kept);
    }

    bool parseString(std::string& out) {
        size_t start = position_;
        ++position_;  // opening quote
        while (true) {
            size_t runStart = position_;
            while (!atEnd()) {
                unsigned char c = static_cast<unsigned char>(peek());
                if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) {
                    break;
                }
                ++position_;
            }
            out.append(text_.substr(runStart, position_ - runStart));
            if (atEnd()) {
                return fail(start, "Unterminated string starting at");
            }
            unsigned char c = static_cast<unsigned char>(peek());
            if (c == '"') {
                ++position_;
                return true;
            }
            if (c < 0x20) {
                return fail(position_, "Invalid control character at");
            }
            bool ok = c == '\\' ? parseEscape(out) : copyUtf8Sequence(out);
            if (!ok) {
                return false;
            }
        }
    }

    // Copies one multi-byte UTF-8 sequence, rejecting overlong forms,
    // surrogates and code points above U+10FFFF. The error points at the
    // sequence's first byte, as Python's decoder reports it.
    bool copyUtf8Sequence(std::string& out) {
        size_t length = utf8SequenceLength(text_, position_);
        if (length == 0) {
            return fail(position_, "Invalid UTF-8 byte");
        }
        out.append(text_.substr(position_, length));
        position_ += length;
        return true;
    }

    bool readHex4(size_t at, unsigned& code) const {
        if (at + 4 > text_.size()) {
            return false;
        }
        code = 0;
        for (size_t i = at; i < at + 4; ++i) {
            char c = text_[i];
            code <<= 4;
            if (c >= '0' && c <= '9') {
                code |= c - '0';
            } else if (c >= 'a' && c <= 'f') {
                code |= c - 'a' + 10;
            } else if (c >= 'A' && c <= 'F') {
                code |= c - 'A' + 10;
            } else {
                return false;
            }
        }
        return true;
    }

    bool parseEscape(std::string& out) {
        size_t start = position_;
        if (position_ + 1 >= text_.size()) {
            return fail(start, "Unterminated string starting at");
        }
        char kind = text_[position_ + 1];
        position_ += 2;
        switch (kind) {
            case '"':
                out += '"';
                return true;
            case '\\':
                out += '\\';
                return true;
            case '/':
                out += '/';
                return true;
            case 'b':
                out += '\b';
                return true;
            case 'f':
                out += '\f';
                return true;
            case 'n':
                out += '\n';
                return true;
            case 'r':
                out += '\r';
                return true;
            case 't':
                out += '\t';
                return true;
            case 'u':
                return parseUnicodeEscape(start, out);
            default:
                return fail(start, "Invalid \\escape");
        }
    }

    bool parseUnicodeEscape(size_t start, std::string& out) {
        unsigned code = 0;
        if (!readHex4(position_, code)) {
            return fail(start, "Invalid \\uXXXX escape");
        }
        position_ += 4;
        if (code >= 0xDC00 && code <= 0xDFFF) {
            return fail(start, "Unpaired surrogate in \\uXXXX escape");
        }
        if (code >= 0xD800 && code <= 0xDBFF) {
            unsigned low = 0;
            bool paired = position_ + 1 < text_.size() && text_[position_] == '\\' &&
                          text_[position_ + 1] == 'u' && readHex4(position_ + 2, low) &&
                          low >= 0xDC00 && low <= 0xDFFF;
            if (!paired) {
                return fail(start, "Unpaired surrogate in \\uXXXX escape");
            }
            position_ += 6;
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        // NOTE: PostgreSQL text and jsonb cannot store U+0000, so it is
        // rejected here rather than failing later in the database.
        if (code == 0) {
            return fail(start, "\\u0000 is not supported");
        }
        appendUtf8(code, out);
        return true;
    }

    static void appendUtf8(unsigned code, std::string& out) {
        if (code < 0x80) {
            out += static_cast<char>(code);
        } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (code >> 18));
            out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        }
    }

    std::string_view text_;
    ParseError& error_;
    size_t position_ = 0;
};

}  // namespace

bool parse(std::string_view text, Value& value, ParseError& error) {
    value = Value{};
    Parser parser(text, error);
    return parser.parseDocument(value);
}

}  // namespace syn::json
