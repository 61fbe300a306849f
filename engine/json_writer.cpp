#include "syn/json_writer.h"

#include "syn/utf8.h"

namespace syn::json {
namespace {

void appendEscaped(std::string& out, unsigned char c) {
    static const char kHex[] = "0123456789abcdef";
    switch (c) {
        case '"':
            out += "\\\"";
            return;
        case '\\':
            out += "\\\\";
            return;
        case '\b':
            out += "\\b";
            return;
        case '\f':
            out += "\\f";
            return;
        case '\n':
            out += "\\n";
            return;
        case '\r':
            out += "\\r";
            return;
        case '\t':
            out += "\\t";
            return;
        default:
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
    }
}

}  // namespace

void appendQuoted(std::string& out, std::string_view text) {
    out.reserve(out.size() + text.size() + 2);
    out += '"';
    size_t i = 0;
    while (i < text.size()) {
        size_t runStart = i;
        while (i < text.size()) {
            unsigned char c = static_cast<unsigned char>(text[i]);
            if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) {
                break;
            }
            ++i;
        }
        out.append(text.substr(runStart, i - runStart));
        if (i == text.size()) {
            break;
        }
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            appendEscaped(out, c);
            ++i;
            continue;
        }
        size_t length = utf8SequenceLength(text, i);
        if (length == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
            ++i;
        } else {
            out.append(text.substr(i, length));
            i += length;
        }
    }
    out += '"';
}

void Writer::separate() {
    if (needComma_) {
        out_ += ',';
    }
    needComma_ = true;
}

Writer& Writer::beginObject() {
    separate();
    out_ += '{';
    needComma_ = false;
    return *this;
}

Writer& Writer::endObject() {
    out_ += '}';
    needComma_ = true;
    return *this;
}

Writer& Writer::beginArray() {
    separate();
    out_ += '[';
    needComma_ = false;
    return *this;
}

Writer& Writer::endArray() {
    out_ += ']';
    needComma_ = true;
    return *this;
}

Writer& Writer::key(std::string_view name) {
    separate();
    appendQuoted(out_, name);
    out_ += ':';
    needComma_ = false;
    return *this;
}

Writer& Writer::string(std::string_view text) {
    separate();
    appendQuoted(out_, text);
    return *this;
}

Writer& Writer::nullableString(const std::optional<std::string>& text) {
    return text ? string(*text) : null();
}

Writer& Writer::number(long long number) {
    separate();
    out_ += std::to_string(number);
    return *this;
}

Writer& Writer::boolean(bool value) {
    separate();
    out_ += value ? "true" : "false";
    return *this;
}

Writer& Writer::null() {
    separate();
    out_ += "null";
    return *this;
}

Writer& Writer::raw(std::string_view json) {
    separate();
    out_ += json;
    return *this;
}

Writer& Writer::value(const Value& value) {
    switch (value.kind) {
        case Value::Kind::Null:
            return null();
        case Value::Kind::Boolean:
            return boolean(value.boolean);
        case Value::Kind::Number:
            return raw(value.text);
        case Value::Kind::String:
            return string(value.text);
        case Value::Kind::Array:
            beginArray();
            for (const Value& item : value.items) {
                this->value(item);
            }
            return endArray();
        case Value::Kind::Object:
            beginObject();
            for (const Member& member : value.members) {
                key(member.key);
                this->value(member.value);
            }
            return endObject();
    }
    return *this;
}

}  // namespace syn::json
