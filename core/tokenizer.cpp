#include "core/tokenizer.h"

#include <algorithm>

#include "core/unicode.h"

namespace attnviz {

std::vector<TokenGroup> group_character_pieces(std::span<const Token> tokens) {
  std::vector<TokenGroup> groups;
  for (size_t i = 0; i < tokens.size();) {
    size_t end = i + 1;
    if (tokens[i].partial) {
      size_t chars_end = tokens[i].char_end;
      while (end < tokens.size() && tokens[end].partial && tokens[end].char_start < chars_end) {
        chars_end = std::max(chars_end, tokens[end].char_end);
        ++end;
      }
    }
    groups.push_back({int(i), int(end)});
    i = end;
  }
  return groups;
}

std::string joined_text(std::span<const Token> tokens, int first, int end) {
  std::string bytes;
  for (int i = first; i < end; ++i) {
    const Token& token = tokens[size_t(i)];
    bytes += token.partial ? token.bytes : token.text;
  }
  return unicode::display_bytes(bytes);
}

}  // namespace attnviz
