// Unicode helpers the tokenizers share: strict UTF-8 decoding with byte offsets, code-point
// classes (ICU's uchar.h), and the per-character case mapping and canonical decomposition
// BERT's normalizer needs (ICU's unorm2.h / ustring.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace attnviz::unicode {

constexpr char32_t kReplacementCharacter = 0xFFFD;

// One step of UTF-8 decoding at a byte position.
struct DecodeStep {
  char32_t code_point = kReplacementCharacter;  // U+FFFD when !valid
  size_t length = 1;  // bytes consumed; for an invalid sequence the "maximal subpart" (>= 1)
  bool valid = false;
};

// Decodes the sequence starting at `pos` (< text.size()). Strict: no overlong forms, no
// surrogates, nothing above U+10FFFF. An invalid sequence consumes its maximal subpart
// (Unicode §3.9, the rule WHATWG and ICU use), so replacing each one with U+FFFD gives the
// conventional result.
DecodeStep decode_one(std::string_view text, size_t pos);

// A decoded character and its bytes [start, end) in the text.
struct DecodedChar {
  char32_t code_point;
  size_t start;
  size_t end;
};

// Every character with its byte span, or an Error "invalid UTF-8 at byte N".
Result<std::vector<DecodedChar>> decode_utf8(std::string_view text);

// Ok for valid UTF-8, else an Error "invalid UTF-8 at byte N" (N = first bad byte).
Status validate_utf8(std::string_view text);

// Any bytes to valid UTF-8: each invalid maximal subpart becomes U+FFFD.
std::string replace_invalid_utf8(std::string_view bytes);

// Any bytes to valid UTF-8 for display: whole characters as they are, every byte of an invalid
// or incomplete sequence as "<0xNN>" (a byte-fallback or byte-level piece of a character).
std::string display_bytes(std::string_view bytes);

void append_utf8(std::string& out, char32_t code_point);
std::string to_utf8(std::u32string_view code_points);

// Classes by general category, as regex engines define \p{..}.
bool is_letter(char32_t c);           // \p{L}: Lu Ll Lt Lm Lo
bool is_number(char32_t c);           // \p{N}: Nd Nl No
bool is_punctuation(char32_t c);      // \p{P}: Pc Pd Ps Pe Pi Pf Po
bool is_other(char32_t c);            // \p{C}: Cc Cf Cs Co Cn
bool is_nonspacing_mark(char32_t c);  // Mn
bool is_mark(char32_t c);             // \p{M}: Mn Mc Me
// The White_Space property: what \s means in Oniguruma (HF tokenizers' regex engine) and
// Rust's char::is_whitespace: U+0009..000D, U+0020, U+0085, U+00A0, U+1680, U+2000..200A,
// U+2028, U+2029, U+202F, U+205F, U+3000.
bool is_whitespace(char32_t c);

// Canonical combining class (0 for starters).
int combining_class(char32_t c);
// The full canonical decomposition (NFD) of one character, e.g. é -> e + U+0301.
std::u32string canonical_decomposition(char32_t c);
// The full lower-case mapping of one character without context (İ -> i + U+0307, Σ -> σ):
// what Rust's char::to_lowercase gives, which HF tokenizers' normalizers apply per character.
std::u32string to_lower(char32_t c);

}  // namespace attnviz::unicode
