// UTF-8 validation as RFC 3629 defines it: no overlong forms, no surrogates,
// nothing above U+10FFFF.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace syn {

// Returns the length of the valid UTF-8 sequence that starts at `at`
// (1 for an ASCII byte), or 0 when the bytes there do not form one.
std::size_t utf8SequenceLength(std::string_view text, std::size_t at);

// Returns true when every byte of `text` belongs to a valid UTF-8 sequence.
bool isValidUtf8(std::string_view text);

// Returns `text` as PostgreSQL's text type accepts it: every byte that
// starts no valid UTF-8 sequence, and every NUL byte, becomes U+FFFD.
std::string toStorableText(std::string_view text);

}  // namespace syn
