#include "core/view/text.h"

#include "core/unicode.h"

namespace attnviz {

std::vector<char32_t> decode_utf8(std::string_view text) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const unicode::DecodeStep d = unicode::decode_one(text, pos);
    out.push_back(d.code_point);
    pos += d.length;
  }
  return out;
}

std::optional<size_t> find_invalid_utf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    const unicode::DecodeStep d = unicode::decode_one(text, pos);
    if (!d.valid) return pos;
    pos += d.length;
  }
  return std::nullopt;
}

void append_utf8(std::string& out, char32_t cp) {
  // Lenient where unicode::append_utf8 asserts: figure text may carry any code point.
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = unicode::kReplacementCharacter;
  unicode::append_utf8(out, cp);
}

std::string display_token(std::string_view token_text) {
  std::vector<char32_t> cps = decode_utf8(token_text);
  size_t begin = 0, end = cps.size();
  while (begin < end && cps[begin] == U' ') ++begin;
  while (end > begin && cps[end - 1] == U' ') --end;
  if (begin == end) return cps.empty() ? std::string() : std::string("\u2423");  // ␣
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    const char32_t cp = cps[i];
    if (cp == U'\n') {
      out += "\u23CE";  // ⏎
    } else if (cp == U'\r') {
      if (i + 1 < end && cps[i + 1] == U'\n') continue;  // CRLF shows as one ⏎
      out += "\u23CE";
    } else if (cp == U'\t') {
      out += "\u21E5";  // ⇥
    } else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
      append_utf8(out, unicode::kReplacementCharacter);
    } else {
      append_utf8(out, cp);
    }
  }
  return out;
}

std::string truncate_utf8(std::string_view text, size_t max_code_points) {
  std::vector<char32_t> cps = decode_utf8(text);
  std::string out;
  const bool cut = cps.size() > max_code_points;
  const size_t keep = cut ? (max_code_points > 0 ? max_code_points - 1 : 0) : cps.size();
  for (size_t i = 0; i < keep; ++i) append_utf8(out, cps[i]);
  if (cut) out += "\u2026";
  return out;
}

std::string letter_number(char letter, int number) {
  std::string text(1, letter);
  text += std::to_string(number);
  return text;
}

}  // namespace attnviz
