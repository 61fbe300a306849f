#include "syn/utf8.h"

namespace syn {

std::size_t utf8SequenceLength(std::string_view text, std::size_t at) {
    auto byte = [&](std::size_t i) -> unsigned {
        return at + i < text.size() ? static_cast<unsigned char>(text[at + i]) : 0;
    };
    unsigned lead = byte(0);
    if (at < text.size() && lead < 0x80) {
        return 1;
    }
    std::size_t length = 0;
    unsigned low = 0x80, high = 0xBF;  // allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        low = lead == 0xE0 ? 0xA0 : 0x80;
        high = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        low = lead == 0xF0 ? 0x90 : 0x80;
        high = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    for (std::size_t i = 1; i < length; ++i) {
        unsigned min = i == 1 ? low : 0x80;
        unsigned max = i == 1 ? high : 0xBF;
        if (byte(i) < min || byte(i) > max) {
            return 0;
        }
    }
    return length;
}

bool isValidUtf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = utf8SequenceLength(text, i);
        if (length == 0) {
            return false;
        }
        i += length;
    }
    return true;
}

std::string toStorableText(std::string_view text) {
    static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
    std::string storable;
    storable.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t length = text[i] == '\0' ? 0 : utf8SequenceLength(text, i);
        if (length == 0) {
            storable += kReplacement;
            ++i;
            continue;
        }
        storable.append(text, i, length);
        i += length;
    }
    return storable;
}

}  // namespace syn
