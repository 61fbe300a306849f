#include "path.h"

#include "syn/utf8.h"

namespace syn::fcgi {
namespace {

int hexValue(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace

std::optional<std::string> percentDecode(std::string_view text, bool plusIsSpace) {
    std::string decoded;
    decoded.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '+' && plusIsSpace) {
            decoded += ' ';
        } else if (c != '%') {
            decoded += c;
        } else {
            int high = i + 1 < text.size() ? hexValue(text[i + 1]) : -1;
            int low = i + 2 < text.size() ? hexValue(text[i + 2]) : -1;
            if (high < 0 || low < 0) {
                return std::nullopt;
            }
            decoded += static_cast<char>(high * 16 + low);
            i += 2;
        }
    }
    return decoded;
}

std::optional<std::vector<std::string>> splitPath(std::string_view target) {
    // The pool passes the path alone, but a query left in place must not
    // become part of the last segment.
    target = target.substr(0, target.find('?'));
    if (!target.starts_with('/')) {
        return std::nullopt;
    }

    std::vector<std::string> segments;
    size_t start = 1;
    while (true) {
        size_t slash = target.find('/', start);
        std::string_view raw = target.substr(start, slash - start);
        std::optional<std::string> segment = percentDecode(raw);
        // A segment that is not UTF-8 cannot name a stored id, and PostgreSQL
        // rejects it as a parameter (SQLSTATE 22021).
        if (!segment || !isValidUtf8(*segment)) {
            return std::nullopt;
        }
        segments.push_back(std::move(*segment));
        if (slash == std::string_view::npos) {
            return segments;
        }
        start = slash + 1;
    }
}

}  // namespace syn::fcgi
