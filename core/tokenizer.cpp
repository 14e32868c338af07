#include "core/tokenizer.h"

#include <algorithm>
#include <cstdio>

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

namespace {

// "byte 1 of 3" or "bytes 2-3 of 4" of the characters a piece belongs to.
std::string share_of_characters(std::span<const Token> tokens, size_t index) {
  // The tokens holding pieces of the same characters, as group_character_pieces joins them.
  size_t first = index;
  while (first > 0 && tokens[first - 1].partial && tokens[first].char_start < tokens[first - 1].char_end)
    --first;
  size_t end = index + 1;
  size_t chars_end = tokens[index].char_end;
  while (end < tokens.size() && tokens[end].partial && tokens[end].char_start < chars_end) {
    chars_end = std::max(chars_end, tokens[end].char_end);
    ++end;
  }
  std::string bytes;
  size_t before = 0;
  for (size_t i = first; i < end; ++i) {
    if (i == index) before = bytes.size();
    bytes += tokens[i].bytes;
  }
  const size_t own = tokens[index].bytes.size();
  std::string out = own == 1 ? "byte " + std::to_string(before + 1)
                             : "bytes " + std::to_string(before + 1) + "-" +
                                   std::to_string(before + own);
  out += " of " + std::to_string(bytes.size()) + " of ";
  const Result<std::vector<unicode::DecodedChar>> chars = unicode::decode_utf8(bytes);
  if (!chars || chars->empty()) return out + "an incomplete character";
  out += "\"" + bytes + "\"";
  if (chars->size() == 1) {
    char code[16];
    std::snprintf(code, sizeof code, " (U+%04X)", static_cast<unsigned>((*chars)[0].code_point));
    out += code;
  }
  return out;
}

}  // namespace

std::string token_details(std::span<const Token> tokens, size_t index) {
  const Token& token = tokens[index];
  std::string out = "id " + std::to_string(token.id) + ", bytes " + std::to_string(token.start) +
                    ".." + std::to_string(token.end);
  if (token.special) out += ", special";
  if (token.partial && !token.bytes.empty()) out += ", " + share_of_characters(tokens, index);
  return out;
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
