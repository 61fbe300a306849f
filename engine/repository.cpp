#include "syn/repository.h"

#include <algorithm>
#include <cctype>

namespace syn {
namespace {

bool isNameCharacter(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

bool isValidPart(std::string_view part) {
    if (part.empty() || part == "." || part == "..") {
        return false;
    }
    return std::all_of(part.begin(), part.end(), isNameCharacter);
}

bool startsWithIgnoringCase(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    for (size_t i = 0; i < prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) {
            return false;
        }
    }
    return true;
}

// Removes "http(s)://github.com/" and returns true, or returns false when
// `text` does not start with one of them.
bool stripGithubPrefix(std::string_view& text) {
    for (std::string_view prefix : {"https://github.com/", "http://github.com/"}) {
        if (startsWithIgnoringCase(text, prefix)) {
            text.remove_prefix(prefix.size());
            return true;
        }
    }
    return false;
}

std::optional<Repository> splitSlug(std::string_view slug) {
    size_t slash = slug.find('/');
    if (slash == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view owner = slug.substr(0, slash);
    std::string_view name = slug.substr(slash + 1);
    if (!isValidPart(owner) || !isValidPart(name)) {
        return std::nullopt;
    }
    return Repository{std::string(owner), std::string(name)};
}

}  // namespace

std::optional<Repository> parseRepository(std::string_view text) {
    if (stripGithubPrefix(text) && text.ends_with('/')) {
        text.remove_suffix(1);
    }
    // One ".git" goes in both forms, because the clone URL template appends
    // its own; a name left empty or "." is then rejected by splitSlug.
    if (text.ends_with(".git")) {
        text.remove_suffix(4);
    }
    return splitSlug(text);
}

}  // namespace syn
