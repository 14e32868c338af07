#include "core/export/text.h"

#include <cstdint>

namespace attnviz {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes one sequence at `pos`; returns the code point and its length, or nullopt (length 1
// consumed) when the bytes there are not valid UTF-8.
struct Decoded {
  char32_t code_point;
  size_t length;
  bool valid;
};

Decoded decode_one(std::string_view text, size_t pos) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(pos);
  if (lead < 0x80) return {lead, 1, true};
  size_t length = 0;
  char32_t cp = 0, min = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return {kReplacement, 1, false};
  }
  if (pos + length > text.size()) return {kReplacement, 1, false};
  for (size_t i = 1; i < length; ++i) {
    const uint8_t next = byte(pos + i);
    if ((next & 0xC0) != 0x80) return {kReplacement, 1, false};
    cp = (cp << 6) | (next & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return {kReplacement, 1, false};
  }
  return {cp, length, true};
}

}  // namespace

std::vector<char32_t> decode_utf8(std::string_view text) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const Decoded d = decode_one(text, pos);
    out.push_back(d.code_point);
    pos += d.length;
  }
  return out;
}

std::optional<size_t> find_invalid_utf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    const Decoded d = decode_one(text, pos);
    if (!d.valid) return pos;
    pos += d.length;
  }
  return std::nullopt;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = kReplacement;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
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
      append_utf8(out, kReplacement);
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

}  // namespace attnviz
