// GitHub repository references as requests give them: `owner/name` slugs or
// https://github.com/owner/name URLs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace syn {

struct Repository {
    std::string owner;
    std::string name;

    // Returns "owner/name", the form stored in syn.executions.repos.
    std::string slug() const { return owner + "/" + name; }
};

// Parses `owner/name`, or `https://github.com/owner/name` with an optional
// trailing `/` (`http://` is accepted too, and the scheme and host are
// case-insensitive). One `.git` suffix is removed in both forms. Owner and name consist of
// [A-Za-z0-9._-] and are neither `.` nor `..`, so that a slug can name a
// directory safely. Returns nullopt for anything else.
std::optional<Repository> parseRepository(std::string_view text);

}  // namespace syn
