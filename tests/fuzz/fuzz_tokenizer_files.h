// What the tokenizer-file harnesses share: a loaded tokenizer must encode a few fixed texts
// without breaking the Token contract (spans inside the text, in order; ids inside the
// vocabulary; texts valid UTF-8).
#pragma once

#include "core/tokenizer.h"
#include "core/unicode.h"

namespace attnviz::fuzz {

inline void check_tokens(const Tokenizer& tokenizer, std::string_view text,
                         const std::vector<Token>& tokens) {
  size_t last_start = 0;
  for (const Token& token : tokens) {
    if (token.start > token.end || token.end > text.size() || token.start < last_start)
      __builtin_trap();
    if (token.id < 0 || token.id >= tokenizer.vocab_size()) __builtin_trap();
    if (!unicode::validate_utf8(token.text).ok()) __builtin_trap();
    last_start = token.start;
  }
}

inline void encode_samples(const Tokenizer& tokenizer) {
  static const char* kSamples[] = {
      "Hello, world! The quick brown fox.", "caf\xC3\xA9 na\xC3\xAFve \xE6\x97\xA5\xE6\x9C\xAC",
      "  spaces\tand\nlines  ", "<|endoftext|>[CLS] <s></s> [UNK]", "\xF0\x9F\x99\x82 1234 don't"};
  for (const char* sample : kSamples) {
    auto tokens = tokenizer.encode(sample);
    if (!tokens) continue;
    check_tokens(tokenizer, sample, *tokens);
    std::vector<int32_t> ids;
    for (const Token& token : *tokens) ids.push_back(token.id);
    if (!unicode::validate_utf8(tokenizer.decode(ids)).ok()) __builtin_trap();
  }
}

}  // namespace attnviz::fuzz
