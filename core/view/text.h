// UTF-8 helpers for labels: decoding to code points, validating user text, and turning a
// token's text into what a figure shows.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attnviz {

// Code points of `text` (core/unicode decoding); each invalid sequence (its maximal subpart)
// becomes U+FFFD, so a label with bad bytes still draws (a box) instead of failing.
std::vector<char32_t> decode_utf8(std::string_view text);

// Byte offset of the first invalid UTF-8 sequence (overlong forms, surrogates, > U+10FFFF and
// truncated sequences are invalid), or nullopt when the text is valid.
std::optional<size_t> find_invalid_utf8(std::string_view text);

// Appends the UTF-8 encoding of one code point.
void append_utf8(std::string& out, char32_t code_point);

// What a figure shows for a token: surrounding spaces trimmed (GPT-2 tokens start with one),
// newline as ⏎, tab as ⇥, other control characters as U+FFFD, and a token of only spaces as ␣.
std::string display_token(std::string_view token_text);

// At most `max_code_points` code points of `text`, with … appended when it was cut.
std::string truncate_utf8(std::string_view text, size_t max_code_points);

// "H3", "L12": a letter and a number (built piecewise: GCC 12 warns falsely, -Wrestrict, on
// "H" + std::to_string(n)).
std::string letter_number(char letter, int number);

}  // namespace attnviz
