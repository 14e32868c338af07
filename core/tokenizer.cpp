#include "core/tokenizer.h"

#include <algorithm>

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

std::string group_text(std::span<const Token> tokens, TokenGroup group, std::string_view input) {
  const Token& first = tokens[size_t(group.first)];
  const Token& last = tokens[size_t(group.end - 1)];
  if (!first.partial) {
    std::string joined;
    for (int i = group.first; i < group.end; ++i) joined += tokens[size_t(i)].text;
    return joined;
  }
  // Whole characters only when the group starts and ends where its characters do.
  const bool whole = first.start == first.char_start && last.end == last.char_end &&
                     last.char_end <= input.size() && first.char_start <= last.char_end;
  if (whole) return std::string(input.substr(first.char_start, last.char_end - first.char_start));
  std::string joined;
  for (int i = group.first; i < group.end; ++i) joined += tokens[size_t(i)].text;
  return joined;
}

}  // namespace attnviz
